package study

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/search"
	"github.com/dltune/dltune/trial"
)

// An objective trains one trial job: Prepare picks the study's, and tests
// plug in fakes. It is called from several goroutines at once, one job
// each.
type objective func(ctx context.Context, job *trial.Job) (trial.Result, error)

// loopConfig is what loop needs to drive a study that is already stored.
type loopConfig struct {
	// Strategy decides what to run; Pruner, if not nil, may stop running
	// trials after any epoch.
	Strategy search.Strategy
	Pruner   search.Pruner
	// Parallel is the number of trials trained at once (at least 1).
	Parallel int
	// Budget is the number of trials the study runs in all.
	Budget int
	// MaxEpochs is the longest a trial trains: a trial that reaches its
	// full length is complete, one that stops short at its budget is
	// paused.
	MaxEpochs int
	// Epochs, if not nil, gives a trial's full length when it depends on
	// its parameters (train.epochs set by a parameter); it must not exceed
	// MaxEpochs. Nil means every trial's full length is MaxEpochs.
	Epochs func(dltune.Params) int
	// Seed is the study seed; each trial's seed derives from it and the
	// trial's number.
	Seed uint64
	// Retry lists failed trials to run again, as new trials with the same
	// parameters, before the strategy is asked for anything.
	Retry []int
	// Progress, if not nil, is called from the loop's goroutine after every
	// change: a trial started, reported an epoch or ended.
	Progress func(Status)
	// Admit, if not nil, is called before a trial trains (afresh or
	// resumed) with its parameters; an error fails the trial instead.
	Admit func(dltune.Params) error
	// KeepWeights is the number of trials whose weights after their best
	// epoch the store keeps (search.keep_weights), when it is a
	// WeightStore and the trials make models; 0 keeps none.
	KeepWeights int
}

// Status is a study's progress, for display.
type Status struct {
	Budget   int // trials the study runs in all
	Finished int // trials complete, pruned or failed
	Failed   int
	Running  int
	// Best and BestTrial are the lowest validation loss so far and its
	// trial; Best is +Inf before any epoch finished.
	Best      float64
	BestTrial int
	// Elapsed is the time since the run started; Left estimates the time to the
	// end from this run's pace (0 when unknown).
	Elapsed, Left time.Duration
	// Last describes the latest event, e.g. "trial 7 complete after 10
	// epochs (val_loss 0.231)".
	Last string
	// Ended holds copies of the trials that ended (finished, paused or
	// interrupted) since the previous call of Options.Progress, in order.
	Ended []*dltune.Trial
	// Epochs holds the epochs trials reported since the previous call of
	// Options.Progress, in order. Each was recorded in the store before it
	// is listed here, but for a trial's final epoch, which the record of
	// how the trial ended carries.
	Epochs []TrialEpoch
}

// A TrialEpoch is one epoch a trial reported.
type TrialEpoch struct {
	Trial  int
	Budget int // the epochs the trial is training toward
	Epoch  dltune.Epoch
}

// Summary is what a finished or interrupted run did.
type Summary struct {
	Status
	// Interrupted is true when the run stopped because its context was
	// cancelled; the study can be resumed.
	Interrupted bool
	// Trained is the number of trials this run trained: started,
	// continued or retried. 0 means it found nothing to do (the study's
	// budget was used and no trial was left to continue).
	Trained int
}

// ErrStrategy wraps errors of a strategy that cannot go on (for example
// one that waits while nothing runs).
var ErrStrategy = errors.New("strategy error")

// loop drives the stored study name, training each trial with obj, until
// its strategy is done or ctx is cancelled; Prepared.Run says how. Tests
// call it with fake strategies and objectives.
func loop(ctx context.Context, st Store, name string, cfg loopConfig, obj objective) (*Summary, error) {
	if cfg.Parallel < 1 {
		cfg.Parallel = 1
	}
	if cfg.MaxEpochs < 1 {
		return nil, fmt.Errorf("run %s: max epochs %d < 1", name, cfg.MaxEpochs)
	}
	var stored []*dltune.Trial
	var seq int64
	var err error
	cl, isShared := st.(Claimer)
	if isShared {
		stored, seq, err = cl.Changes(ctx, name, -1)
	} else {
		stored, err = st.TrialSummaries(ctx, name)
	}
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", name, err)
	}
	trials := make([]*search.Record, len(stored))
	for i, t := range stored {
		trials[i] = search.NewRecord(t)
	}
	r := &runner{
		st:      st,
		name:    name,
		cfg:     cfg,
		obj:     obj,
		trials:  trials,
		start:   time.Now(),
		wake:    make(chan struct{}, 1),
		started: len(trials),
	}
	r.best, r.bestTrial = math.Inf(1), -1
	for _, t := range trials {
		r.count(t)
		r.observe(t)
	}
	r.finishedBefore = r.finished
	if isShared {
		r.sh = newShared(cl, seq)
	}
	return r.run(ctx)
}

