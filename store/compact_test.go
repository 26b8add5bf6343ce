package store

import (
	"bytes"
	"errors"
	"io/fs"
	"path/filepath"
	"testing"

	"github.com/dltune/dltune"
)

func TestCompact(t *testing.T) {
	db := openTest(t)
	for _, s := range []string{"keep", "drop"} {
		if err := db.CreateStudy(bg, testStudy(s)); err != nil {
			t.Fatal(err)
		}
	}
	big := bytes.Repeat([]byte("w"), 4<<20)
	var running *dltune.Trial
	for i := range 6 {
		for _, s := range []string{"keep", "drop"} {
			tr := testTrial(1)
			if err := db.CreateTrial(bg, s, tr); err != nil {
				t.Fatal(err)
			}
			if err := db.SaveCheckpoint(bg, s, tr, big); err != nil {
				t.Fatal(err)
			}
			if i < 5 {
				tr.State = dltune.Complete
				if err := db.UpdateTrial(bg, s, tr); err != nil {
					t.Fatal(err)
				}
			} else if s == "keep" {
				running = tr
			}
		}
	}
	if err := db.DeleteStudy(bg, "drop"); err != nil {
		t.Fatal(err)
	}
	want, err := db.Trials(bg, "keep")
	if err != nil {
		t.Fatal(err)
	}

	dst := filepath.Join(t.TempDir(), "compact.db")
	if err := db.Compact(bg, dst); err != nil {
		t.Fatal(err)
	}
	if err := db.Compact(bg, dst); !errors.Is(err, fs.ErrExist) {
		t.Errorf("Compact onto an existing file = %v, want fs.ErrExist", err)
	}
	if before, after := fileSize(t, db.Path()), fileSize(t, dst); after >= before {
		t.Errorf("compacted copy is %d bytes, the store %d", after, before)
	} else {
		t.Logf("store %d bytes, compacted %d", before, after)
	}

	c, err := Open(dst, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got, err := c.Trials(bg, "keep")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("compacted store has %d trials, want %d", len(got), len(want))
	}
	for i := range got {
		if canon(got[i]) != canon(want[i]) {
			t.Errorf("trial %d differs after Compact", i)
		}
	}
	if ck, err := c.Checkpoint(bg, "keep", running.Number); err != nil || !bytes.Equal(ck, big) {
		t.Errorf("running trial's checkpoint after Compact: %d bytes, %v", len(ck), err)
	}
	if _, err := c.Study(bg, "drop"); !errors.Is(err, dltune.ErrNotFound) {
		t.Errorf("deleted study is back after Compact: %v", err)
	}
	// Numbering continues where it stopped.
	next := testTrial(0)
	if err := c.CreateTrial(bg, "keep", next); err != nil || next.Number != len(want) {
		t.Errorf("next trial after Compact is %d (%v), want %d", next.Number, err, len(want))
	}
}
