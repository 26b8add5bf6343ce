package store

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// SnapshotPath returns where a writer keeps the snapshot of the store at
// path for readers (see KeepSnapshot): .NAME.snapshot beside it.
func SnapshotPath(path string) string {
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".snapshot")
}

// Snapshot writes a copy of the store's studies and trials, without their
// checkpoints, to a new store at dst, replacing any file there atomically.
// The copy has the permissions of the store's file, so it shows no one
// more than the store does. It is one consistent read transaction, taken
// while writers go on.
func (db *DB) Snapshot(ctx context.Context, dst string) error {
	err := db.snapshot(ctx, dst)
	if err != nil {
		return fmt.Errorf("snapshot %s to %s: %w", db.path, dst, err)
	}
	return nil
}

func (db *DB) snapshot(ctx context.Context, dst string) error {
	fi, err := os.Stat(db.path)
	if err != nil {
		return pathErr(err)
	}
	tmp, err := buildTemp(dst, fi.Mode().Perm(), func(out *bolt.DB) error {
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
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, dst); err != nil {
		os.Remove(tmp)
		return pathErr(err)
	}
	return nil
}

// copyBucket copies src into dst, nested buckets too, but for the contents
// of checkpoint and weights buckets.
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
		if bytes.Equal(k, checkpointsBucket) || bytes.Equal(k, weightsBucket) {
			continue
		}
		if err := copyBucket(nb, src.Bucket(k)); err != nil {
			return err
		}
	}
	return nil
}

// KeepSnapshot keeps a snapshot of the store at SnapshotPath(db.Path())
// while db has it open, so that read-only DBs (dltune leaderboard, a
// dashboard) can read a running study without the writer's lock: the
// first before it returns, so that readers find one from then on, then
// one every interval if the store changed since the last. The
// returned stop ends it, waits for a snapshot in progress and removes the
// snapshot; Close calls it too. A snapshot that fails only costs readers
// freshness, so its error is dropped. KeepSnapshot on a read-only DB, or
// a second time, does nothing.
func (db *DB) KeepSnapshot(interval time.Duration) (stop func()) {
	if db.readOnly {
		return func() {}
	}
	k := &keeper{done: make(chan struct{})}
	if !db.keeper.CompareAndSwap(nil, k) {
		return func() {}
	}
	path := SnapshotPath(db.path)
	last := int64(-1) // commits at the latest snapshot
	take := func() {
		if n := db.commits.Load(); n != last {
			if db.snapshot(context.Background(), path) == nil {
				last = n
			}
		}
	}
	take()
	k.wg.Add(1)
	go func() {
		defer k.wg.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-k.done:
				os.Remove(path)
				return
			case <-t.C:
				take()
			}
		}
	}()
	return func() {
		if db.keeper.CompareAndSwap(k, nil) {
			k.stop()
		}
	}
}

// A keeper is the goroutine of KeepSnapshot.
type keeper struct {
	done chan struct{}
	wg   sync.WaitGroup
}

func (k *keeper) stop() {
	close(k.done)
	k.wg.Wait()
}

// removeLeftovers removes, beside the store at path, what a process killed
// while it had the store open may have left: its snapshot, now stale, and
// the temporary files of an interrupted snapshot or creation (a full disk
// at creation leaves an empty one). The caller holds the store's lock, so
// no live process writes a snapshot of it. A process creating the store at
// this moment may lose its temporary file, and then finds the store
// already created, as it would have anyway. It is best-effort: an error
// costs disk space, not data.
func removeLeftovers(path string) {
	snap := SnapshotPath(path)
	dir := filepath.Dir(path)
	snapBase := filepath.Base(snap)
	prefixes := []string{
		filepath.Base(tempPrefix(path)),
		filepath.Base(tempPrefix(snap)),
		// Earlier versions built snapshots under these names.
		"." + snapBase + ".tmp",
		".." + snapBase + ".tmp",
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() {
			continue
		}
		if name == snapBase || isTemp(name, prefixes) {
			os.Remove(filepath.Join(dir, name))
		}
	}
}

// isTemp reports whether name is one of a prefix followed by a random
// suffix in base 36 (and, for the earlier versions' names, ".tmp").
func isTemp(name string, prefixes []string) bool {
	for _, p := range prefixes {
		rest, ok := strings.CutPrefix(name, p)
		if ok && rest != "" && strings.Trim(rest, "0123456789abcdefghijklmnopqrstuvwxyz.") == "" {
			return true
		}
	}
	return false
}