// runner is the state of one loop. mu guards trials, running and fatal;
// the strategy and pruner are only called with mu held.
//
// The runner keeps every trial of the study in trials, for the strategy,
// but only as the search.Record a strategy reads: its parameters, state
// and validation losses, without the rest of its curve, its events, its
// filters and its per-layer diagnostics, which would make the loop's
// memory grow by kilobytes a trial. A running trial is also held whole by its task, since
// each epoch replaces its stored record. The loop loads a trial that does
// not run whole from the store (runner.whole) before it changes and writes
// it, so that it never writes less than the stored record.
type runner struct {
	st   Store
	name string
	cfg  loopConfig
	obj  objective

	mu             sync.Mutex
	trials         []*search.Record // by number; trials[i].Number == i is not assumed
	running        int
	fatal          error // a store failure: the study cannot go on
	last           string
	ended          []*dltune.Trial // since the last progress call
	epochs         []TrialEpoch    // since the last progress call
	started        int
	finishedBefore int
	// trained counts the trials this run handed to a worker.
	trained int
	// Counts kept as trials change, so that a status costs O(1).
	finished, failed int
	best             float64
	bestTrial        int
	top              []trialLoss // see rank

	start time.Time
	wake  chan struct{}

	sh shared // the state of a loop on a store many workers share
}

// signal wakes the loop without blocking.
func (r *runner) signal() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

func (r *runner) run(ctx context.Context) (*Summary, error) {
	// Writes that record how the run ended must happen even when ctx is
	// cancelled.
	bg := context.WithoutCancel(ctx)
	// stop cancels the workers when the loop fails; they then record
	// themselves as interrupted, to be continued by the next run.
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	g, gctx := errgroup.WithContext(wctx)

	if err := r.markStale(bg); err != nil {
		return nil, err
	}
	queue := r.resumable()
	retry := append([]int(nil), r.cfg.Retry...)

	loopErr := r.dispatch(gctx, bg, g, queue, retry)
	if loopErr != nil {
		stop()
	}
	_ = g.Wait()

	r.mu.Lock()
	defer r.mu.Unlock()
	defer r.progress()
	if loopErr == nil && r.fatal != nil {
		loopErr = r.fatal
	}
	sum := &Summary{Status: r.status(), Trained: r.trained}
	switch {
	case loopErr != nil:
		return sum, fmt.Errorf("run %s: %w", r.name, loopErr)
	case ctx.Err() != nil:
		sum.Interrupted = true
		return sum, fmt.Errorf("run %s: interrupted: %w", r.name, ctx.Err())
	}
	// The strategy is done: trials still paused will not be promoted.
	for _, rec := range r.trials {
		if rec.State == dltune.Paused {
			if err := r.end(bg, rec, dltune.Pruned, "not promoted: the study ended"); err != nil {
				return sum, fmt.Errorf("run %s: %w", r.name, err)
			}
		}
	}
	if err := r.sweepWeights(bg); err != nil {
		return sum, fmt.Errorf("run %s: %w", r.name, err)
	}
	sum.Status = r.status()
	return sum, nil
}

// sweepWeights has the store rank the weights it holds once every
// trial's end is known: trials ended without their weights in hand
// (paused ones not promoted, stopped by the strategy, or ended by
// another worker) may keep weights that the leaderboard no longer ranks
// among the best. It stores again the weights of the first finished
// trial, by loss, that has them, which drops the others that
// dltune.DropWeights drops. Called with mu held.
func (r *runner) sweepWeights(ctx context.Context) error {
	ws, ok := r.st.(WeightStore)
	if !ok || r.cfg.KeepWeights <= 0 {
		return nil
	}
	var done []*search.Record
	for _, rec := range r.trials {
		if rec.State.Finished() && !math.IsInf(rec.Loss(), 1) && !math.IsNaN(rec.Loss()) {
			done = append(done, rec)
		}
	}
	slices.SortStableFunc(done, func(a, b *search.Record) int { return cmp.Compare(a.Loss(), b.Loss()) })
	for _, rec := range done {
		w, err := ws.Weights(ctx, r.name, rec.Number)
		if errors.Is(err, dltune.ErrNotFound) {
			continue
		} else if err != nil {
			return fmt.Errorf("weights of trial %d: %w", rec.Number, err)
		}
		t, err := r.st.Trial(ctx, r.name, rec.Number)
		if err != nil {
			return fmt.Errorf("trial %d: %w", rec.Number, err)
		}
		if !t.State.Finished() || !w.Match(t) {
			continue
		}
		if err := ws.SaveWeights(ctx, r.name, t, nil, w, r.cfg.KeepWeights); err != nil && !errors.Is(err, dltune.ErrLost) {
			return fmt.Errorf("rank the weights kept: %w", err)
		}
		return nil
	}
	return nil
}

