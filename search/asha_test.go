package search

import (
	"cmp"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/dltune/dltune"
)

func TestASHAHandComputed(t *testing.T) {
	// With one worker (and with two in lockstep) ASHA on tableB, budget 9,
	// rungs 1, 3, 9:
	//   0 .80, 1 .70, 2 .90 at rung 1 → best of 3 is 1 → 1 to 3 (.65);
	//   3 .40 → best of 4 is 3 → 3 to 3 (.38);
	//   4 .60, 5 .50 → best 2 of 6 are 3, 5 → 5 to 3 (.45);
	//   rung 3 has 1, 3, 5 → best of 3 is 3 → 3 to 9 (.37);
	//   6 .95, 7 .45 → best 2 of 8 are 3, 7 → 7 to 3 (.35);
	//   rung 3 has 1, 3, 5, 7 → best is 7 → 7 to 9 (.33);
	//   8 .85 → best 3 of 9 are 3, 7, 5, all promoted: done.
	// Trial 1 was promoted on early evidence that synchronous halving
	// would not have had (it keeps 3, 7, 5 at rung 1).
	want := []Decision{promo(1, 3), promo(3, 3), promo(5, 3), promo(3, 9), promo(7, 3), promo(7, 9)}
	wantFinals := map[int]simFinal{
		0: endPruned(1), 1: endPruned(3), 2: endPruned(1), 3: endComplete(9), 4: endPruned(1),
		5: endPruned(3), 6: endPruned(1), 7: endComplete(9), 8: endPruned(1),
	}
	for _, workers := range []int{1, 2} {
		a, err := NewASHA(&idSpace, HalvingOptions{MinEpochs: 1, MaxEpochs: 9, Sampler: &idSampler{}})
		if err != nil {
			t.Fatal(err)
		}
		sim := newSim(t, a, 9, 9, workers, nil, tableOutcome(tableB, nil, nil))
		sim.record = true
		sim.run(1000)
		if got := continues(sim.steps); !reflect.DeepEqual(got, want) {
			t.Errorf("%d workers: continues = %v, want %v", workers, got, want)
		}
		if got := stops(sim.steps); len(got) != 0 {
			t.Errorf("%d workers: stops = %v, want none", workers, got)
		}
		if got := simFinals(&sim.h); !reflect.DeepEqual(got, wantFinals) {
			t.Errorf("%d workers: finals = %v, want %v", workers, got, wantFinals)
		}
	}
}

// ashaCandidate is ASHA's promotion rule written out plainly, for checking:
// it returns a trial that is Paused at a rung, not yet promoted, and among
// the best ⌊n/eta⌋ of the n results at that rung.
func ashaCandidate(h *History, rungs []int, eta int) (int, bool) {
	for k := range len(rungs) - 1 {
		r := rungs[k]
		type res struct {
			t    *Record
			loss float64
		}
		var rs []res
		for _, t := range h.Trials {
			switch {
			case len(t.Losses) >= r:
				rs = append(rs, res{t, t.LossAt(r)})
			case t.Budget >= r && t.State == dltune.Complete:
				rs = append(rs, res{t, t.Loss()})
			case t.Budget >= r && (t.State == dltune.Failed || t.State == dltune.Pruned):
				rs = append(rs, res{t, math.Inf(1)})
			}
		}
		slices.SortFunc(rs, func(a, b res) int {
			if c := cmp.Compare(a.loss, b.loss); c != 0 {
				return c
			}
			return a.t.Number - b.t.Number
		})
		for _, x := range rs[:len(rs)/eta] {
			if x.t.State == dltune.Paused && x.t.Budget == r {
				return x.t.Number, true
			}
		}
	}
	return 0, false
}

