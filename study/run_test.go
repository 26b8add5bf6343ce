package study

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/internal/memstore"
	"github.com/dltune/dltune/search"
	"github.com/dltune/dltune/trial"
)

// newMemStore returns an in-memory store holding an empty study "s", the
// study the loop's tests run. It refuses a write that drops what the loop
// must never drop (see keeps), and its TrialSummaries strips trials as the
// bbolt store does, so that a loop that wrote a summary back would be
// caught.
func newMemStore() *memstore.Mem {
	m := memstore.New()
	if err := m.CreateStudy(context.Background(), &dltune.Study{Name: "s"}); err != nil {
		panic(err)
	}
	m.SetGuard(keeps)
	return m
}

// keeps fails if the record t, written over old, loses what the loop must
// never drop: it only adds events, keeps the diagnostics and metrics of
// the epochs it keeps, the filters of a trial that has not restarted, and
// the stderr of a command trial.
func keeps(old, t *dltune.Trial) error {
	if len(t.Events) < len(old.Events) {
		return fmt.Errorf("trial %d: the write drops %d of its %d events", t.Number, len(old.Events)-len(t.Events), len(old.Events))
	}
	for i := range min(len(old.Curve), len(t.Curve)) {
		if len(old.Curve[i].Layers) > 0 && len(t.Curve[i].Layers) == 0 {
			return fmt.Errorf("trial %d: the write drops the diagnostics of epoch %d", t.Number, i+1)
		}
		if len(old.Curve[i].Metrics) > 0 && len(t.Curve[i].Metrics) == 0 {
			return fmt.Errorf("trial %d: the write drops the metrics of epoch %d", t.Number, i+1)
		}
	}
	if old.Stderr != "" && t.Stderr == "" {
		return fmt.Errorf("trial %d: the write drops its stderr", t.Number)
	}
	if old.Filters != nil && t.Filters == nil && t.Epochs() >= old.Filters.Epoch {
		return fmt.Errorf("trial %d: the write drops its filters", t.Number)
	}
	return nil
}

// sequence starts trials with x = 0, 1, 2, ... until the budget is used.
type sequence struct{ epochs int }

func (s sequence) Next(h *search.History) (search.Decision, error) {
	if h.Started() >= h.Budget {
		return search.Decision{Action: search.Done}, nil
	}
	return search.Decision{Action: search.Start, Params: dltune.Params{"x": dltune.Int(h.Next)}, Epochs: s.epochs}, nil
}

// curveObjective trains a fake trial: epoch e of a trial with x has
// validation loss x+1/e. The checkpoint is the epoch count. It fails trials
// whose x is in failX, and calls hook after each epoch.
type curveObjective struct {
	failX   map[int]bool
	filters bool // return filters of one weight, 10x + epochs, on success
	hook    func(job *trial.Job, epoch int)
	resumed atomic.Int64 // jobs that started from a checkpoint
	epochs  atomic.Int64 // epochs trained in all
}

func (o *curveObjective) run(ctx context.Context, job *trial.Job) (trial.Result, error) {
	x := job.Params["x"].Int()
	e := job.Done
	if job.Checkpoint != nil {
		o.resumed.Add(1)
		if got := int(binary.BigEndian.Uint64(job.Checkpoint)); got != job.Done {
			return trial.Result{}, fmt.Errorf("checkpoint at epoch %d, job says %d", got, job.Done)
		}
	} else if job.Done != 0 {
		return trial.Result{}, fmt.Errorf("no checkpoint but %d epochs done", job.Done)
	}
	for e < job.Until {
		if err := ctx.Err(); err != nil {
			return trial.Result{Epochs: e, Checkpoint: binary.BigEndian.AppendUint64(nil, uint64(e))}, err
		}
		if o.failX[x] && e == 1 {
			return trial.Result{Epochs: e}, errors.New("diverged at epoch 2, batch 3: NaN in loss")
		}
		e++
		o.epochs.Add(1)
		ck := trial.State{Checkpoint: func() ([]byte, error) { return binary.BigEndian.AppendUint64(nil, uint64(e)), nil }}
		layers := []dltune.LayerStats{{Name: "dense1", GradRMS: float64(e), GradHist: []int{x, e}}}
		stop, err := job.Report(dltune.Epoch{ValLoss: float64(x) + 1/float64(e), TrainLoss: float64(x), Layers: layers}, ck)
		if err != nil {
			return trial.Result{Epochs: e}, err
		}
		if o.hook != nil {
			o.hook(job, e)
		}
		if stop {
			return trial.Result{Epochs: e, Pruned: true, Filters: o.filtersAt(x, e)}, nil
		}
	}
	return trial.Result{Epochs: e, Filters: o.filtersAt(x, e)}, nil
}

