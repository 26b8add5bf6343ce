package store_test

import (
	"path/filepath"
	"testing"

	"github.com/dltune/dltune/store"
	"github.com/dltune/dltune/store/storetest"
	"github.com/dltune/dltune/study"
)

// Every store of dltune keeps weights.
var _ study.WeightStore = (*store.DB)(nil)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) study.Store {
		db, err := store.Open(filepath.Join(t.TempDir(), "dltune.db"), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	})
}
