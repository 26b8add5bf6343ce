package study

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/internal/pgtest"
	"github.com/dltune/dltune/search"
	"github.com/dltune/dltune/store/postgres"
	"github.com/dltune/dltune/trial"
)

// sharedWorkers opens n stores on one new PostgreSQL schema holding the
// empty study "s", as n worker processes would, and returns them and the
// schema's URL.
func sharedWorkers(t *testing.T, n int, opt *postgres.Options) ([]*postgres.DB, string) {
	t.Helper()
	u := pgtest.URL(t)
	dbs := make([]*postgres.DB, n)
	for i := range dbs {
		db, err := postgres.Open(context.Background(), u, opt)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs[i] = db
	}
	if err := dbs[0].CreateStudy(context.Background(), &dltune.Study{Name: "s"}); err != nil {
		t.Fatal(err)
	}
	return dbs, u
}

// runWorkers runs one loop per store at once, each with the config cfg
// makes, and returns their errors.
func runWorkers(dbs []*postgres.DB, cfg func() loopConfig, obj objective) []error {
	errs := make([]error, len(dbs))
	var wg sync.WaitGroup
	for i, db := range dbs {
		wg.Go(func() {
			_, errs[i] = loop(context.Background(), db, "s", cfg(), obj)
		})
	}
	wg.Wait()
	return errs
}