func (o *curveObjective) filtersAt(x, e int) *dltune.Filters {
	if !o.filters {
		return nil
	}
	return &dltune.Filters{Shape: [4]int{1, 1, 1, 1}, Epoch: e, Data: []float32{float32(10*x + e)}}
}

func checkStudy(t *testing.T, st *memstore.Mem, name string, budget, maxEpochs int) []*dltune.Trial {
	t.Helper()
	trials, _ := st.Trials(context.Background(), name)
	if len(trials) != budget {
		t.Fatalf("%d trials, want %d", len(trials), budget)
	}
	for i, tr := range trials {
		if tr.Number != i {
			t.Errorf("trial %d has number %d", i, tr.Number)
		}
		if !tr.State.Finished() {
			t.Errorf("trial %d is %s, want finished", i, tr.State)
		}
		for k, e := range tr.Curve {
			if e.Epoch != k+1 {
				t.Errorf("trial %d: curve entry %d is epoch %d", i, k, e.Epoch)
			}
		}
		if tr.State == dltune.Complete && tr.Epochs() != maxEpochs {
			t.Errorf("trial %d complete after %d epochs, want %d", i, tr.Epochs(), maxEpochs)
		}
	}
	return trials
}

func TestRunBudgetAndStates(t *testing.T) {
	for _, parallel := range []int{1, 3} {
		t.Run(fmt.Sprint("parallel", parallel), func(t *testing.T) {
			st := newMemStore()
			obj := &curveObjective{failX: map[int]bool{3: true}}
			var last Status
			ended := map[int]int{}
			cfg := loopConfig{Strategy: sequence{epochs: 4}, Parallel: parallel, Budget: 10, MaxEpochs: 4, Seed: 1,
				Progress: func(s Status) {
					last = s
					for _, t := range s.Ended {
						ended[t.Number]++
					}
				}}
			sum, err := loop(context.Background(), st, "s", cfg, obj.run)
			if err != nil {
				t.Fatal(err)
			}
			trials := checkStudy(t, st, "s", 10, 4)
			for _, tr := range trials {
				want := dltune.Complete
				if tr.Number == 3 {
					want = dltune.Failed
				}
				if tr.State != want {
					t.Errorf("trial %d is %s, want %s", tr.Number, tr.State, want)
				}
			}
			if trials[3].Error == "" {
				t.Error("failed trial has no error")
			}
			if sum.Finished != 10 || sum.Failed != 1 || sum.BestTrial != 0 || sum.Best != 0.25 {
				t.Errorf("summary %+v, want 10 finished, 1 failed, best trial 0 at 0.25", sum.Status)
			}
			if last.Finished != 10 {
				t.Errorf("last progress %+v, want 10 finished", last)
			}
			for n := 0; n < 10; n++ {
				if ended[n] != 1 {
					t.Errorf("progress told trial %d ended %d times, want once", n, ended[n])
				}
			}
			if n := st.Checkpoints("s"); n != 0 {
				t.Errorf("%d checkpoints left after the study finished", n)
			}
		})
	}
}

