package search

import (
	"testing"

	"github.com/dltune/dltune"
)

// simulateStudy runs a study of budget trials with parallel workers on the
// bowl loss, starting from h: each step asks s for a decision, starts it
// as a running trial and, whenever parallel trials run, finishes the
// oldest (every seventh fails). It returns the started params in order.
func simulateStudy(t *testing.T, space *Space, s Strategy, h *History, parallel int) []dltune.Params {
	t.Helper()
	var started []dltune.Params
	for {
		running := 0
		for _, tr := range h.Trials {
			if tr.State == dltune.Running {
				running++
			}
		}
		for _, tr := range h.Trials {
			if running < parallel {
				break
			}
			if tr.State == dltune.Running {
				tr.State = dltune.Complete
				tr.Losses = []float64{bowlLoss(space, tr.Params)}
				if tr.Number%7 == 3 {
					tr.State, tr.Losses = dltune.Failed, nil
				}
				running--
			}
		}
		d, err := s.Next(h)
		if err != nil {
			t.Fatal(err)
		}
		if d.Action == Done {
			return started
		}
		if d.Action != Start {
			t.Fatalf("trial %d: action %v, want Start", h.Next, d.Action)
		}
		h.Trials = append(h.Trials, gridTestTrial(h.Next, d.Params, dltune.Running))
		h.Next++
		started = append(started, d.Params)
	}
}

// TestSamplingResume: a study stopped after 23 trials and resumed with a
// fresh strategy from its stored trials proposes exactly what the
// uninterrupted study did, because TPE derives everything from the history
// and the seed. (With parallel workers the proposals also depend on which
// trials have finished when each is asked for, which no resume can
// reproduce.)
func TestSamplingResume(t *testing.T) {
	space := mixedTestSpace()
	newStrategy := func() Strategy {
		tpe, err := NewTPE(space, TPEOptions{Seed: 11, Startup: 5})
		if err != nil {
			t.Fatal(err)
		}
		return NewSampling(tpe, 3)
	}
	// parallel 1: nothing is in flight when the study stops.
	whole := simulateStudy(t, space, newStrategy(), &History{Budget: 40}, 1)
	h := &History{Budget: 23}
	first := simulateStudy(t, space, newStrategy(), h, 1)
	h.Budget = 40
	rest := simulateStudy(t, space, newStrategy(), h, 1)
	resumed := append(first, rest...)
	if len(whole) != 40 || len(resumed) != 40 {
		t.Fatalf("%d and %d trials, want 40", len(whole), len(resumed))
	}
	for i := range whole {
		if !whole[i].Equal(resumed[i]) {
			t.Fatalf("trial %d: uninterrupted %v, resumed %v", i, whole[i], resumed[i])
		}
	}
}
