package study

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"testing"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/trial"
)

// An attempt is what trial 0 does in one run of the loop: train new
// epochs, then end the run as the process dying (die), as Ctrl-C
// (interrupt), or not at all (train to the end).
type attempt struct {
	epochs         int
	die, interrupt bool
}

// TestTrialKillingItsProcessFails runs a study again and again while
// trial 0 kills its process: the store freezes as a killed process leaves
// it, trial 0 still Running. Deaths count from the last new epoch;
// Ctrl-C neither counts nor resets the count. The third death in a row
// fails the trial, and the study then finishes.
func TestTrialKillingItsProcessFails(t *testing.T) {
	die := func(epochs int) attempt { return attempt{epochs: epochs, die: true} }
	for _, c := range []struct {
		name     string
		attempts []attempt
		want     dltune.State
		epochs   int    // trial 0's at the end
		err      string // trial 0's error
	}{
		{name: "three deaths after an epoch", attempts: []attempt{die(1), die(0), die(0)}, want: dltune.Failed, epochs: 1,
			err: "the process running it died 3 times without finishing an epoch (last at epoch 1): out of memory?"},
		{name: "three deaths before any epoch", attempts: []attempt{die(0), die(0), die(0)}, want: dltune.Failed, epochs: 0,
			err: "the process running it died 3 times without finishing an epoch (last at epoch 0): out of memory?"},
		{name: "a new epoch resets the count", attempts: []attempt{die(0), die(0), die(1), die(0), {}}, want: dltune.Complete, epochs: 4},
		{name: "reset, then three more", attempts: []attempt{die(0), die(0), die(2), die(0), die(0)}, want: dltune.Failed, epochs: 2,
			err: "the process running it died 3 times without finishing an epoch (last at epoch 2): out of memory?"},
		{name: "Ctrl-C is no death", attempts: []attempt{die(0), die(0), {interrupt: true}, {}}, want: dltune.Complete, epochs: 4},
		{name: "nor does it reset", attempts: []attempt{die(1), die(0), {interrupt: true}, die(0)}, want: dltune.Failed, epochs: 1,
			err: "the process running it died 3 times without finishing an epoch (last at epoch 1): out of memory?"},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := newMemStore()
			cfg := loopConfig{Strategy: sequence{epochs: 4}, Parallel: 1, Budget: 2, MaxEpochs: 4}
			killed := errors.New("killed")
			calls := 0
			var cancel context.CancelFunc
			obj := func(ctx context.Context, job *trial.Job) (trial.Result, error) {
				if job.Number != 0 {
					return (&curveObjective{}).run(ctx, job)
				}
				if calls >= len(c.attempts) {
					return trial.Result{}, fmt.Errorf("trial 0 started a %d. time", calls+1)
				}
				a := c.attempts[calls]
				calls++
				e := job.Done
				for until := e + a.epochs; e < until || (!a.die && !a.interrupt && e < job.Until); {
					e++
					ck := trial.State{Checkpoint: func() ([]byte, error) { return binary.BigEndian.AppendUint64(nil, uint64(e)), nil }}
					if _, err := job.Report(dltune.Epoch{ValLoss: 1 / float64(e)}, ck); err != nil {
						return trial.Result{}, err
					}
				}
				switch {
				case a.die:
					// From now on nothing reaches the store.
					st.SetFail(func(string, *dltune.Trial) error { return killed })
					return trial.Result{}, killed
				case a.interrupt:
					cancel()
					return trial.Result{Epochs: e, Checkpoint: binary.BigEndian.AppendUint64(nil, uint64(e))}, context.Canceled
				}
				return trial.Result{Epochs: e}, nil
			}
			for run := 0; ; run++ {
				if run > len(c.attempts)+1 {
					t.Fatalf("the study did not finish in %d runs", run)
				}
				var ctx context.Context
				ctx, cancel = context.WithCancel(context.Background())
				st.SetFail(nil)
				_, err := loop(ctx, st, "s", cfg, obj)
				cancel()
				if err == nil {
					break
				}
				if !errors.Is(err, killed) && !errors.Is(err, context.Canceled) {
					t.Fatalf("run %d: %v", run, err)
				}
			}
			trials := checkStudy(t, st, "s", 2, 4)
			t0 := trials[0]
			if calls != len(c.attempts) {
				t.Errorf("trial 0 was started %d times, want %d", calls, len(c.attempts))
			}
			if t0.State != c.want || t0.Epochs() != c.epochs || t0.Error != c.err {
				t.Errorf("trial 0: %s after %d epochs, error %q; want %s after %d, %q", t0.State, t0.Epochs(), t0.Error, c.want, c.epochs, c.err)
			}
			if trials[1].State != dltune.Complete {
				t.Errorf("trial 1 is %s, want complete", trials[1].State)
			}
		})
	}
}

func TestDeaths(t *testing.T) {
	ev := func(epoch int, what string) dltune.Event { return dltune.Event{Epoch: epoch, What: what} }
	for _, c := range []struct {
		name   string
		epochs int
		events []dltune.Event
		want   int
	}{
		{"none", 0, nil, 0},
		{"created only", 0, []dltune.Event{ev(0, "created")}, 0},
		{"one", 0, []dltune.Event{ev(0, "created"), ev(0, diedEvent)}, 1},
		{"two at the same epoch", 2, []dltune.Event{ev(0, "created"), ev(2, diedEvent), ev(2, "resumed from its checkpoint after epoch 2"), ev(2, diedEvent)}, 2},
		{"an earlier epoch's do not count", 3, []dltune.Event{ev(0, diedEvent), ev(0, "restarted"), ev(3, diedEvent)}, 1},
		{"clean interruptions do not count", 1, []dltune.Event{ev(1, diedEvent), ev(1, "interrupted after epoch 1"), ev(1, diedEvent)}, 2},
		{"a restart without checkpoint", 0, []dltune.Event{ev(4, diedEvent), ev(0, "restarted: no checkpoint after 4 epochs"), ev(0, diedEvent)}, 1},
	} {
		tr := &dltune.Trial{Curve: make([]dltune.Epoch, c.epochs), Events: c.events}
		if got := deaths(tr); got != c.want {
			t.Errorf("%s: deaths = %d, want %d", c.name, got, c.want)
		}
	}
}