func TestRunInterruptAndResume(t *testing.T) {
	st := newMemStore()
	ctx, cancel := context.WithCancel(context.Background())
	obj := &curveObjective{}
	var epochs atomic.Int64
	obj.hook = func(job *trial.Job, e int) {
		if epochs.Add(1) == 7 {
			cancel()
		}
	}
	cfg := loopConfig{Strategy: sequence{epochs: 5}, Parallel: 2, Budget: 6, MaxEpochs: 5, Seed: 1}
	sum, err := loop(ctx, st, "s", cfg, obj.run)
	if !errors.Is(err, context.Canceled) || sum == nil || !sum.Interrupted {
		t.Fatalf("Run = %+v, %v; want interrupted", sum, err)
	}
	trials, _ := st.Trials(context.Background(), "s")
	var interrupted int
	finished := map[int]*dltune.Trial{}
	for _, tr := range trials {
		switch {
		case tr.State == dltune.Interrupted:
			interrupted++
			if _, err := st.Checkpoint(context.Background(), "s", tr.Number); err != nil {
				t.Errorf("interrupted trial %d has no checkpoint: %v", tr.Number, err)
			}
		case tr.State.Finished():
			finished[tr.Number] = tr
		default:
			t.Errorf("trial %d is %s after interruption", tr.Number, tr.State)
		}
	}
	if interrupted == 0 {
		t.Fatal("no trial was interrupted")
	}

	obj.hook = nil
	sum, err = loop(context.Background(), st, "s", cfg, obj.run)
	if err != nil {
		t.Fatal(err)
	}
	after := checkStudy(t, st, "s", 6, 5)
	for n, before := range finished {
		if after[n].Loss() != before.Loss() || after[n].Epochs() != before.Epochs() {
			t.Errorf("finished trial %d changed on resume", n)
		}
	}
	if got := obj.resumed.Load(); got != int64(interrupted) {
		t.Errorf("%d jobs resumed from a checkpoint, want %d", got, interrupted)
	}
	// No epoch was trained twice: the checkpoints were taken after every epoch.
	if got := obj.epochs.Load(); got != 6*5 {
		t.Errorf("trained %d epochs in all, want %d", got, 6*5)
	}
	if sum.Finished != 6 {
		t.Errorf("summary %+v", sum.Status)
	}
}

// crashLeftovers simulates a process killed while trials ran: their stored
// state is still Running.
func TestRunContinuesTrialsOfADeadProcess(t *testing.T) {
	st := newMemStore()
	ctx := context.Background()
	st.CreateStudy(ctx, &dltune.Study{Name: "s"})
	withCkpt := &dltune.Trial{Params: dltune.Params{"x": dltune.Int(0)}, State: dltune.Running, Budget: 3, RetryOf: -1,
		Curve: []dltune.Epoch{{Epoch: 1, ValLoss: 1}}}
	st.CreateTrial(ctx, "s", withCkpt)
	st.SaveCheckpoint(ctx, "s", withCkpt, binary.BigEndian.AppendUint64(nil, 1))
	noCkpt := &dltune.Trial{Params: dltune.Params{"x": dltune.Int(1)}, State: dltune.Running, Budget: 3, RetryOf: -1}
	st.CreateTrial(ctx, "s", noCkpt)

	obj := &curveObjective{}
	cfg := loopConfig{Strategy: sequence{epochs: 3}, Parallel: 2, Budget: 3, MaxEpochs: 3}
	if _, err := loop(ctx, st, "s", cfg, obj.run); err != nil {
		t.Fatal(err)
	}
	trials := checkStudy(t, st, "s", 3, 3)
	if obj.resumed.Load() != 1 {
		t.Errorf("%d trials resumed from a checkpoint, want 1", obj.resumed.Load())
	}
	if got := obj.epochs.Load(); got != 2+3+3 {
		t.Errorf("trained %d epochs, want 8", got)
	}
	var sawInterrupted bool
	for _, e := range trials[0].Events {
		if e.What == "interrupted: its process stopped while it ran" {
			sawInterrupted = true
		}
	}
	if !sawInterrupted {
		t.Errorf("trial 0's history does not tell it was interrupted: %+v", trials[0].Events)
	}
}

