package postgres_test

import (
	"context"
	"testing"

	"github.com/dltune/dltune/internal/pgtest"
	"github.com/dltune/dltune/store/postgres"
	"github.com/dltune/dltune/store/storetest"
	"github.com/dltune/dltune/study"
)

// open opens a store on a new schema of the test server.
// Every store of dltune keeps weights.
var _ study.WeightStore = (*postgres.DB)(nil)

func open(t *testing.T) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), pgtest.URL(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestConformance(t *testing.T) {
	pgtest.Server(t)
	storetest.Run(t, func(t *testing.T) study.Store { return open(t) })
}