// dispatch hands jobs to workers in g until the strategy is done and no
// trial runs, ctx is cancelled, or the study cannot go on. Interrupted
// trials (queue) come first, then retries, then what the strategy asks
// for. ctx stops the workers; bg is for the store writes that must happen
// even after ctx is cancelled.
func (r *runner) dispatch(ctx, bg context.Context, g *errgroup.Group, queue, retry []int) error {
	for {
		r.mu.Lock()
		r.progress()
		if r.fatal != nil {
			r.mu.Unlock()
			return r.fatal
		}
		if ctx.Err() != nil {
			r.mu.Unlock()
			return nil
		}
		var tk *task
		done := false
		var err error
		if r.running < r.cfg.Parallel {
			if r.sh.claim != nil && len(queue) == 0 {
				queue, err = r.sharedQueue(bg)
			}
			switch {
			case err != nil:
			case len(queue) > 0:
				tk, err = r.resume(bg, queue[0])
				queue = queue[1:]
			case len(retry) > 0:
				tk, err = r.retry(bg, retry[0])
				retry = retry[1:]
			default:
				tk, done, err = r.decide(bg)
			}
		}
		if err == nil && tk != nil {
			r.running++
			r.trained++
		}
		running := r.running
		r.mu.Unlock()
		if err != nil {
			return err
		}
		if tk != nil {
			g.Go(func() error { r.train(ctx, bg, tk); return nil })
			continue
		}
		if done && running == 0 && !r.othersActive() {
			return nil
		}
		select {
		case <-r.wake:
		case <-r.poll():
		case <-ctx.Done():
		}
	}
}

// A task is a trial handed to a worker: the trial whole and its record in
// the runner's trials, both read and written under mu, and the job to
// train.
type task struct {
	t   *dltune.Trial
	rec *search.Record
	job trial.Job
	// lastBest says that the trial's last epoch was a new best, which the
	// record of how it ended carries with lastWeights, its model (nil if
	// the study keeps none of it: the stored weights of an earlier epoch
	// are then dropped).
	lastBest    bool
	lastWeights *dltune.Weights
	// held are the weights this run last stored of the trial, or nil.
	// The record of how the trial ended stores them again, so that the
	// store ranks them by the trial's final state (dltune.DropWeights)
	// and drops them at once if it is not among the best.
	held *dltune.Weights
}

// diedEvent is the event markInterrupted records. deaths counts it in a
// trial's history, so its wording is part of the stored format.
const diedEvent = "interrupted: its process stopped while it ran"

// maxDeaths is how many times a trial's process may die without the
// trial finishing a new epoch; once more fails it. A trial that kills its
// process every time (out of memory, say) must not stop its study for
// ever.
const maxDeaths = 2

// markInterrupted turns trials left Running by a process that died into
// Interrupted ones, or Failed ones when their process died more than
// maxDeaths times without a new epoch.
func (r *runner) markInterrupted(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rec := range r.trials {
		if rec.State != dltune.Running {
			continue
		}
		t, err := r.whole(ctx, rec)
		if err != nil {
			return fmt.Errorf("mark trial %d interrupted: %w", rec.Number, err)
		}
		t.State = dltune.Interrupted
		t.Events = append(t.Events, dltune.Event{Time: time.Now(), Epoch: t.Epochs(), What: diedEvent})
		if n := deaths(t); n > maxDeaths {
			t.Error = fmt.Sprintf("the process running it died %d times without finishing an epoch (last at epoch %d): out of memory?", n, t.Epochs())
			mark(t, dltune.Failed, "failed: "+t.Error)
		}
		if err := r.st.UpdateTrial(ctx, r.name, t); err != nil {
			return fmt.Errorf("mark trial %d %s: %w", t.Number, t.State, err)
		}
		rec.State = t.State
		if t.State == dltune.Failed {
			r.count(rec)
			r.last = describe(t, "failed: "+t.Error)
			r.ended = append(r.ended, t)
		}
	}
	return nil
}