// halver starts every trial with one epoch, then promotes the best paused
// trial to the full budget once all are paused.
type halver struct{ n, max int }

func (s halver) Next(h *search.History) (search.Decision, error) {
	if h.Started() < s.n {
		return search.Decision{Action: search.Start, Params: dltune.Params{"x": dltune.Int(s.n - h.Next)}, Epochs: 1}, nil
	}
	var paused []*search.Record
	for _, t := range h.Trials {
		switch t.State {
		case dltune.Running, dltune.Interrupted:
			return search.Decision{Action: search.Wait}, nil
		case dltune.Paused:
			paused = append(paused, t)
		}
	}
	if len(paused) == s.n {
		sort.Slice(paused, func(i, j int) bool { return paused[i].Loss() < paused[j].Loss() })
		return search.Decision{Action: search.Continue, Trial: paused[0].Number, Epochs: s.max}, nil
	}
	if len(paused) > 0 {
		return search.Decision{Action: search.Stop, Trial: paused[0].Number}, nil
	}
	return search.Decision{Action: search.Done}, nil
}

func TestRunPromotesAndPrunes(t *testing.T) {
	st := newMemStore()
	obj := &curveObjective{}
	cfg := loopConfig{Strategy: halver{n: 4, max: 3}, Parallel: 2, Budget: 4, MaxEpochs: 3}
	if _, err := loop(context.Background(), st, "s", cfg, obj.run); err != nil {
		t.Fatal(err)
	}
	trials := checkStudy(t, st, "s", 4, 3)
	for _, tr := range trials {
		x := tr.Params["x"].Int()
		if x == 1 {
			if tr.State != dltune.Complete || tr.Epochs() != 3 {
				t.Errorf("best trial %d: %s after %d epochs, want complete after 3", tr.Number, tr.State, tr.Epochs())
			}
			continue
		}
		if tr.State != dltune.Pruned || tr.Epochs() != 1 {
			t.Errorf("trial %d: %s after %d epochs, want pruned after 1", tr.Number, tr.State, tr.Epochs())
		}
	}
	if got := obj.epochs.Load(); got != 4+2 {
		t.Errorf("trained %d epochs, want 6 (the promotion trains only the extra two)", got)
	}
}

// TestRunKeepsFilters checks that a trial's record keeps the filters its
// last run returned, through pauses, promotions and prunings, and that a
// trial that failed in its first run has none.
func TestRunKeepsFilters(t *testing.T) {
	tests := []struct {
		name     string
		strategy search.Strategy
		failX    map[int]bool
		budget   int
		want     map[dltune.State]int // trials with filters by state
	}{
		{"promoted and pruned", halver{n: 4, max: 3}, nil, 4, map[dltune.State]int{dltune.Complete: 1, dltune.Pruned: 3}},
		{"failed", sequence{epochs: 3}, map[int]bool{1: true}, 2, map[dltune.State]int{dltune.Complete: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newMemStore()
			obj := &curveObjective{filters: true, failX: tt.failX}
			cfg := loopConfig{Strategy: tt.strategy, Parallel: 2, Budget: tt.budget, MaxEpochs: 3}
			if _, err := loop(context.Background(), st, "s", cfg, obj.run); err != nil {
				t.Fatal(err)
			}
			got := map[dltune.State]int{}
			for _, tr := range checkStudy(t, st, "s", tt.budget, 3) {
				x, f := tr.Params["x"].Int(), tr.Filters
				if f == nil {
					if tr.State != dltune.Failed {
						t.Errorf("trial %d %s without filters", tr.Number, tr.State)
					}
					continue
				}
				if f.Epoch != tr.Epochs() || len(f.Data) != 1 || f.Data[0] != float32(10*x+tr.Epochs()) {
					t.Errorf("trial %d (x=%d) %s after %d epochs has filters %+v", tr.Number, x, tr.State, tr.Epochs(), f)
				}
				got[tr.State]++
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("trials with filters by state %v, want %v", got, tt.want)
			}
		})
	}
}

