package store

import (
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// compactTxSize bounds the size of each transaction Compact writes.
const compactTxSize = 64 << 20

// Compact writes a compacted copy of the store to a new file at dst: the
// same studies, trials and checkpoints, without the free pages that
// deleted checkpoints and replaced records leave in the file. The store's
// file never shrinks by itself; replacing it with its compacted copy (while
// no process has it open) reclaims the space. dst must not exist; it
// appears complete or not at all. Compact reads a consistent snapshot and
// runs concurrently with other methods. ctx is checked before it starts.
// Like the store, the copy has mode 0600.
func (db *DB) Compact(ctx context.Context, dst string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	// A snapshot has no checkpoints: compact the store itself.
	err := db.withBolt(ctx, false, func(src *bolt.DB) error {
		return build(dst, 0o600, func(bdb *bolt.DB) error {
			return bolt.Compact(bdb, src, compactTxSize)
		})
	})
	if err != nil {
		return fmt.Errorf("compact %s to %s: %w", db.path, dst, err)
	}
	return nil
}