// deaths returns how many times in a row t's process died since t last
// finished an epoch: the diedEvents at the end of its history that were
// recorded at its current epoch. A clean interruption (Ctrl-C) is not a
// death, nor does it reset the count; a new epoch does.
func deaths(t *dltune.Trial) int {
	n := 0
	for i := len(t.Events) - 1; i >= 0 && t.Events[i].Epoch == t.Epochs(); i-- {
		// A worker sharing a store says which worker died after it.
		if strings.HasPrefix(t.Events[i].What, diedEvent) {
			n++
		}
	}
	return n
}

// resumable returns the interrupted trials, by number.
func (r *runner) resumable() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	var q []int
	for _, rec := range r.trials {
		if rec.State == dltune.Interrupted {
			q = append(q, rec.Number)
		}
	}
	sort.Ints(q)
	return q
}

// find returns the record of trial number, or nil. Called with mu held.
func (r *runner) find(number int) *search.Record {
	i := sort.Search(len(r.trials), func(i int) bool { return r.trials[i].Number >= number })
	if i < len(r.trials) && r.trials[i].Number == number {
		return r.trials[i]
	}
	return nil
}

// resume continues an interrupted trial from its checkpoint, or restarts it
// when it has none. Called with mu held.
func (r *runner) resume(ctx context.Context, number int) (*task, error) {
	rec := r.find(number)
	if rec == nil || rec.State != dltune.Interrupted {
		return nil, nil
	}
	if r.sh.claim != nil {
		return r.resumeShared(ctx, number)
	}
	t, err := r.whole(ctx, rec)
	if err != nil {
		return nil, fmt.Errorf("resume trial %d: %w", number, err)
	}
	ckpt, err := r.st.Checkpoint(ctx, r.name, number)
	what := fmt.Sprintf("resumed from its checkpoint after epoch %d", t.Epochs())
	switch {
	case errors.Is(err, dltune.ErrNotFound):
		ckpt = nil
		if t.Epochs() > 0 {
			what = fmt.Sprintf("restarted: no checkpoint after %d epochs", t.Epochs())
		} else {
			what = "restarted: it had no checkpoint"
		}
		t.Curve, t.Filters = nil, nil
	case err != nil:
		return nil, fmt.Errorf("resume trial %d: %w", number, err)
	}
	return r.launch(ctx, rec, t, ckpt, t.Budget, what)
}

// retry starts a new trial with the parameters of failed trial number.
// Called with mu held.
func (r *runner) retry(ctx context.Context, number int) (*task, error) {
	old := r.find(number)
	if old == nil {
		return nil, fmt.Errorf("retry trial %d: %w", number, dltune.ErrNotFound)
	}
	if old.State != dltune.Failed {
		return nil, fmt.Errorf("retry trial %d: it is %s, not failed", number, old.State)
	}
	t := &dltune.Trial{Params: old.Params.Clone(), Budget: old.Budget, Bracket: old.Bracket, RetryOf: number}
	return r.create(ctx, t, fmt.Sprintf("created to retry failed trial %d", number))
}

