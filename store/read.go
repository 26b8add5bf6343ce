package store

import (
	"context"
	"errors"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"
)

// retryInterval is how often a read of a read-only DB looks again for the
// store or its snapshot while a writer has the store open without one.
const retryInterval = 50 * time.Millisecond

// readHandle opens a read-only bbolt handle for one read of a read-only
// DB: to the store itself if no writer has it open, else (if snapshotOK)
// to the snapshot that writer keeps. Holding the handle takes a shared
// lock, which blocks a writer's Open, so the caller closes it as soon as
// its read ends.
//
// Whether a writer has the store open is asked of the lock itself, without
// waiting: flock fails at once while a live process holds it, and a killed
// process holds none. Since a writable Open removes a stale snapshot, a
// snapshot found while the store is locked is the live writer's. readHandle
// waits, up to the DB's timeout, only while a writer has the store open
// without a snapshot (before its first one, or if it keeps none), and then
// fails with ErrLocked. It records in db.asOf where it read.
func (db *DB) readHandle(ctx context.Context, snapshotOK bool) (*bolt.DB, error) {
	deadline := time.Now().Add(db.timeout)
	snap := SnapshotPath(db.path)
	for {
		bdb, err := openBolt(db.path, true, time.Nanosecond, nil)
		if err == nil {
			if err := checkMeta(bdb, db.path); err != nil {
				bdb.Close()
				return nil, err
			}
			db.asOf.Store(0)
			return bdb, nil
		}
		if !errors.Is(err, ErrLocked) {
			return nil, err
		}
		if snapshotOK {
			if sdb, t, ok := openSnapshot(snap); ok {
				db.asOf.Store(t.UnixNano())
				return sdb, nil
			}
		}
		if !time.Now().Before(deadline) {
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(min(retryInterval, time.Until(deadline))):
		}
	}
}

// openSnapshot opens the snapshot at path read-only and returns the time
// it was written. It reports false if there is none, or none it can read
// (which a writer replaces within a second).
func openSnapshot(path string) (*bolt.DB, time.Time, bool) {
	var f *os.File
	bdb, err := openBolt(path, true, time.Nanosecond, &f)
	if err != nil {
		return nil, time.Time{}, false
	}
	// The file bbolt opened, not the one at path now: a writer renames
	// newer snapshots into place.
	fi, err := f.Stat()
	if err != nil || checkMeta(bdb, path) != nil {
		bdb.Close()
		return nil, time.Time{}, false
	}
	return bdb, fi.ModTime(), true
}

// AsOf returns when the snapshot that the latest read of a read-only DB
// came from was written, or the zero Time if that read came from the
// store itself, as every read of a writable DB does. A reader shows it
// ("as of 12:04:31") while a study runs.
func (db *DB) AsOf() time.Time {
	if ns := db.asOf.Load(); ns != 0 {
		return time.Unix(0, ns)
	}
	return time.Time{}
}
