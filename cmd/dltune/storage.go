package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/store"
)

// openStore opens the store named by --storage. Unless create is set, a
// missing store is an error rather than a new empty file.
func (g *globals) openStore(create bool) (*store.DB, error) {
	if !create {
		if err := g.storeExists(); err != nil {
			return nil, err
		}
	}
	return store.Open(g.storage, nil)
}

// storeExists says how to name a store if there is none at --storage.
func (g *globals) storeExists() error {
	if _, err := os.Stat(g.storage); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("no store at %s: run a study first, or name the store with --storage or $DLTUNE_STORAGE", g.storage)
	}
	return nil
}

// openReader opens the store named by --storage for reading, read-only:
// it never blocks a study running on the store, and reads the snapshot
// that study's process keeps instead, saying so on standard error.
func (g *globals) openReader() (*store.DB, error) {
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
	return db, nil
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
