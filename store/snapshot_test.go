package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

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
	// The original goes on numbering where it was.
	tr := &dltune.Trial{State: dltune.Running, RetryOf: -1}
	if err := db.CreateTrial(ctx, "a", tr); err != nil || tr.Number != 3 {
		t.Errorf("next trial number %d, %v; want 3", tr.Number, err)
	}
}
