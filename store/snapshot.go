package store

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"

	bolt "go.etcd.io/bbolt"
)

// Snapshot writes a copy of the store's studies and trials, without their
// checkpoints, to a new store at dst, replacing any file there atomically.
// The copy is one consistent read transaction, taken while writers go on.
//
// A running study holds its store's lock, so read-only tools cannot open
// it; the study's process writes snapshots that they open instead.
func (db *DB) Snapshot(ctx context.Context, dst string) error {
	tmp := filepath.Join(filepath.Dir(dst), "."+filepath.Base(dst)+".tmp"+strconv.FormatUint(rand.Uint64(), 36))
	err := build(tmp, func(out *bolt.DB) error {
		return db.view(ctx, func(tx *bolt.Tx) error {
			return out.Update(func(otx *bolt.Tx) error {
				return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
					ob, err := otx.CreateBucket(name)
					if err != nil {
						return err
					}
					return copyBucket(ob, b)
				})
			})
		})
	})
	if err == nil {
		if err = os.Rename(tmp, dst); err != nil {
			os.Remove(tmp)
		}
	}
	if err != nil {
		return fmt.Errorf("snapshot %s to %s: %w", db.path, dst, err)
	}
	return nil
}

// copyBucket copies src into dst, nested buckets too, but for the contents
// of checkpoint buckets.
func copyBucket(dst, src *bolt.Bucket) error {
	if err := dst.SetSequence(src.Sequence()); err != nil {
		return err
	}
	c := src.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if v != nil {
			if err := dst.Put(k, v); err != nil {
				return err
			}
			continue
		}
		nb, err := dst.CreateBucket(k)
		if err != nil {
			return err
		}
		if bytes.Equal(k, checkpointsBucket) {
			continue
		}
		if err := copyBucket(nb, src.Bucket(k)); err != nil {
			return err
		}
	}
	return nil
}
