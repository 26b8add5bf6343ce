package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// DefaultTimeout is how long Open waits for a store that another process
// is using when Options.Timeout is zero.
const DefaultTimeout = 2 * time.Second

// The names of the top-level buckets and of the keys inside them; see the
// package documentation for the layout.
var (
	metaBucket        = []byte("meta")
	magicKey          = []byte("magic")
	formatKey         = []byte("format")
	studiesBucket     = []byte("studies")
	studyKey          = []byte("study")
	trialsBucket      = []byte("trials")
	checkpointsBucket = []byte("checkpoints")
)

// magic identifies a bbolt file as a dltune store.
const magic = "dltune store"

// Options configure Open. The zero Options (or nil) opens the store for
// reading and writing, waiting up to DefaultTimeout for another process to
// release it.
type Options struct {
	// Timeout is how long Open waits for a store that another process is
	// using before it fails with ErrLocked. For a read-only DB it bounds
	// each read instead, which waits only while a writer has the store
	// open without a snapshot beside it. Zero means DefaultTimeout; a
	// negative Timeout fails at once. Open never waits indefinitely.
	Timeout time.Duration

	// ReadOnly opens the store for reading only, through read-only file
	// handles, so a store in a read-only file or file system can be read.
	// A read-only DB holds no lock between reads and never blocks a
	// writer; while a writer has the store open, it reads the snapshot
	// the writer keeps (see KeepSnapshot and the package documentation).
	// A read-only Open does not create a missing store.
	ReadOnly bool
}

// A DB is an open dltune store: a bbolt file holding studies, their trials
// and the trials' checkpoints.
//
// A DB is safe for concurrent use by multiple goroutines. Reads run
// concurrently with each other and with a write; writes that arrive while
// another write commits are committed together in the next transaction
// (each still all or nothing), which amortizes the cost of the disk
// flush over concurrent writers.
type DB struct {
	bdb      *bolt.DB // nil for a read-only DB, which opens one per read
	path     string
	readOnly bool
	timeout  time.Duration

	// For a read-only DB: rmu is held for reading by each read and for
	// writing by Close, so that Close waits for reads in progress.
	rmu    sync.RWMutex
	closed bool
	// asOf is the modification time, in Unix nanoseconds, of the snapshot
	// the latest read came from, or 0 if it read the store itself.
	asOf atomic.Int64

	// keeper is the snapshot keeper KeepSnapshot started, if any.
	keeper atomic.Pointer[keeper]

	// broken is set when bbolt panicked in a write: bbolt's state can no
	// longer be trusted, so later changes are refused.
	broken atomic.Bool

	// The group commit queue; see update.
	mu      sync.Mutex
	queue   []*change
	leading bool

	commits atomic.Int64 // write transactions committed, for tests
}

// Open opens the dltune store at path, creating it if it does not exist
// (unless opt.ReadOnly). A new store appears at path complete or not at
// all: it is built in a temporary file beside path and linked into place.
// Its mode is 0600 whatever the umask, since it holds study files and the
// paths of their data.
//
// A writable Open removes what a process killed while it had the store
// open may have left beside it: a stale snapshot and the temporary files
// of an interrupted snapshot or creation.
//
// Open fails with an error matching ErrLocked if another process (or
// another DB in this process) has the store open for writing and does not
// close it within the timeout, ErrNotStore if the file is not a dltune
// store, and ErrVersion if a newer dltune wrote it. It never modifies a
// file that is not a dltune store, and it never waits indefinitely. opt
// may be nil.
func Open(path string, opt *Options) (*DB, error) {
	var o Options
	if opt != nil {
		o = *opt
	}
	timeout := o.Timeout
	switch {
	case timeout == 0:
		timeout = DefaultTimeout
	case timeout < 0:
		timeout = time.Nanosecond // one attempt
	}

	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) && !o.ReadOnly:
		if err := create(path); err != nil {
			return nil, fmt.Errorf("create %s: %w", path, err)
		}
	case err != nil:
		return nil, fmt.Errorf("open %s: %w", path, pathErr(err))
	case fi.IsDir():
		return nil, fmt.Errorf("open %s: %w: is a directory", path, ErrNotStore)
	case !fi.Mode().IsRegular():
		return nil, fmt.Errorf("open %s: %w: not a regular file", path, ErrNotStore)
	case fi.Size() == 0:
		// bbolt would initialize an empty file; a dltune store is never
		// empty, since create builds it elsewhere and links it in.
		return nil, fmt.Errorf("open %s: %w: empty file", path, ErrNotStore)
	}

	if o.ReadOnly {
		// Check the store now, so that Open reports a file that is not
		// one; each read opens it again.
		db := &DB{path: path, readOnly: true, timeout: timeout}
		if err := db.view(context.Background(), func(*bolt.Tx) error { return nil }); err != nil {
			return nil, err
		}
		return db, nil
	}

	// Check the file read-only first: a writable bbolt open may write to a
	// bbolt file (its freelist), and the file may not be ours.
	bdb, err := openBolt(path, true, timeout, nil)
	if err != nil {
		return nil, err
	}
	if err := checkMeta(bdb, path); err != nil {
		bdb.Close()
		return nil, err
	}
	if err := bdb.Close(); err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if bdb, err = openBolt(path, false, timeout, nil); err != nil {
		return nil, err
	}
	// Another process may have replaced the file in between.
	if err := checkMeta(bdb, path); err != nil {
		bdb.Close()
		return nil, err
	}
	removeLeftovers(path)
	return &DB{bdb: bdb, path: path, timeout: timeout}, nil
}

