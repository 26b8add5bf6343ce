package store

import (
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"

	"github.com/dltune/dltune"
)

// TestConcurrentCreateTrial creates trials from many goroutines at once,
// each also updating and checkpointing its trials, and checks that the
// numbers are unique and consecutive and every record is whole.
func TestConcurrentCreateTrial(t *testing.T) {
	const workers, perWorker = 16, 25
	db := openTest(t)
	for _, s := range []string{"a", "b"} {
		if err := db.CreateStudy(bg, testStudy(s)); err != nil {
			t.Fatal(err)
		}
	}
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		numbers = map[string][]int{}
	)
	for w := range workers {
		study := []string{"a", "b"}[w%2]
		wg.Go(func() {
			for i := range perWorker {
				tr := testTrial(0)
				tr.Params["worker"] = dltune.Int(w)
				tr.Params["i"] = dltune.Int(i)
				if err := db.CreateTrial(bg, study, tr); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				numbers[study] = append(numbers[study], tr.Number)
				mu.Unlock()
				addEpoch(tr)
				if err := db.SaveCheckpoint(bg, study, tr, fmt.Appendf(nil, "%d/%d", tr.Number, tr.Epochs())); err != nil {
					t.Error(err)
				}
				addEpoch(tr)
				if i%2 == 0 {
					tr.State = dltune.Complete
				}
				if err := db.UpdateTrial(bg, study, tr); err != nil {
					t.Error(err)
				}
			}
		})
	}
	// Readers run alongside the writers.
	for range 2 {
		wg.Go(func() {
			for range 20 {
				if _, err := db.Trials(bg, "a"); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	changes := 2 + workers*perWorker*3
	commits := int(db.commits.Load())
	t.Logf("%d changes in %d commits", changes, commits)
	if commits >= changes {
		t.Errorf("%d changes took %d commits: concurrent writers did not share commits", changes, commits)
	}

	for _, study := range []string{"a", "b"} {
		got := numbers[study]
		sort.Ints(got)
		for i, n := range got {
			if n != i {
				t.Fatalf("study %s: numbers %v are not 0..%d, each once", study, got, len(got)-1)
			}
		}
		if len(got) != workers/2*perWorker {
			t.Errorf("study %s: %d trials, want %d", study, len(got), workers/2*perWorker)
		}
		trials, err := db.Trials(bg, study)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[[2]int]bool{}
		for i, tr := range trials {
			if tr.Number != i || tr.Epochs() != 2 {
				t.Errorf("study %s trial %d: number %d, %d epochs", study, i, tr.Number, tr.Epochs())
			}
			key := [2]int{tr.Params["worker"].Int(), tr.Params["i"].Int()}
			if seen[key] {
				t.Errorf("study %s: worker %d trial %d stored twice", study, key[0], key[1])
			}
			seen[key] = true
			c, err := db.Checkpoint(bg, study, tr.Number)
			switch {
			case tr.State.Finished() && !errors.Is(err, dltune.ErrNotFound):
				t.Errorf("study %s trial %d is %s but has a checkpoint (%v)", study, i, tr.State, err)
			case !tr.State.Finished() && string(c) != fmt.Sprintf("%d/1", tr.Number):
				t.Errorf("study %s trial %d: checkpoint %q, %v", study, i, c, err)
			}
		}
	}
}

// TestGroupCommitIsolation runs failing and succeeding changes together:
// a change that fails must not undo the others committed with it, and a
// change that succeeds must be stored.
func TestGroupCommitIsolation(t *testing.T) {
	db := openTest(t)
	if err := db.CreateStudy(bg, testStudy("s")); err != nil {
		t.Fatal(err)
	}
	const n = 200
	var wg sync.WaitGroup
	created := make([]*dltune.Trial, n)
	for i := range n {
		wg.Go(func() {
			if i%3 == 0 {
				// Fails: no such study, or no such trial.
				err := db.CreateTrial(bg, "missing", testTrial(0))
				if !errors.Is(err, dltune.ErrNotFound) {
					t.Errorf("CreateTrial(missing) = %v", err)
				}
				ghost := testTrial(0)
				ghost.Number = 1_000_000 + i
				if err := db.UpdateTrial(bg, "s", ghost); !errors.Is(err, dltune.ErrNotFound) {
					t.Errorf("UpdateTrial(ghost) = %v", err)
				}
				return
			}
			tr := testTrial(1)
			tr.Params["i"] = dltune.Int(i)
			if err := db.CreateTrial(bg, "s", tr); err != nil {
				t.Error(err)
			}
			created[i] = tr
		})
	}
	wg.Wait()
	trials, err := db.Trials(bg, "s")
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, tr := range created {
		if tr == nil {
			continue
		}
		want++
		if tr.Number >= len(trials) || trials[tr.Number].Params["i"] != tr.Params["i"] {
			t.Errorf("trial %d (i=%v) not stored as created", tr.Number, tr.Params["i"])
		}
	}
	if len(trials) != want {
		t.Errorf("%d trials stored, want %d", len(trials), want)
	}
}
