package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/store"
)

// openStore opens the store named by --storage. Unless create is set, a
// missing store is an error rather than a new empty file.
func (g *globals) openStore(create bool) (*store.DB, error) {
	if !create {
		if _, err := os.Stat(g.storage); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("no store at %s: run a study first, or name the store with --storage or $DLTUNE_STORAGE", g.storage)
		}
	}
	return store.Open(g.storage, nil)
}

// snapshotPath is where a running study keeps a snapshot of the store
// at path for read-only commands: .NAME.snapshot beside it.
func snapshotPath(path string) string {
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".snapshot")
}

// openReader opens the store named by --storage for reading. While a study
// runs on it (the store is locked), it opens the snapshot that study's
// process keeps up to date instead, and says so on standard error.
func (g *globals) openReader() (*store.DB, error) {
	db, err := g.openStore(false)
	if !errors.Is(err, store.ErrLocked) {
		return db, err
	}
	snap := snapshotPath(g.storage)
	info, serr := os.Stat(snap)
	if serr != nil {
		return nil, fmt.Errorf("%w; a study is running on it (read it when that run ends)", err)
	}
	sdb, serr := store.Open(snap, &store.Options{ReadOnly: true})
	if serr != nil {
		return nil, err
	}
	fmt.Fprintf(g.stderr, "a study is running on %s: showing it as of %s\n", g.storage, info.ModTime().Local().Format(time.TimeOnly))
	return sdb, nil
}

// snapshots keeps a snapshot of db for read-only commands while a study
// runs: every interval, if mark was called since the last one. The
// returned stop waits for the snapshotter and removes the snapshot.
func snapshots(db *store.DB, interval time.Duration) (mark func(), stop func()) {
	path := snapshotPath(db.Path())
	dirty := make(chan struct{}, 1)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		take := true // the first one at once, so readers find one early
		for {
			if take {
				// A failed snapshot only costs readers freshness.
				_ = db.Snapshot(context.Background(), path)
			}
			select {
			case <-done:
				return
			case <-t.C:
				select {
				case <-dirty:
					take = true
				default:
					take = false
				}
			}
		}
	}()
	mark = func() {
		select {
		case dirty <- struct{}{}:
		default:
		}
	}
	stop = func() {
		close(done)
		wg.Wait()
		os.Remove(path)
	}
	return mark, stop
}

// pickStudy returns name, or the only study in the store when name is empty.
func pickStudy(ctx context.Context, db *store.DB, name string) (string, error) {
	if name != "" {
		if _, err := db.Study(ctx, name); err != nil {
			if errors.Is(err, dltune.ErrNotFound) {
				return "", fmt.Errorf("no study %q in %s (dltune studies lists them)", name, db.Path())
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
		return "", fmt.Errorf("no study in %s yet", db.Path())
	case 1:
		return studies[0].Name, nil
	}
	return "", usageError{fmt.Errorf("%s holds %d studies: choose one with --study (dltune studies lists them)", db.Path(), len(studies))}
}
