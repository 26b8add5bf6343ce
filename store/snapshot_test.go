package store

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dltune/dltune"
)

func TestSnapshot(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(filepath.Join(dir, "s.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if err := db.CreateStudy(ctx, &dltune.Study{Name: "a", Spec: []byte("spec")}); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		tr := &dltune.Trial{State: dltune.Running, Params: dltune.Params{"x": dltune.Int(i)}, RetryOf: -1,
			Curve: []dltune.Epoch{{Epoch: 1, ValLoss: float64(i)}}}
		if err := db.CreateTrial(ctx, "a", tr); err != nil {
			t.Fatal(err)
		}
		if err := db.SaveCheckpoint(ctx, "a", tr, []byte("ckpt")); err != nil {
			t.Fatal(err)
		}
	}
	snap := filepath.Join(dir, "snap.db")
	for range 2 { // the second replaces the first
		if err := db.Snapshot(ctx, snap); err != nil {
			t.Fatal(err)
		}
	}
	s, err := Open(snap, &Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	trials, err := s.Trials(ctx, "a")
	if err != nil || len(trials) != 3 || trials[2].Curve[0].ValLoss != 2 {
		t.Fatalf("snapshot trials = %v, %v; want the 3 trials", trials, err)
	}
	if _, err := s.Checkpoint(ctx, "a", 0); !errors.Is(err, dltune.ErrNotFound) {
		t.Errorf("snapshot has a checkpoint (err %v); want none", err)
	}
	if st, err := s.Study(ctx, "a"); err != nil || string(st.Spec) != "spec" {
		t.Errorf("snapshot study = %v, %v", st, err)
	}
	// A reader of the snapshot sees the writer's revision: 3 trials
	// created and checkpointed.
	if want, _ := db.Revision(ctx, "a"); want != 6 {
		t.Errorf("store revision %d, want 6", want)
	} else if got, err := s.Revision(ctx, "a"); got != want || err != nil {
		t.Errorf("snapshot revision %d, %v; want %d", got, err, want)
	}
	// The original goes on numbering where it was.
	tr := &dltune.Trial{State: dltune.Running, RetryOf: -1}
	if err := db.CreateTrial(ctx, "a", tr); err != nil || tr.Number != 3 {
		t.Errorf("next trial number %d, %v; want 3", tr.Number, err)
	}
}

// TestReadWhileWriting reads a store that a writer in this process has
// open: from the snapshot the writer keeps, at once, and the store itself
// once the writer has closed it. A reader that keeps its DB open does not
// block the writer.
func TestReadWhileWriting(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dltune.db")
	db, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateStudy(bg, testStudy("s")); err != nil {
		t.Fatal(err)
	}
	db.Close()

	// A reader that has read and keeps its DB does not block a writer.
	r, err := Open(path, &Options{ReadOnly: true, Timeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.Studies(bg); err != nil {
		t.Fatal(err)
	}
	db, err = Open(path, &Options{Timeout: -1})
	if err != nil {
		t.Fatalf("writable Open while a reader has the store open: %v", err)
	}
	defer db.Close()

	// While the writer keeps no snapshot, a read fails after the timeout.
	if _, err := r.Studies(bg); !errors.Is(err, ErrLocked) {
		t.Errorf("read while a writer keeps no snapshot = %v, want ErrLocked", err)
	}
	if _, err := Open(path, &Options{ReadOnly: true, Timeout: -1}); !errors.Is(err, ErrLocked) {
		t.Errorf("read-only Open while a writer keeps no snapshot = %v, want ErrLocked", err)
	}

	stop := db.KeepSnapshot(time.Hour)
	snap := SnapshotPath(path)
	fi, err := os.Stat(snap)
	if err != nil {
		t.Fatalf("no snapshot once KeepSnapshot returned: %v", err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("snapshot mode %v, want the store's, 0600", fi.Mode().Perm())
	}
	// With the default timeout: a read that waited for the lock would
	// take DefaultTimeout.
	start := time.Now()
	r2, err := Open(path, &Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("read-only Open while a writer keeps a snapshot: %v", err)
	}
	defer r2.Close()
	studies, err := r2.Studies(bg)
	if elapsed := time.Since(start); elapsed >= DefaultTimeout {
		t.Errorf("Open and Studies from the snapshot took %v, as long as waiting for the lock", elapsed)
	}
	if err != nil || len(studies) != 1 || studies[0].Name != "s" {
		t.Fatalf("Studies from the snapshot = %v, %v", studies, err)
	}
	if got := r2.AsOf(); !got.Equal(fi.ModTime()) {
		t.Errorf("AsOf = %v, want the snapshot's time %v", got, fi.ModTime())
	}
	// The reader that opened before the snapshot reads it too.
	if _, err := r.Studies(bg); err != nil || r.AsOf().IsZero() {
		t.Errorf("Studies = %v, as of %v; want the snapshot", err, r.AsOf())
	}
	// Checkpoints are not in the snapshot: a reader waits for the store.
	tr := testTrial(1)
	if err := db.CreateTrial(bg, "s", tr); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveCheckpoint(bg, "s", tr, []byte("ckpt")); err != nil {
		t.Fatal(err)
	}
	r3, err := Open(path, &Options{ReadOnly: true, Timeout: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer r3.Close()
	if _, err := r3.Checkpoint(bg, "s", 0); !errors.Is(err, ErrLocked) {
		t.Errorf("Checkpoint while a writer has the store = %v, want ErrLocked", err)
	}

	stop()
	if _, err := os.Stat(snap); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("snapshot left after stop (%v)", err)
	}
	db.Close()
	// The writer is gone: the store itself, with its checkpoint.
	if c, err := r3.Checkpoint(bg, "s", 0); err != nil || string(c) != "ckpt" {
		t.Errorf("Checkpoint after the writer closed = %q, %v", c, err)
	}
	trials, err := r.Trials(bg, "s")
	if err != nil || len(trials) != 1 || !r.AsOf().IsZero() {
		t.Errorf("Trials after the writer closed = %d trials, %v, as of %v; want 1 from the store", len(trials), err, r.AsOf())
	}
}

// TestKeepSnapshotFollows checks that the kept snapshot follows the store:
// retaken after a change, within the interval.
func TestKeepSnapshotFollows(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dltune.db")
	db, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.CreateStudy(bg, testStudy("s")); err != nil {
		t.Fatal(err)
	}
	db.KeepSnapshot(10 * time.Millisecond)
	r, err := Open(path, &Options{ReadOnly: true, Timeout: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := db.CreateTrial(bg, "s", testTrial(1)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		trials, err := r.Trials(bg, "s")
		if err != nil {
			t.Fatal(err)
		}
		if len(trials) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the snapshot never showed the new trial")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Close stops the keeper and removes the snapshot.
	db.Close()
	if _, err := os.Stat(SnapshotPath(path)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("snapshot left after Close (%v)", err)
	}
}
