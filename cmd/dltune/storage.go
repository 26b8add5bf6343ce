package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

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