// decide asks the strategy what to do. It returns a task to run, or done when
// the strategy has finished (the loop still waits for running trials).
// Called with mu held.
func (r *runner) decide(ctx context.Context) (*task, bool, error) {
	for {
		h := &search.History{Trials: r.trials, Next: r.nextNumber(), Budget: r.cfg.Budget}
		d, err := r.cfg.Strategy.Next(h)
		if err != nil {
			return nil, false, fmt.Errorf("%w: %w", ErrStrategy, err)
		}
		switch d.Action {
		case search.Start:
			if r.started >= r.cfg.Budget {
				return nil, true, nil
			}
			epochs := d.Epochs
			if full := r.full(d.Params); epochs <= 0 || epochs > full {
				epochs = full
			}
			t := &dltune.Trial{Params: d.Params, Budget: epochs, Bracket: d.Bracket, RetryOf: -1}
			tk, err := r.create(ctx, t, "created")
			return tk, false, err
		case search.Continue:
			rec := r.find(d.Trial)
			if rec == nil || rec.State != dltune.Paused {
				return nil, false, fmt.Errorf("%w: continue trial %d, which is not paused", ErrStrategy, d.Trial)
			}
			if full := r.full(rec.Params); d.Epochs <= rec.Epochs() || d.Epochs > full {
				return nil, false, fmt.Errorf("%w: promote trial %d from %d to %d epochs (max %d)", ErrStrategy, d.Trial, rec.Epochs(), d.Epochs, full)
			}
			if r.sh.claim != nil {
				tk, err := r.promoteShared(ctx, rec, d.Epochs)
				return tk, false, err
			}
			t, err := r.whole(ctx, rec)
			if err != nil {
				return nil, false, fmt.Errorf("promote trial %d: %w", rec.Number, err)
			}
			ckpt, err := r.st.Checkpoint(ctx, r.name, t.Number)
			if err != nil && !errors.Is(err, dltune.ErrNotFound) {
				return nil, false, fmt.Errorf("promote trial %d: %w", t.Number, err)
			}
			what := fmt.Sprintf("promoted from %d to %d epochs", t.Epochs(), d.Epochs)
			if ckpt == nil {
				t.Curve, t.Filters = nil, nil
				what += " (no checkpoint: restarted)"
			}
			tk, err := r.launch(ctx, rec, t, ckpt, d.Epochs, what)
			return tk, false, err
		case search.Stop:
			rec := r.find(d.Trial)
			if rec == nil || rec.State != dltune.Paused {
				return nil, false, fmt.Errorf("%w: stop trial %d, which is not paused", ErrStrategy, d.Trial)
			}
			if err := r.end(ctx, rec, dltune.Pruned, fmt.Sprintf("pruned at epoch %d: not promoted", rec.Epochs())); err != nil {
				return nil, false, err
			}
			continue
		case search.Wait:
			if r.running == 0 && !r.othersActive() {
				return nil, false, fmt.Errorf("%w: strategy waits but no trial is running", ErrStrategy)
			}
			return nil, false, nil
		case search.Done:
			return nil, true, nil
		default:
			return nil, false, fmt.Errorf("%w: unknown action %d", ErrStrategy, d.Action)
		}
	}
}

// full returns the full training length of a trial with params p.
func (r *runner) full(p dltune.Params) int {
	if r.cfg.Epochs != nil {
		if n := r.cfg.Epochs(p); n > 0 && n <= r.cfg.MaxEpochs {
			return n
		}
	}
	return r.cfg.MaxEpochs
}

func (r *runner) nextNumber() int {
	if r.sh.claim != nil && r.sh.reserved >= 0 {
		return r.sh.reserved
	}
	if len(r.trials) == 0 {
		return 0
	}
	return r.trials[len(r.trials)-1].Number + 1
}

// create stores a new trial and launches it. Called with mu held.
func (r *runner) create(ctx context.Context, t *dltune.Trial, what string) (*task, error) {
	if r.sh.claim != nil {
		return r.createShared(ctx, t, what)
	}
	now := time.Now()
	t.State = dltune.Running
	t.Created, t.Started = now, now
	t.Events = append(t.Events, dltune.Event{Time: now, What: what})
	if err := r.st.CreateTrial(ctx, r.name, t); err != nil {
		return nil, fmt.Errorf("create trial: %w", err)
	}
	if n := r.nextNumber(); t.Number < n {
		return nil, fmt.Errorf("create trial: store gave number %d, want at least %d", t.Number, n)
	}
	rec := search.NewRecord(t)
	r.trials = append(r.trials, rec)
	r.started++
	r.last = fmt.Sprintf("trial %d started", t.Number)
	return r.newTask(rec, t, nil), nil
}

// launch marks stored trial t, whose record is rec, running toward budget
// epochs and returns its task. Called with mu held.
func (r *runner) launch(ctx context.Context, rec *search.Record, t *dltune.Trial, ckpt []byte, budget int, what string) (*task, error) {
	t.State = dltune.Running
	t.Budget = budget
	if t.Started.IsZero() {
		t.Started = time.Now()
	}
	t.Events = append(t.Events, dltune.Event{Time: time.Now(), Epoch: t.Epochs(), What: what})
	if err := r.st.UpdateTrial(ctx, r.name, t); err != nil {
		return nil, fmt.Errorf("start trial %d: %w", t.Number, err)
	}
	// The curve is empty if the trial restarts without a checkpoint.
	*rec = *search.NewRecord(t)
	r.last = fmt.Sprintf("trial %d %s", t.Number, what)
	return r.newTask(rec, t, ckpt), nil
}

// newTask returns the task of training t, whose record is rec, from ckpt
// (nil to start afresh) up to its budget.
func (r *runner) newTask(rec *search.Record, t *dltune.Trial, ckpt []byte) *task {
	tk := &task{t: t, rec: rec}
	tk.job = trial.Job{
		Number:     t.Number,
		Params:     t.Params.Clone(),
		Seed:       trialSeed(r.cfg.Seed, t.Number),
		Done:       t.Epochs(),
		Checkpoint: ckpt,
		Until:      t.Budget,
	}
	return tk
}

