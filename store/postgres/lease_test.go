package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/dltune/dltune/internal/pgtest"
	"github.com/dltune/dltune/store/postgres"
)

// TestTinyLease opens a store with a lease of nanoseconds, whose tenth
// was once a heartbeat of zero that made the heartbeat's ticker panic.
func TestTinyLease(t *testing.T) {
	pgtest.Server(t)
	db, err := postgres.Open(context.Background(), pgtest.URL(t), &postgres.Options{Lease: 5 * time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond) // a few beats
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}