// worseThan prunes trials whose loss is above a limit.
type worseThan float64

func (w worseThan) Prune(_ *search.History, t *search.Record) bool { return t.Loss() > float64(w) }

func TestRunPruner(t *testing.T) {
	st := newMemStore()
	cfg := loopConfig{Strategy: sequence{epochs: 5}, Pruner: worseThan(2), Parallel: 2, Budget: 5, MaxEpochs: 5}
	if _, err := loop(context.Background(), st, "s", cfg, (&curveObjective{}).run); err != nil {
		t.Fatal(err)
	}
	for _, tr := range checkStudy(t, st, "s", 5, 5) {
		x := tr.Params["x"].Int()
		// Trial x reaches x+1/e: at most 2 for x <= 1, and x=2 falls to 2.x after 1 epoch.
		want, epochs := dltune.Complete, 5
		if x >= 2 {
			want, epochs = dltune.Pruned, 1
		}
		if tr.State != want || tr.Epochs() != epochs {
			t.Errorf("trial x=%d: %s after %d epochs, want %s after %d", x, tr.State, tr.Epochs(), want, epochs)
		}
	}
}

func TestRunRetry(t *testing.T) {
	st := newMemStore()
	obj := &curveObjective{failX: map[int]bool{1: true}}
	cfg := loopConfig{Strategy: sequence{epochs: 2}, Parallel: 1, Budget: 3, MaxEpochs: 2}
	if _, err := loop(context.Background(), st, "s", cfg, obj.run); err != nil {
		t.Fatal(err)
	}
	obj.failX = nil
	cfg.Budget, cfg.Retry = 4, []int{1}
	if _, err := loop(context.Background(), st, "s", cfg, obj.run); err != nil {
		t.Fatal(err)
	}
	trials := checkStudy(t, st, "s", 4, 2)
	if r := trials[3]; r.RetryOf != 1 || !r.Params.Equal(trials[1].Params) || r.State != dltune.Complete {
		t.Errorf("retry trial = %+v, want a complete copy of trial 1", r)
	}
	if trials[1].State != dltune.Failed {
		t.Errorf("retried trial is %s, want it kept failed", trials[1].State)
	}
}

func TestRunStoreFailureStopsTheStudy(t *testing.T) {
	st := newMemStore()
	boom := errors.New("disk full")
	st.SetFail(func(op string, tr *dltune.Trial) error {
		if op == "checkpoint" && tr.Number == 2 {
			return boom
		}
		return nil
	})
	// One at a time, so that no trial can start before trial 2 fails.
	cfg := loopConfig{Strategy: sequence{epochs: 3}, Parallel: 1, Budget: 8, MaxEpochs: 3}
	_, err := loop(context.Background(), st, "s", cfg, (&curveObjective{}).run)
	if !errors.Is(err, boom) {
		t.Fatalf("Run error = %v, want the store's", err)
	}
	trials, _ := st.Trials(context.Background(), "s")
	if len(trials) != 3 || trials[2].State != dltune.Running {
		t.Errorf("after the store failed on trial 2: %d trials, the last %s; want 3, the last left running", len(trials), trials[len(trials)-1].State)
	}
	cfg.Parallel = 2
	// Nothing finished was lost; trial 2 is left to be continued.
	st.SetFail(nil)
	if _, err := loop(context.Background(), st, "s", cfg, (&curveObjective{}).run); err != nil {
		t.Fatal(err)
	}
	checkStudy(t, st, "s", 8, 3)
}

func TestRunStrategyThatWaitsForNothing(t *testing.T) {
	st := newMemStore()
	cfg := loopConfig{Strategy: waiter{}, Budget: 1, MaxEpochs: 1}
	_, err := loop(context.Background(), st, "s", cfg, (&curveObjective{}).run)
	if !errors.Is(err, ErrStrategy) {
		t.Fatalf("err = %v, want ErrStrategy", err)
	}
}