// TestASHAParallel runs ASHA on four workers whose epochs take random
// times, so trials finish out of order, and checks at every decision that
// no worker idles while there is work, that no trial is promoted twice
// from a rung, and at the end that no trial is lost or retrained.
func TestASHAParallel(t *testing.T) {
	for seed := range uint64(40) {
		r := rand.New(rand.NewPCG(seed, 3))
		opt := randomLadder(r)
		opt.Sampler = &idSampler{}
		budget := 1 + r.IntN(80)
		outcome := randomOutcomes(seed, opt.MaxEpochs, 0.05, 0.1)
		a, err := NewASHA(&idSpace, opt)
		if err != nil {
			t.Fatal(err)
		}
		rungs := a.Rungs()
		promoted := make(map[[2]int]bool)
		sim := newSim(t, a, budget, opt.MaxEpochs, 4, rand.New(rand.NewPCG(seed, 4)), outcome)
		sim.check = func(h *History, d Decision) {
			switch d.Action {
			case Wait, Done:
				if h.Started() < h.Budget {
					t.Fatalf("seed %d: %s with %d of %d trials started", seed, decisionString(d), h.Started(), h.Budget)
				}
				if n, ok := ashaCandidate(h, rungs, opt.Eta); ok {
					t.Fatalf("seed %d: %s while trial %d can be promoted", seed, decisionString(d), n)
				}
			case Stop:
				t.Fatalf("seed %d: ASHA stopped trial %d", seed, d.Trial)
			case Continue:
				tr := sim.trial(d.Trial)
				key := [2]int{d.Trial, tr.Budget}
				if promoted[key] {
					t.Fatalf("seed %d: trial %d promoted twice from rung %d", seed, d.Trial, tr.Budget)
				}
				promoted[key] = true
				i := slices.Index(rungs, tr.Budget)
				if i < 0 || i+1 >= len(rungs) || d.Epochs != rungs[i+1] || len(tr.Losses) != tr.Budget {
					t.Fatalf("seed %d: %s of a trial at %d epochs, budget %d; rungs %v", seed, decisionString(d), len(tr.Losses), tr.Budget, rungs)
				}
			case Start:
				if d.Epochs != rungs[0] || d.Bracket != 0 {
					t.Fatalf("seed %d: %s, want %d epochs in bracket 0", seed, decisionString(d), rungs[0])
				}
			}
		}
		sim.run(100000)
		if sim.h.Started() != budget {
			t.Errorf("seed %d: started %d trials, budget %d", seed, sim.h.Started(), budget)
		}
		checkNoRetraining(t, &sim.h, rungs, outcome)
	}
}

// TestASHANext asks ASHA about hand-made histories (rungs 1, 3, 9).
func TestASHANext(t *testing.T) {
	tr := func(n int, s dltune.State, budget int, losses ...float64) *Record {
		x := lossTrial(n, s, losses...)
		x.Budget = budget
		x.Params = dltune.Params{"id": dltune.Int(n)}
		return x
	}
	P, R, C := dltune.Paused, dltune.Running, dltune.Complete
	tests := []struct {
		name   string
		budget int
		trials []*Record
		want   Decision
	}{{
		// Rung 1's best 2 of 6 are 0 (promoted: budget 3) and 1.
		name: "skip the promoted", budget: 6,
		trials: []*Record{tr(0, R, 3, .1), tr(1, P, 1, .2), tr(2, P, 1, .3), tr(3, P, 1, .4), tr(4, P, 1, .5), tr(5, P, 1, .6)},
		want:   promo(1, 3),
	}, {
		name: "all candidates promoted", budget: 6,
		trials: []*Record{tr(0, R, 3, .1), tr(1, R, 3, .2), tr(2, P, 1, .3), tr(3, P, 1, .4), tr(4, P, 1, .5), tr(5, P, 1, .6)},
		want:   Decision{Action: Wait},
	}, {
		name: "start while budget remains", budget: 7,
		trials: []*Record{tr(0, R, 3, .1), tr(1, R, 3, .2), tr(2, P, 1, .3), tr(3, P, 1, .4), tr(4, P, 1, .5), tr(5, P, 1, .6)},
		want:   Decision{Action: Start, Params: dltune.Params{"id": dltune.Int(6)}, Epochs: 1},
	}, {
		// Rung 3 (0 .25, 1 .35, 2 .45) may promote 0 to 9, and rung 1 (3
		// .05 best of 6) may promote 3 to 3: the higher rung goes first.
		name: "highest rung first", budget: 6,
		trials: []*Record{tr(0, P, 3, .2, .3, .25), tr(1, P, 3, .3, .3, .35), tr(2, P, 3, .4, .45, .45), tr(3, P, 1, .05), tr(4, P, 1, .5), tr(5, P, 1, .6)},
		want:   promo(0, 9),
	}, {
		// 0 stopped early with budget 3: it holds rung 3's best place but
		// cannot be promoted, and nobody else is in the best ⌊3/3⌋.
		name: "early-stopped trial is not promoted", budget: 3,
		trials: []*Record{tr(0, C, 3, .2, .1), tr(1, P, 3, .3, .3, .35), tr(2, P, 3, .4, .45, .45)},
		want:   Decision{Action: Done},
	}, {
		name: "interrupted counts as in flight", budget: 1,
		trials: []*Record{tr(0, dltune.Interrupted, 1)},
		want:   Decision{Action: Wait},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := NewASHA(&idSpace, HalvingOptions{MinEpochs: 1, MaxEpochs: 9, Sampler: &idSampler{}})
			if err != nil {
				t.Fatal(err)
			}
			d, err := a.Next(&History{Trials: tt.trials, Next: len(tt.trials), Budget: tt.budget})
			if err != nil {
				t.Fatal(err)
			}
			if !simSameDecision(d, tt.want) {
				t.Errorf("Next = %s, want %s", decisionString(d), decisionString(tt.want))
			}
		})
	}
}