// trialSeed derives trial number's seed from the study seed (SplitMix64 of
// their combination), so that trials differ and a resumed study gives each
// trial the seed it had.
func trialSeed(seed uint64, number int) uint64 {
	z := seed + 0x9e3779b97f4a7c15*uint64(number+1)
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// train trains a task and records how it ended. ctx stops training; bg is
// for the store writes that must happen even after ctx is cancelled.
func (r *runner) train(ctx, bg context.Context, tk *task) {
	defer r.signal()
	tk.job.Report = func(e dltune.Epoch, s trial.State) (bool, error) {
		return r.report(bg, tk, e, s)
	}
	var res trial.Result
	var err error
	if r.cfg.Admit != nil {
		err = r.cfg.Admit(tk.job.Params)
	}
	if err == nil {
		res, err = r.obj(ctx, &tk.job)
	}
	r.finish(ctx, bg, tk, res, err)
}

// report records an epoch of task tk's trial and says whether to stop it.
// It is the trial's trial.Job.Report.
//
// An epoch that is the trial's new best, in a WeightStore, is recorded
// with SaveWeights: with the model after it if the trial may be among
// the cfg.KeepWeights best of the study, and otherwise deleting the
// trial's weights of an earlier epoch, which are no longer its best. So
// the stored weights always match the stored curve.
func (r *runner) report(bg context.Context, tk *task, e dltune.Epoch, s trial.State) (bool, error) {
	r.mu.Lock()
	t := tk.t
	ws, _ := r.st.(WeightStore)
	newBest := ws != nil && s.Model != nil && r.cfg.KeepWeights > 0 && e.ValLoss < t.Loss()
	takeModel := newBest && r.mayKeep(t.Number, e.ValLoss)
	e.Epoch = t.Epochs() + 1
	t.Curve = append(t.Curve, e)
	tk.rec.Losses = append(tk.rec.Losses, e.ValLoss)
	r.observe(tk.rec)
	stop := false
	if r.cfg.Pruner != nil && t.Epochs() < t.Budget {
		h := &search.History{Trials: r.trials, Next: r.nextNumber(), Budget: r.cfg.Budget}
		stop = r.cfg.Pruner.Prune(h, tk.rec)
	}
	// A trial that has just completed needs no checkpoint: the record of
	// how it ended carries this epoch too.
	last := !stop && t.Epochs() >= r.full(t.Params)
	snap := t.Clone()
	r.last = fmt.Sprintf("trial %d epoch %d: val_loss %.4g", t.Number, e.Epoch, e.ValLoss)
	r.mu.Unlock()
	var w *dltune.Weights
	if takeModel {
		m, err := s.Model()
		if err != nil {
			// The trial's failure, not the store's.
			return false, fmt.Errorf("trial %d epoch %d: %w", snap.Number, e.Epoch, err)
		}
		w = &dltune.Weights{Epoch: e.Epoch, Loss: e.ValLoss, Model: m}
	}
	if last && newBest {
		// The record of how the trial ended carries this epoch, and so
		// its weights.
		tk.lastBest, tk.lastWeights = true, w
	}
	if !last {
		ckpt, err := s.Checkpoint()
		if err == nil && newBest {
			err = ws.SaveWeights(bg, r.name, snap, ckpt, w, r.cfg.KeepWeights)
			if err == nil {
				tk.held = w
			}
		} else if err == nil {
			err = r.st.SaveCheckpoint(bg, r.name, snap, ckpt)
		}
		if err != nil {
			err = fmt.Errorf("save trial %d epoch %d: %w", snap.Number, e.Epoch, err)
			r.mu.Lock()
			lost := r.lose(snap.Number, err)
			r.mu.Unlock()
			if !lost {
				r.setFatal(err)
			}
			return false, err
		}
	}
	r.mu.Lock()
	r.epochs = append(r.epochs, TrialEpoch{Trial: snap.Number, Budget: snap.Budget, Epoch: e})
	r.mu.Unlock()
	r.signal()
	return stop, nil
}

// finish records how task tk's trial ended, given what its objective
// returned under ctx. It decides the end and writes it to the store with
// bg and without holding mu, so that trials ending together can share a
// commit; only then does it mark the end in the trial's record. Until then
// the trial is running for the strategy, which cannot act on a trial whose
// stored record is not yet the one it sees.
func (r *runner) finish(ctx, bg context.Context, tk *task, res trial.Result, err error) {
	r.mu.Lock()
	t := tk.t
	if r.dropLost(t) {
		r.mu.Unlock()
		return
	}
	if r.fatal != nil {
		// The store failed: leave the trial as stored (Running); the next
		// run continues it from its last checkpoint.
		r.running--
		r.mu.Unlock()
		return
	}
	var state dltune.State
	var what string
	var ckpt []byte
	switch {
	case err != nil && ctx.Err() != nil:
		state, what = dltune.Interrupted, fmt.Sprintf("interrupted after epoch %d", t.Epochs())
		ckpt = res.Checkpoint
	case err != nil:
		state, what = dltune.Failed, "failed: "+err.Error()
	case res.Pruned:
		state, what = dltune.Pruned, fmt.Sprintf("pruned after epoch %d", t.Epochs())
	case res.EarlyStopped:
		state, what = dltune.Complete, fmt.Sprintf("complete: early stopping after epoch %d", t.Epochs())
	case t.Epochs() >= r.full(t.Params):
		state, what = dltune.Complete, fmt.Sprintf("complete after %d epochs", t.Epochs())
	default:
		state, what = dltune.Paused, fmt.Sprintf("paused at its budget of %d epochs", t.Epochs())
	}
	snap := t.Clone()
	if state == dltune.Failed {
		snap.Error = err.Error()
	}
	if res.Filters != nil && err == nil {
		// Complete, pruned or paused: the filters after its last epoch.
		snap.Filters = res.Filters
	}
	if res.Stderr != "" {
		// However it ended: the end of its program's stderr, for show.
		snap.Stderr = res.Stderr
	}
	mark(snap, state, what)
	r.mu.Unlock()

	var serr error
	ws, _ := r.st.(WeightStore)
	switch {
	case tk.lastBest && (ckpt != nil || state.Finished()):
		// The last epoch was a new best: its weights go with it.
		serr = ws.SaveWeights(bg, r.name, snap, ckpt, tk.lastWeights, r.cfg.KeepWeights)
	case tk.held != nil && (ckpt != nil || state.Finished()):
		// The weights of an earlier epoch, ranked now by how the trial
		// ended: a pruned trial's go if complete ones rank before it.
		serr = ws.SaveWeights(bg, r.name, snap, ckpt, tk.held, r.cfg.KeepWeights)
	case ws != nil && r.cfg.KeepWeights > 0 && state.Finished():
		// The trial may have weights this run did not store (it resumed
		// from a checkpoint): they too are ranked by how it ended.
		if w, err := ws.Weights(bg, r.name, snap.Number); err == nil && w.Match(snap) {
			serr = ws.SaveWeights(bg, r.name, snap, nil, w, r.cfg.KeepWeights)
		} else {
			serr = r.st.UpdateTrial(bg, r.name, snap)
		}
	case ckpt != nil:
		// Where an interrupted trial stopped, possibly mid-epoch.
		serr = r.st.SaveCheckpoint(bg, r.name, snap, ckpt)
	default:
		serr = r.st.UpdateTrial(bg, r.name, snap)
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	r.running--
	r.released(t.Number)
	if r.lose(t.Number, serr) {
		delete(r.sh.lost, t.Number)
		return
	}
	if serr != nil {
		if r.fatal == nil {
			r.fatal = fmt.Errorf("record trial %d %s: %w", t.Number, state, serr)
		}
		return
	}
	rec := tk.rec
	rec.State = state
	// Drop the spare capacity of the appends: the record stays for the
	// rest of the run.
	rec.Losses = append(make([]float64, 0, len(rec.Losses)), rec.Losses...)
	r.count(rec)
	r.observe(rec) // a complete trial now counts against others' weights
	r.ended = append(r.ended, snap)
	r.last = describe(snap, what)
}

// mayKeep reports whether a trial whose best validation loss is now loss
// may be among the cfg.KeepWeights best trials of the study, whose
// weights the store keeps: whether fewer than that many complete trials
// have a lower loss, so that no model is made only to be dropped. Only
// complete trials count: a leaderboard ranks a trial stopped short after
// any that completes, whatever its loss (see dltune.DropWeights). The
// store decides which stay. Called with mu held.
func (r *runner) mayKeep(number int, loss float64) bool {
	better := 0
	for _, x := range r.top {
		if x.number != number && x.loss < loss {
			better++
		}
	}
	return better < r.cfg.KeepWeights
}

// count adds a trial in a final state to the counts. Called with mu held.
func (r *runner) count(t *search.Record) {
	if t.State.Finished() {
		r.finished++
	}
	if t.State == dltune.Failed {
		r.failed++
	}
}

// observe updates the best loss, and the ranking of complete trials that
// mayKeep reads, with t's. Called with mu held.
func (r *runner) observe(t *search.Record) {
	l := t.Loss()
	if l < r.best {
		r.best, r.bestTrial = l, t.Number
	}
	if r.cfg.KeepWeights > 0 && t.State == dltune.Complete {
		r.rank(t.Number, l)
	}
}

// A trialLoss is a trial's best validation loss, as observe last saw it.
type trialLoss struct {
	number int
	loss   float64
}

// rank records complete trial number's best loss in r.top, which holds
// the cfg.KeepWeights+1 complete trials of lowest loss, by loss: enough
// to tell whether KeepWeights other trials beat a given loss. Called with
// mu held.
func (r *runner) rank(number int, loss float64) {
	r.top = slices.DeleteFunc(r.top, func(x trialLoss) bool { return x.number == number })
	if math.IsNaN(loss) || math.IsInf(loss, 1) {
		return
	}
	i, _ := slices.BinarySearchFunc(r.top, loss, func(x trialLoss, l float64) int { return cmp.Compare(x.loss, l) })
	if i > r.cfg.KeepWeights {
		return
	}
	r.top = slices.Insert(r.top, i, trialLoss{number, loss})
	if len(r.top) > r.cfg.KeepWeights+1 {
		r.top = r.top[:r.cfg.KeepWeights+1]
	}
}

// mark sets a trial's state and records the event.
func mark(t *dltune.Trial, state dltune.State, what string) {
	t.State = state
	now := time.Now()
	if state.Finished() {
		t.Finished = now
	}
	t.Events = append(t.Events, dltune.Event{Time: now, Epoch: t.Epochs(), What: what})
}

// describe is the progress line of a trial that ended.
func describe(t *dltune.Trial, what string) string {
	s := fmt.Sprintf("trial %d %s", t.Number, what)
	if t.State.Finished() && !math.IsInf(t.Loss(), 1) {
		s += fmt.Sprintf(" (val_loss %.4g)", t.Loss())
	}
	return s
}

// end records the new state of the trial of record rec, which does not
// run. Called with mu held.
func (r *runner) end(ctx context.Context, rec *search.Record, state dltune.State, what string) error {
	if r.sh.claim != nil {
		return r.endShared(ctx, rec, state, what)
	}
	t, err := r.whole(ctx, rec)
	if err != nil {
		return fmt.Errorf("record trial %d %s: %w", rec.Number, state, err)
	}
	mark(t, state, what)
	if err := r.st.UpdateTrial(ctx, r.name, t); err != nil {
		return fmt.Errorf("record trial %d %s: %w", t.Number, state, err)
	}
	rec.State = state
	r.count(rec)
	r.last = describe(t, what)
	r.ended = append(r.ended, t)
	return nil
}

// whole loads the trial of record rec whole from the store, before the
// loop changes and writes it. The stored record must be the trial the loop
// knows: same state, budget and epochs. Called with mu held.
func (r *runner) whole(ctx context.Context, rec *search.Record) (*dltune.Trial, error) {
	t, err := r.st.Trial(ctx, r.name, rec.Number)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	if t.Number != rec.Number || t.State != rec.State || t.Budget != rec.Budget || t.Epochs() != rec.Epochs() {
		return nil, fmt.Errorf("load: stored as trial %d %s at %d of %d epochs, but the run has it %s at %d of %d",
			t.Number, t.State, t.Epochs(), t.Budget, rec.State, rec.Epochs(), rec.Budget)
	}
	return t, nil
}

func (r *runner) setFatal(err error) {
	r.mu.Lock()
	if r.fatal == nil {
		r.fatal = err
	}
	r.mu.Unlock()
	r.signal()
}

// status summarizes the study. Called with mu held.
func (r *runner) status() Status {
	s := Status{Budget: r.cfg.Budget, Running: r.running, Finished: r.finished, Failed: r.failed,
		Best: r.best, BestTrial: r.bestTrial, Last: r.last}
	s.Elapsed = time.Since(r.start)
	if done := s.Finished - r.finishedBefore; done > 0 && s.Budget > s.Finished {
		s.Left = time.Duration(float64(s.Elapsed) / float64(done) * float64(s.Budget-s.Finished))
	}
	return s
}

// progress reports the status. Called with mu held, from the loop only.
func (r *runner) progress() {
	if r.cfg.Progress != nil {
		s := r.status()
		s.Ended, r.ended = r.ended, nil
		s.Epochs, r.epochs = r.epochs, nil
		r.cfg.Progress(s)
	}
}