type waiter struct{}

func (waiter) Next(*search.History) (search.Decision, error) {
	return search.Decision{Action: search.Wait}, nil
}

func TestTrialSeed(t *testing.T) {
	seen := map[uint64]bool{}
	for n := 0; n < 1000; n++ {
		s := trialSeed(7, n)
		if seen[s] {
			t.Fatalf("seed of trial %d repeats", n)
		}
		seen[s] = true
	}
	if trialSeed(7, 3) == trialSeed(8, 3) {
		t.Error("study seed does not change trial seeds")
	}
	_ = math.Inf
}

func TestRunPerTrialEpochs(t *testing.T) {
	st := newMemStore()
	cfg := loopConfig{Strategy: sequence{}, Parallel: 2, Budget: 4, MaxEpochs: 5,
		Epochs: func(p dltune.Params) int { return 2 + p["x"].Int() }} // 2, 3, 4, 5
	if _, err := loop(context.Background(), st, "s", cfg, (&curveObjective{}).run); err != nil {
		t.Fatal(err)
	}
	trials, _ := st.Trials(context.Background(), "s")
	for _, tr := range trials {
		want := 2 + tr.Params["x"].Int()
		if tr.State != dltune.Complete || tr.Epochs() != want || tr.Budget != want {
			t.Errorf("trial x=%d: %s after %d epochs (budget %d), want complete after %d", tr.Params["x"].Int(), tr.State, tr.Epochs(), tr.Budget, want)
		}
	}
}

// TestRunKeepsWhatItDoesNotHold checks that the loop, which keeps trials
// that do not run as summaries, writes them back whole: a trial of a dead
// process keeps the diagnostics of its stored epoch and its events when it
// is marked interrupted and resumed.
func TestRunKeepsWhatItDoesNotHold(t *testing.T) {
	st := newMemStore()
	ctx := context.Background()
	st.CreateStudy(ctx, &dltune.Study{Name: "s"})
	layers := []dltune.LayerStats{{Name: "dense1", GradRMS: 0.5, GradHist: []int{1, 2, 3}}}
	dead := &dltune.Trial{Params: dltune.Params{"x": dltune.Int(0)}, State: dltune.Running, Budget: 3, RetryOf: -1,
		Curve:  []dltune.Epoch{{Epoch: 1, ValLoss: 1, Layers: layers}},
		Events: []dltune.Event{{What: "created"}}}
	st.CreateTrial(ctx, "s", dead)
	st.SaveCheckpoint(ctx, "s", dead, binary.BigEndian.AppendUint64(nil, 1))

	obj := &curveObjective{}
	cfg := loopConfig{Strategy: sequence{epochs: 3}, Parallel: 1, Budget: 2, MaxEpochs: 3}
	if _, err := loop(ctx, st, "s", cfg, obj.run); err != nil {
		t.Fatal(err)
	}
	trials := checkStudy(t, st, "s", 2, 3)
	if obj.resumed.Load() != 1 {
		t.Errorf("%d trials resumed from a checkpoint, want 1", obj.resumed.Load())
	}
	got := trials[0]
	if len(got.Curve) != 3 || !reflect.DeepEqual(got.Curve[0].Layers, layers) {
		t.Errorf("trial 0's first epoch has diagnostics %+v, want %+v", got.Curve[0].Layers, layers)
	}
	var whats []string
	for _, e := range got.Events {
		whats = append(whats, e.What)
	}
	want := []string{"created", "interrupted: its process stopped while it ran", "resumed from its checkpoint after epoch 1", "complete after 3 epochs"}
	if !reflect.DeepEqual(whats, want) {
		t.Errorf("trial 0's events are %q, want %q", whats, want)
	}
}

