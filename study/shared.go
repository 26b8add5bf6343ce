package study

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/search"
)

// pollInterval is how often a loop on a shared store (a Claimer) looks
// for what other workers changed while it has nothing to do: trials that
// ended elsewhere (a promotion may be due), holds that expired.
const pollInterval = 200 * time.Millisecond

// shared is the state of a loop on a Claimer: the store that several
// workers share. The zero shared (claim nil) is a loop that is the only
// writer of its study, as on bbolt. Its fields are guarded by the
// runner's mu.
type shared struct {
	claim Claimer
	// seq is the number of the latest change the loop has read.
	seq int64
	// reserved is a trial number reserved for the next trial this loop
	// starts, or -1.
	reserved int
	// mine are the trials this loop runs: their copy in memory is newer
	// than the store's, so what the store says of them is not read back.
	mine map[int]bool
	// others are the trials that other workers run or that wait to be
	// continued (Running or Interrupted, and not mine): while any is
	// left, the study is not over.
	others map[int]bool
	// lost are trials this loop ran until another worker took them over
	// (dltune.ErrLost): their end is not this loop's to record.
	lost map[int]bool
	// expired is when Expire last ran.
	expired time.Time
}

func newShared(c Claimer, seq int64) shared {
	return shared{claim: c, seq: seq, reserved: -1, mine: map[int]bool{}, others: map[int]bool{}, lost: map[int]bool{}}
}

// poll returns a channel that fires when a loop on a shared store should
// look again, or nil (never) on a store of its own.
func (r *runner) poll() <-chan time.Time {
	if r.sh.claim == nil {
		return nil
	}
	return time.After(pollInterval)
}

// othersActive reports whether trials of other workers run or wait to be
// continued. Called with mu held.
func (r *runner) othersActive() bool { return len(r.sh.others) > 0 }