// openBolt opens path with bbolt and maps its errors to ours. If file is
// not nil, it is set to the file bbolt opened.
func openBolt(path string, readOnly bool, timeout time.Duration, file **os.File) (bdb *bolt.DB, err error) {
	defer func() {
		if r := recover(); r != nil {
			bdb, err = nil, fmt.Errorf("open %s: %w (or a damaged one): bbolt: %v", path, ErrNotStore, r)
		}
	}()
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	bdb, err = bolt.Open(path, 0o600, &bolt.Options{
		Timeout:  timeout,
		ReadOnly: readOnly,
		OpenFile: func(name string, flag int, perm fs.FileMode) (*os.File, error) {
			f, err := os.OpenFile(name, flag, perm)
			if file != nil {
				*file = f
			}
			return f, err
		},
	})
	switch {
	case err == nil:
		return bdb, nil
	case errors.Is(err, berrors.ErrTimeout):
		return nil, fmt.Errorf("open %s: %w", path, ErrLocked)
	case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrChecksum),
		errors.Is(err, berrors.ErrVersionMismatch), errors.Is(err, berrors.ErrInvalidMapping):
		return nil, fmt.Errorf("open %s: %w: not a bbolt database (%v)", path, ErrNotStore, err)
	case errors.Is(err, fs.ErrPermission) && !readOnly:
		return nil, fmt.Errorf("open %s: %w (open it read-only to read it)", path, pathErr(err))
	}
	return nil, fmt.Errorf("open %s: %w", path, pathErr(err))
}

// checkMeta checks that bdb is a dltune store of a format this package
// reads.
func checkMeta(bdb *bolt.DB, path string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("open %s: %w (or a damaged one): bbolt: %v", path, ErrNotStore, r)
		}
	}()
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	return bdb.View(func(tx *bolt.Tx) error {
		meta := tx.Bucket(metaBucket)
		if meta == nil || string(meta.Get(magicKey)) != magic {
			return fmt.Errorf("open %s: %w: a bbolt database without dltune's metadata", path, ErrNotStore)
		}
		v := meta.Get(formatKey)
		if len(v) != 8 {
			return fmt.Errorf("open %s: %w: bad format version", path, ErrCorrupt)
		}
		if f := binary.BigEndian.Uint64(v); f > Format {
			return fmt.Errorf("open %s: %w", path, &versionError{format: int(min(f, 1<<31))})
		}
		if tx.Bucket(studiesBucket) == nil {
			return fmt.Errorf("open %s: %w: no studies bucket", path, ErrCorrupt)
		}
		return nil
	})
}

// create makes a new, empty store at path. If a store appears at path
// meanwhile (another process creating it), create leaves it alone and
// succeeds.
func create(path string) error {
	err := build(path, 0o600, func(bdb *bolt.DB) error {
		return bdb.Update(func(tx *bolt.Tx) error {
			meta, err := tx.CreateBucket(metaBucket)
			if err != nil {
				return err
			}
			if err := meta.Put(magicKey, []byte(magic)); err != nil {
				return err
			}
			if err := meta.Put(formatKey, binary.BigEndian.AppendUint64(nil, Format)); err != nil {
				return err
			}
			_, err = tx.CreateBucket(studiesBucket)
			return err
		})
	})
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	return err
}

// build makes a new bbolt file at path with mode perm, filled by fill, or
// fails with an error matching fs.ErrExist if path exists. It builds the
// file under a temporary name and links it into place, so that a crash
// never leaves a partial file at path.
func build(path string, perm fs.FileMode, fill func(*bolt.DB) error) error {
	tmp, err := buildTemp(path, perm, fill)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	err = os.Link(tmp, path)
	if err != nil && !errors.Is(err, fs.ErrExist) {
		// No hard links on this file system: rename, unless a file
		// appeared meanwhile (a narrow race we accept there).
		if _, serr := os.Lstat(path); errors.Is(serr, fs.ErrNotExist) {
			err = os.Rename(tmp, path)
		} else if serr == nil {
			err = fs.ErrExist
		}
	}
	if err != nil {
		return pathErr(err)
	}
	return syncDir(filepath.Dir(path))
}