// TestRunRefusesAStoredTrialItDoesNotKnow checks that the loop does not
// write over a trial whose stored record changed under it.
func TestRunRefusesAStoredTrialItDoesNotKnow(t *testing.T) {
	st := newMemStore()
	ctx := context.Background()
	st.CreateStudy(ctx, &dltune.Study{Name: "s"})
	paused := &dltune.Trial{Params: dltune.Params{"x": dltune.Int(0)}, State: dltune.Paused, Budget: 1, RetryOf: -1,
		Curve: []dltune.Epoch{{Epoch: 1, ValLoss: 1}}}
	st.CreateTrial(ctx, "s", paused)
	// A strategy that stops the paused trial, after someone else promoted
	// it in the store.
	stop := strategyFunc(func(h *search.History) (search.Decision, error) {
		st.Change("s", 0, func(t *dltune.Trial) { t.Budget = 2 })
		return search.Decision{Action: search.Stop, Trial: 0}, nil
	})
	cfg := loopConfig{Strategy: stop, Parallel: 1, Budget: 1, MaxEpochs: 3}
	_, err := loop(ctx, st, "s", cfg, (&curveObjective{}).run)
	if err == nil || !strings.Contains(err.Error(), "stored as trial 0 paused at 1 of 2 epochs, but the run has it paused at 1 of 1") {
		t.Fatalf("loop = %v, want an error saying the stored trial differs", err)
	}
	if got, _ := st.Trial(ctx, "s", 0); got.State != dltune.Paused {
		t.Errorf("trial 0 is %s, want paused as stored", got.State)
	}
}

// strategyFunc is a search.Strategy from a function.
type strategyFunc func(h *search.History) (search.Decision, error)

func (f strategyFunc) Next(h *search.History) (search.Decision, error) { return f(h) }

// TestRunActsOnATrialOnlyOnceItsEndIsStored holds the write that pauses
// trial 0 until the strategy has been asked what to do while it waits: the
// strategy must not see the trial paused, and promote it, before its
// record says so.
func TestRunActsOnATrialOnlyOnceItsEndIsStored(t *testing.T) {
	st := newMemStore()
	ctx := context.Background()
	st.CreateStudy(ctx, &dltune.Study{Name: "s"})
	writing, asked := make(chan struct{}), make(chan struct{})
	var once sync.Once
	st.SetBefore(func(tr *dltune.Trial) {
		if tr.Number == 0 && tr.State == dltune.Paused {
			once.Do(func() { close(writing); <-asked })
		}
	})
	var askedDuring, promoted bool
	strat := strategyFunc(func(h *search.History) (search.Decision, error) {
		select {
		case <-writing:
			if !askedDuring {
				askedDuring = true
				defer close(asked)
			}
		default:
		}
		switch {
		case h.Started() < 2:
			return search.Decision{Action: search.Start, Params: dltune.Params{"x": dltune.Int(h.Next)}, Epochs: 1 + 2*h.Next}, nil
		case h.Trials[0].State == dltune.Paused && !promoted:
			promoted = true
			return search.Decision{Action: search.Continue, Trial: 0, Epochs: 3}, nil
		case promoted && h.Trials[0].State.Finished() && h.Trials[1].State.Finished():
			return search.Decision{Action: search.Done}, nil
		}
		return search.Decision{Action: search.Wait}, nil
	})
	// Trial 1 reports its second epoch, which wakes the loop, only once
	// trial 0's pausing write has begun.
	obj := &curveObjective{hook: func(job *trial.Job, epoch int) {
		if job.Number == 1 && epoch == 1 {
			<-writing
		}
	}}
	cfg := loopConfig{Strategy: strat, Parallel: 3, Budget: 2, MaxEpochs: 3}
	if _, err := loop(ctx, st, "s", cfg, obj.run); err != nil {
		t.Fatal(err)
	}
	if !askedDuring || !promoted {
		t.Fatalf("strategy asked while trial 0's pause was written: %t; trial 0 promoted: %t", askedDuring, promoted)
	}
	trials := checkStudy(t, st, "s", 2, 3)
	if got := trials[0].Epochs(); got != 3 {
		t.Errorf("trial 0 trained %d epochs, want 3", got)
	}
}
