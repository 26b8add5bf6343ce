package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/store"
	"github.com/dltune/dltune/store/postgres"
	"github.com/dltune/dltune/study"
)

// A backend is a store as the commands use it: the loop's study.Store,
// plus listing, whole trials, and a name for messages (a path, or a URL
// without its password).
type backend interface {
	study.Store
	Studies(ctx context.Context) ([]*dltune.Study, error)
	Trials(ctx context.Context, study string) ([]*dltune.Trial, error)
	Close() error
	String() string
}

// boltStore is the bbolt store as a backend.
type boltStore struct{ *store.DB }

var (
	_ study.Importer = boltStore{}
	_ study.Importer = (*postgres.DB)(nil)
)

func (b boltStore) String() string { return b.Path() }

// postgresURL reports whether storage, given by flag (--storage),
// names a PostgreSQL database rather than a file; it fails on a URL of
// another scheme (a typo), which would otherwise become a file of that
// name.
func postgresURL(flag, storage string) (bool, error) {
	scheme, _, ok := strings.Cut(storage, "://")
	if !ok {
		return false, nil
	}
	switch strings.ToLower(scheme) {
	case "postgres", "postgresql":
		return true, nil
	}
	return false, usageError{fmt.Errorf("%s %s: unknown scheme %q: name a store file, or a PostgreSQL database as postgres://USER@HOST/DATABASE", flag, postgres.Redacted(storage), scheme)}
}

// openStore opens the store named by --storage. Unless create is set, a
// missing store file is an error rather than a new empty file. A
// PostgreSQL database gets dltune's tables when it has none.
func (g *globals) openStore(ctx context.Context, create bool) (backend, error) {
	if pg, err := postgresURL(g.storageFlag(), g.storage); err != nil {
		return nil, err
	} else if pg {
		return postgres.Open(ctx, g.storage, &postgres.Options{Lease: g.lease})
	}
	if !create {
		if err := g.storeExists(); err != nil {
			return nil, err
		}
	}
	db, err := store.Open(g.storage, nil)
	if err != nil {
		return nil, err
	}
	return boltStore{db}, nil
}

// Reconnection backoff of withStore: the first wait, and the longest.
const (
	firstBackoff = time.Second
	maxBackoff   = 30 * time.Second
)

// withStore opens the store named by --storage, creating it if need be,
// and calls fn with it. On a PostgreSQL database that it reached once,
// when fn or a later opening fails for a reason that may pass (the
// connection was lost, the server restarts), it closes the store, which
// lets other workers take over the trials it held, and opens it again
// after a wait that doubles each time, from firstBackoff up to
// maxBackoff, until fn returns or ctx is cancelled. A first opening that
// fails is reported at once: the URL may be wrong.
func (g *globals) withStore(ctx context.Context, fn func(db backend) error) error {
	pg, err := postgresURL(g.storageFlag(), g.storage)
	if err != nil {
		return err
	}
	wait := firstBackoff
	reached := false
	for {
		began := time.Now()
		db, err := g.openStore(ctx, true)
		if err == nil {
			reached = true
			err = fn(db)
			db.Close()
		}
		if err == nil || !pg || !reached || ctx.Err() != nil || !postgres.Transient(err) {
			return err
		}
		if time.Since(began) > 2*maxBackoff {
			wait = firstBackoff // it worked for a while: start over
		}
		fmt.Fprintf(g.stderr, "dltune: %v\nreconnecting in %s\n", err, wait)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return errInterrupted
		}
		wait = min(2*wait, maxBackoff)
	}
}

// storeExists says how to name a store if there is none at --storage.
func (g *globals) storeExists() error {
	if _, err := os.Stat(g.storage); errors.Is(err, fs.ErrNotExist) {
		if g.flag != "" {
			return fmt.Errorf("%s %s: no store there", g.flag, g.storage)
		}
		return fmt.Errorf("no store at %s: run a study first, or name the store with --storage or $DLTUNE_STORAGE", g.storage)
	}
	return nil
}

// storageFlag returns the flag that named the store, for messages.
func (g *globals) storageFlag() string { return cmp.Or(g.flag, "--storage") }

// openReader opens the store named by --storage for reading. A store
// file is opened read-only: it never blocks a study running on it, and
// reads the snapshot that study's process keeps instead, saying so on
// standard error. A PostgreSQL database is read as it is now.
func (g *globals) openReader(ctx context.Context) (backend, error) {
	if pg, err := postgresURL(g.storageFlag(), g.storage); err != nil {
		return nil, err
	} else if pg {
		return postgres.Open(ctx, g.storage, &postgres.Options{ReadOnly: true})
	}
	if err := g.storeExists(); err != nil {
		return nil, err
	}
	db, err := store.Open(g.storage, &store.Options{ReadOnly: true})
	if errors.Is(err, store.ErrLocked) {
		return nil, fmt.Errorf("%w; a study is running on it (read it when that run ends)", err)
	}
	if err != nil {
		return nil, err
	}
	if t := db.AsOf(); !t.IsZero() {
		fmt.Fprintf(g.stderr, "a study is running on %s: showing it as of %s\n", g.storage, t.Local().Format(time.TimeOnly))
	}
	return boltStore{db}, nil
}

// openStudy opens the store for reading, as openReader does, and picks
// the named study, or the only one when name is "". The caller closes db.
func (g *globals) openStudy(ctx context.Context, name string) (db backend, study string, err error) {
	db, err = g.openReader(ctx)
	if err != nil {
		return nil, "", err
	}
	if study, err = pickStudy(ctx, db, name); err != nil {
		db.Close()
		return nil, "", err
	}
	return db, study, nil
}

// pickStudy returns name, or the only study in the store when name is empty.
func pickStudy(ctx context.Context, db backend, name string) (string, error) {
	if name != "" {
		if _, err := db.Study(ctx, name); err != nil {
			if errors.Is(err, dltune.ErrNotFound) {
				return "", fmt.Errorf("no study %q in %s (dltune studies lists them)", name, db)
			}
			return "", err
		}
		return name, nil
	}
	studies, err := db.Studies(ctx)
	if err != nil {
		return "", err
	}
	switch len(studies) {
	case 0:
		return "", fmt.Errorf("no study in %s yet", db)
	case 1:
		return studies[0].Name, nil
	}
	return "", usageError{fmt.Errorf("%s holds %d studies: choose one with --study (dltune studies lists them)", db, len(studies))}
}