// checkShared checks a finished shared study: budget trials, each
// finished, no checkpoint left, and each promotion made once.
func checkShared(t *testing.T, db *postgres.DB, budget int) []*dltune.Trial {
	t.Helper()
	ctx := context.Background()
	trials, err := db.Trials(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	if len(trials) != budget {
		t.Errorf("%d trials, want the budget, %d", len(trials), budget)
	}
	for _, tr := range trials {
		if !tr.State.Finished() {
			t.Errorf("trial %d is %s", tr.Number, tr.State)
		}
		if _, err := db.Checkpoint(ctx, "s", tr.Number); !errors.Is(err, dltune.ErrNotFound) {
			t.Errorf("trial %d kept a checkpoint: %v", tr.Number, err)
		}
		seen := map[string]bool{}
		for _, e := range tr.Events {
			if strings.HasPrefix(e.What, "promoted") {
				if seen[e.What] {
					t.Errorf("trial %d: %q twice", tr.Number, e.What)
				}
				seen[e.What] = true
			}
		}
		for k, e := range tr.Curve {
			if e.Epoch != k+1 {
				t.Errorf("trial %d: curve entry %d is epoch %d", tr.Number, k, e.Epoch)
			}
		}
	}
	return trials
}

// TestSharedNumbersAndBudget runs three workers on one study: the budget is
// kept exactly, and every trial got its own parameters, since the sequence
// strategy's x is the number the worker reserved before asking.
func TestSharedNumbersAndBudget(t *testing.T) {
	dbs, _ := sharedWorkers(t, 3, nil)
	obj := &curveObjective{}
	const budget = 24
	cfg := func() loopConfig {
		return loopConfig{Strategy: sequence{epochs: 3}, Parallel: 2, Budget: budget, MaxEpochs: 3, Seed: 1}
	}
	for i, err := range runWorkers(dbs, cfg, obj.run) {
		if err != nil {
			t.Errorf("worker %d: %v", i, err)
		}
	}
	trials := checkShared(t, dbs[0], budget)
	xs := map[int]int{}
	for _, tr := range trials {
		x := tr.Params["x"].Int()
		if prev, dup := xs[x]; dup {
			t.Errorf("trials %d and %d both have x=%d", prev, tr.Number, x)
		}
		xs[x] = tr.Number
		if x != tr.Number {
			t.Errorf("trial %d has x=%d: it was not sampled for its own number", tr.Number, x)
		}
		if tr.State != dltune.Complete || tr.Epochs() != 3 {
			t.Errorf("trial %d: %s after %d epochs", tr.Number, tr.State, tr.Epochs())
		}
	}
	if got := obj.epochs.Load(); got != budget*3 {
		t.Errorf("trained %d epochs, want %d: none twice", got, budget*3)
	}
}

// TestSharedASHA runs asynchronous successive halving on three workers:
// each promotion is claimed by one worker only.
func TestSharedASHA(t *testing.T) {
	dbs, _ := sharedWorkers(t, 3, nil)
	obj := &curveObjective{}
	space := &search.Space{Params: []search.Param{{Name: "x", Type: search.IntRange, Low: 0, High: 1000}}}
	const budget = 27
	cfg := func() loopConfig {
		asha, err := search.NewASHA(space, search.HalvingOptions{MinEpochs: 1, MaxEpochs: 9, Eta: 3, Sampler: search.NewRandomSampler(space, 7)})
		if err != nil {
			t.Fatal(err)
		}
		return loopConfig{Strategy: asha, Parallel: 2, Budget: budget, MaxEpochs: 9, Seed: 1}
	}
	for i, err := range runWorkers(dbs, cfg, obj.run) {
		if err != nil {
			t.Errorf("worker %d: %v", i, err)
		}
	}
	trials := checkShared(t, dbs[0], budget)
	var epochs, promoted int
	for _, tr := range trials {
		epochs += tr.Epochs()
		if tr.Epochs() > 1 {
			promoted++
		}
	}
	if promoted == 0 {
		t.Error("no trial was promoted")
	}
	if got := obj.epochs.Load(); got != int64(epochs) {
		t.Errorf("trained %d epochs, the trials hold %d: a promotion ran twice or retrained", got, epochs)
	}
}

// TestSharedWorkerDies runs two workers with a third that stops in the
// middle of a trial without a word, as a killed process would: its
// heartbeat stops, the others mark its trial interrupted when its hold
// expires and continue it from its checkpoint, and the dead worker's late
// writes are refused.
func TestSharedWorkerDies(t *testing.T) {
	opt := &postgres.Options{Lease: 500 * time.Millisecond, Heartbeat: 50 * time.Millisecond}
	dbs, u := sharedWorkers(t, 2, opt)
	ghost, err := postgres.Open(context.Background(), u, &postgres.Options{Lease: 500 * time.Millisecond, Heartbeat: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer ghost.Close()

	const budget = 8
	obj := &curveObjective{}
	release := make(chan struct{})
	var hung sync.Once
	ghostObj := func(ctx context.Context, job *trial.Job) (trial.Result, error) {
		stuck := false
		o := &curveObjective{hook: func(job *trial.Job, e int) {
			if e == 2 {
				hung.Do(func() { stuck = true })
			}
		}}
		// Train two epochs with checkpoints, then hang: the process is
		// gone as far as the others can tell.
		job.Until = min(job.Until, 2)
		res, err := o.run(ctx, job)
		if stuck {
			<-release
		}
		return res, err
	}
	cfg := func() loopConfig {
		return loopConfig{Strategy: sequence{epochs: 5}, Parallel: 1, Budget: budget, MaxEpochs: 5, Seed: 1}
	}
	ghostDone := make(chan error, 1)
	go func() {
		_, err := loop(context.Background(), ghost, "s", cfg(), ghostObj)
		ghostDone <- err
	}()
	// Let the ghost start its trial before the others join.
	deadline := time.Now().Add(10 * time.Second)
	for {
		ts, _ := dbs[0].Trials(context.Background(), "s")
		if len(ts) > 0 && ts[0].Epochs() >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the ghost never trained two epochs")
		}
		time.Sleep(20 * time.Millisecond)
	}
	for i, err := range runWorkers(dbs, cfg, obj.run) {
		if err != nil {
			t.Errorf("worker %d: %v", i, err)
		}
	}
	close(release)
	if err := <-ghostDone; err != nil {
		t.Logf("ghost: %v", err)
	}
	trials := checkShared(t, dbs[0], budget)
	tr := trials[0]
	if tr.State != dltune.Complete || tr.Epochs() != 5 {
		t.Errorf("the ghost's trial: %s after %d epochs, want complete after 5", tr.State, tr.Epochs())
	}
	var interrupted, resumed bool
	for _, e := range tr.Events {
		interrupted = interrupted || strings.Contains(e.What, "stopped renewing its hold")
		resumed = resumed || e.What == "resumed from its checkpoint after epoch 2"
	}
	if !interrupted || !resumed {
		t.Errorf("the ghost's trial was not expired and resumed from epoch 2: %v", tr.Events)
	}
	if got := obj.resumed.Load(); got != 1 {
		t.Errorf("%d trials resumed from a checkpoint, want 1", got)
	}
}

// TestSharedRunsStartTogether starts three Runs of a new study at once, as
// 'dltune run' on three machines would: one creates it, the others find
// it, and together they run its budget.
func TestSharedRunsStartTogether(t *testing.T) {
	u := pgtest.URL(t)
	ctx := context.Background()
	src := strings.Replace(smallStudy, "trials: 2", "trials: 6", 1)
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Go(func() {
			db, err := postgres.Open(ctx, u, nil)
			if err != nil {
				errs[i] = err
				return
			}
			defer db.Close()
			p, err := Prepare(ctx, parse(t, src), PrepareOptions{})
			if err != nil {
				errs[i] = err
				return
			}
			_, errs[i] = p.Run(ctx, db, Options{Parallel: 1})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("run %d: %v", i, err)
		}
	}
	db, err := postgres.Open(ctx, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ts, err := db.Trials(ctx, "small")
	if err != nil || len(ts) != 6 {
		t.Fatalf("%d trials, %v; want 6", len(ts), err)
	}
	for _, tr := range ts {
		if tr.State != dltune.Complete {
			t.Errorf("trial %d is %s", tr.Number, tr.State)
		}
	}
}