// markStale turns trials left Running by a process that died into
// Interrupted ones: on a store of its own, all of them; on a shared store,
// those whose holder stopped renewing its hold, which refresh expires.
func (r *runner) markStale(ctx context.Context) error {
	if r.sh.claim == nil {
		return r.markInterrupted(ctx)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, t := range r.trials {
		r.track(t)
	}
	return r.refresh(ctx)
}

// refresh expires stale holds (at most once per pollInterval) and reads
// what changed in the store since the loop last looked, and reserves a
// number for the next trial while the budget allows one. Called with mu
// held.
func (r *runner) refresh(ctx context.Context) error {
	sh := &r.sh
	if time.Since(sh.expired) >= pollInterval {
		if _, err := sh.claim.Expire(ctx, r.name, expire); err != nil {
			return fmt.Errorf("expire stale trials: %w", err)
		}
		sh.expired = time.Now()
	}
	changed, seq, err := sh.claim.Changes(ctx, r.name, sh.seq)
	if err != nil {
		return fmt.Errorf("read changes: %w", err)
	}
	sh.seq = seq
	for _, t := range changed {
		r.merge(search.NewRecord(t))
	}
	r.started = max(r.started, len(r.trials))
	if sh.reserved < 0 && r.started < r.cfg.Budget {
		if sh.reserved, err = sh.claim.Reserve(ctx, r.name); err != nil {
			sh.reserved = -1
			return fmt.Errorf("reserve a trial number: %w", err)
		}
	}
	return nil
}

// expire is what a loop does to a trial whose holder stopped renewing its
// hold: the trial is interrupted, as if its process had died on a store of
// its own, and fails once that happened more than maxDeaths times without
// a new epoch (see markInterrupted).
func expire(t *dltune.Trial, holder string, at time.Time) {
	t.State = dltune.Interrupted
	t.Events = append(t.Events, dltune.Event{Time: time.Now(), Epoch: t.Epochs(),
		What: fmt.Sprintf("%s (worker %s stopped renewing its hold, which expired at %s)", diedEvent, holder, at.UTC().Format(time.RFC3339))})
	if n := deaths(t); n > maxDeaths {
		t.Error = fmt.Sprintf("the process running it died %d times without finishing an epoch (last at epoch %d): out of memory?", n, t.Epochs())
		mark(t, dltune.Failed, "failed: "+t.Error)
	}
}

// merge puts t, the record of a trial as read from the store, in place of
// the loop's, unless the loop runs the trial. Called with mu held.
func (r *runner) merge(t *search.Record) {
	if r.sh.mine[t.Number] {
		return
	}
	i := sort.Search(len(r.trials), func(i int) bool { return r.trials[i].Number >= t.Number })
	if i < len(r.trials) && r.trials[i].Number == t.Number {
		r.uncount(r.trials[i])
		r.trials[i] = t
	} else {
		r.trials = append(r.trials, nil)
		copy(r.trials[i+1:], r.trials[i:])
		r.trials[i] = t
	}
	r.count(t)
	r.observe(t)
	r.track(t)
}

// track notes whether t, not the loop's own, keeps the study going.
// Called with mu held.
func (r *runner) track(t *search.Record) {
	if !r.sh.mine[t.Number] && (t.State == dltune.Running || t.State == dltune.Interrupted) {
		r.sh.others[t.Number] = true
	} else {
		delete(r.sh.others, t.Number)
	}
}

// uncount takes a trial out of the counts, before a newer copy replaces
// it. Called with mu held.
func (r *runner) uncount(t *search.Record) {
	if t.State.Finished() {
		r.finished--
	}
	if t.State == dltune.Failed {
		r.failed--
	}
}

// sharedQueue returns the interrupted trials a loop on a shared store may
// continue, after reading what changed. Called with mu held.
func (r *runner) sharedQueue(ctx context.Context) ([]int, error) {
	if err := r.refresh(ctx); err != nil {
		return nil, err
	}
	var q []int
	for n := range r.sh.others {
		if t := r.find(n); t != nil && t.State == dltune.Interrupted {
			q = append(q, n)
		}
	}
	sort.Ints(q)
	return q, nil
}

// claimed replaces the loop's record of a trial with the record of
// stored, which the loop has just changed in the store, and returns the
// record now in r.trials. Called with mu held.
func (r *runner) claimed(stored *dltune.Trial) *search.Record {
	delete(r.sh.mine, stored.Number)
	rec := search.NewRecord(stored)
	r.merge(rec)
	if stored.State == dltune.Running {
		r.own(stored.Number)
	}
	return rec
}

// own notes that the loop runs trial number. Called with mu held.
func (r *runner) own(number int) {
	r.sh.mine[number] = true
	delete(r.sh.others, number)
}

// resumeShared continues an interrupted trial, if no other worker claims
// it first. Called with mu held.
func (r *runner) resumeShared(ctx context.Context, number int) (*task, error) {
	var what string
	stored, ckpt, ok, err := r.sh.claim.Claim(ctx, r.name, number, dltune.Interrupted, func(t *dltune.Trial, has bool) {
		what = fmt.Sprintf("resumed from its checkpoint after epoch %d", t.Epochs())
		if !has {
			what = "restarted: it had no checkpoint"
			if t.Epochs() > 0 {
				what = fmt.Sprintf("restarted: no checkpoint after %d epochs", t.Epochs())
			}
			t.Curve, t.Filters = nil, nil
		}
		r.markRunning(t, what)
	})
	if err != nil || !ok {
		return nil, wrapIf(err, "resume trial %d", number)
	}
	rec := r.claimed(stored)
	r.last = fmt.Sprintf("trial %d %s", stored.Number, what)
	return r.newTask(rec, stored, ckpt), nil
}

// promoteShared continues the paused trial of record rec up to budget
// epochs, if no other worker claims it first. Called with mu held.
func (r *runner) promoteShared(ctx context.Context, rec *search.Record, budget int) (*task, error) {
	var what string
	stored, ckpt, ok, err := r.sh.claim.Claim(ctx, r.name, rec.Number, dltune.Paused, func(t *dltune.Trial, has bool) {
		what = fmt.Sprintf("promoted from %d to %d epochs", t.Epochs(), budget)
		if !has {
			t.Curve, t.Filters = nil, nil
			what += " (no checkpoint: restarted)"
		}
		t.Budget = budget
		r.markRunning(t, what)
	})
	if err != nil || !ok {
		return nil, wrapIf(err, "promote trial %d", rec.Number)
	}
	rec = r.claimed(stored)
	r.last = fmt.Sprintf("trial %d %s", stored.Number, what)
	return r.newTask(rec, stored, ckpt), nil
}

// markRunning marks t running, as launch does.
func (r *runner) markRunning(t *dltune.Trial, what string) {
	t.State = dltune.Running
	if t.Started.IsZero() {
		t.Started = time.Now()
	}
	t.Events = append(t.Events, dltune.Event{Time: time.Now(), Epoch: t.Epochs(), What: what})
}

// createShared starts new trial t under the number the loop reserved, if
// the budget, counted in the store, allows. Called with mu held.
func (r *runner) createShared(ctx context.Context, t *dltune.Trial, what string) (*task, error) {
	if r.sh.reserved < 0 {
		if err := r.refresh(ctx); err != nil {
			return nil, err
		}
		if r.sh.reserved < 0 {
			return nil, nil // the budget is used
		}
	}
	now := time.Now()
	t.Number = r.sh.reserved
	t.State = dltune.Running
	t.Created, t.Started = now, now
	t.Events = append(t.Events, dltune.Event{Time: now, What: what})
	ok, err := r.sh.claim.Start(ctx, r.name, t, r.cfg.Budget)
	if err != nil {
		return nil, fmt.Errorf("create trial: %w", err)
	}
	if !ok {
		// Other workers used the budget: the next refresh shows it.
		r.started = max(r.started, r.cfg.Budget)
		return nil, nil
	}
	r.sh.reserved = -1
	rec := search.NewRecord(t)
	r.merge(rec)
	r.own(t.Number)
	r.started = max(r.started+1, len(r.trials))
	r.last = fmt.Sprintf("trial %d started", t.Number)
	return r.newTask(rec, t, nil), nil
}

// endShared records the new final state of the paused trial of record
// rec, if no other worker changed the trial first. Called with mu held.
func (r *runner) endShared(ctx context.Context, rec *search.Record, state dltune.State, what string) error {
	stored, _, ok, err := r.sh.claim.Claim(ctx, r.name, rec.Number, rec.State, func(s *dltune.Trial, _ bool) {
		mark(s, state, what)
	})
	if err != nil {
		return fmt.Errorf("record trial %d %s: %w", rec.Number, state, err)
	}
	if !ok {
		return nil // another worker changed it; the next refresh shows how
	}
	r.ended = append(r.ended, stored.Clone())
	r.claimed(stored)
	r.last = describe(stored, what)
	return nil
}

// lose notes that err means another worker took trial number over. It
// reports whether it did. Called with mu held.
func (r *runner) lose(number int, err error) bool {
	if r.sh.claim == nil || !errors.Is(err, dltune.ErrLost) {
		return false
	}
	r.sh.lost[number] = true
	r.last = fmt.Sprintf("trial %d taken over by another worker", number)
	return true
}

// dropLost forgets a trial the loop lost when its training returns, and
// reports whether it was lost. Called with mu held.
func (r *runner) dropLost(t *dltune.Trial) bool {
	if !r.sh.lost[t.Number] {
		return false
	}
	delete(r.sh.lost, t.Number)
	delete(r.sh.mine, t.Number)
	r.running--
	return true
}

// released notes that the loop's record of how trial number ended is in
// the store: what the store says of it may be read back. Called with mu
// held.
func (r *runner) released(number int) {
	delete(r.sh.mine, number)
}

func wrapIf(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), err)
}