// buildTemp makes a new bbolt file with mode perm (whatever the umask),
// filled by fill, under a temporary name beside path (see tempPrefix),
// and returns that name. On error it leaves no file behind.
func buildTemp(path string, perm fs.FileMode, fill func(*bolt.DB) error) (string, error) {
	tmp := tempPrefix(path) + strconv.FormatUint(rand.Uint64(), 36)
	created := false
	bdb, err := bolt.Open(tmp, perm, &bolt.Options{
		Timeout: time.Nanosecond,
		OpenFile: func(name string, flag int, perm fs.FileMode) (*os.File, error) {
			f, err := os.OpenFile(name, flag|os.O_EXCL, perm)
			if err != nil {
				return nil, err
			}
			created = true
			// The umask can only have taken bits away, so on a file
			// system without modes the file is still no more open than
			// perm: an error here costs nothing private.
			_ = f.Chmod(perm)
			return f, nil
		},
	})
	if err != nil {
		if created {
			// A full disk fails bbolt's first write after the create.
			os.Remove(tmp)
		}
		return "", pathErr(err)
	}
	err = fill(bdb)
	if cerr := bdb.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return "", err
	}
	return tmp, nil
}

// tempPrefix is how the names of the temporary files that build path
// begin: path's base name, hidden, then ".tmp"; a random suffix follows.
func tempPrefix(path string) string {
	dir, base := filepath.Split(path)
	if !strings.HasPrefix(base, ".") {
		base = "." + base
	}
	return filepath.Join(dir, base+".tmp")
}

// syncDir flushes a directory so that a new entry in it survives a crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, fs.ErrInvalid) {
		return err
	}
	return nil
}

// pathErr strips the path from an *fs.PathError, which the caller names
// itself.
func pathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Path != "" {
		return pe.Err
	}
	return err
}

// Path returns the path the store was opened with. It is safe for
// concurrent use.
func (db *DB) Path() string { return db.path }

// Close closes the store and releases its lock, waiting for transactions
// in progress to end; it stops and removes the snapshot KeepSnapshot
// keeps. Methods called after Close (or while it runs, once it has begun)
// return an error matching ErrClosed.
func (db *DB) Close() error {
	if k := db.keeper.Swap(nil); k != nil {
		k.stop()
	}
	if db.readOnly {
		db.rmu.Lock()
		db.closed = true
		db.rmu.Unlock()
		return nil
	}
	if err := db.bdb.Close(); err != nil {
		return fmt.Errorf("close %s: %w", db.path, err)
	}
	return nil
}

// view runs fn in a read transaction. A panic in bbolt (a damaged page) is
// returned as an error matching ErrCorrupt.
func (db *DB) view(ctx context.Context, fn func(*bolt.Tx) error) error {
	return db.viewFrom(ctx, true, fn)
}

// viewFrom is view, for a read-only DB from the snapshot only if
// snapshotOK.
func (db *DB) viewFrom(ctx context.Context, snapshotOK bool, fn func(*bolt.Tx) error) error {
	return db.withBolt(ctx, snapshotOK, func(bdb *bolt.DB) (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("store %s: %w: %v", db.path, ErrCorrupt, r)
			}
		}()
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		tx, err := bdb.Begin(false)
		if err != nil {
			return db.boltErr(err)
		}
		defer tx.Rollback()
		return fn(tx)
	})
}

// withBolt calls fn with the bbolt handle to read from: the DB's own, or
// for a read-only DB one opened for this call alone (see readHandle), to
// the snapshot only if snapshotOK.
func (db *DB) withBolt(ctx context.Context, snapshotOK bool, fn func(*bolt.DB) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !db.readOnly {
		return fn(db.bdb)
	}
	db.rmu.RLock()
	defer db.rmu.RUnlock()
	if db.closed {
		return db.boltErr(berrors.ErrDatabaseNotOpen)
	}
	bdb, err := db.readHandle(ctx, snapshotOK)
	if err != nil {
		return err
	}
	defer bdb.Close()
	return fn(bdb)
}

// boltErr wraps an error from bbolt itself (not from our functions) with
// the store's path.
func (db *DB) boltErr(err error) error {
	switch {
	case errors.Is(err, berrors.ErrDatabaseNotOpen):
		err = ErrClosed
	case errors.Is(err, berrors.ErrDatabaseReadOnly):
		err = ErrReadOnly
	}
	return fmt.Errorf("store %s: %w", db.path, err)
}
