package search

import (
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/dltune/dltune"
)

// tableB is a hand-made table of configurations by id: the validation loss
// at rungs 1, 3 and 9 (see rungCurve). Ranked at 1 epoch:
// 3 .40, 7 .45, 5 .50, 4 .60, 1 .70, 0 .80, 8 .85, 2 .90, 6 .95.
var tableB = [][3]float64{
	0: {0.80, 0.70, 0.60},
	1: {0.70, 0.65, 0.62},
	2: {0.90, 0.50, 0.30},
	3: {0.40, 0.38, 0.37},
	4: {0.60, 0.30, 0.20},
	5: {0.50, 0.45, 0.10},
	6: {0.95, 0.90, 0.85},
	7: {0.45, 0.35, 0.33},
	8: {0.85, 0.80, 0.75},
}

// tableOutcome returns the outcomes of a table; fail and stop give the
// failAt and stopAt of some ids.
func tableOutcome(table [][3]float64, fail, stop map[int]int) func(int) simOutcome {
	return func(id int) simOutcome {
		v := table[id]
		return simOutcome{loss: rungCurve(v[0], v[1], v[2]), failAt: fail[id], stopAt: stop[id]}
	}
}

func endPruned(epochs int) simFinal   { return simFinal{dltune.Pruned, epochs} }
func endComplete(epochs int) simFinal { return simFinal{dltune.Complete, epochs} }
func endFailed(epochs int) simFinal   { return simFinal{dltune.Failed, epochs} }

func promo(trial, epochs int) Decision {
	return Decision{Action: Continue, Trial: trial, Epochs: epochs}
}

// simOrders are the ways the simulated workers may run: one worker, four in
// lockstep, and four with random epoch times.
var simOrders = []struct {
	name    string
	workers int
	seed    uint64 // 0: lockstep
}{
	{"1 worker", 1, 0},
	{"4 workers lockstep", 4, 0},
	{"4 workers random 1", 4, 1},
	{"4 workers random 2", 4, 2},
	{"3 workers random 3", 3, 3},
}

func simOrderRNG(seed uint64) *rand.Rand {
	if seed == 0 {
		return nil
	}
	return rand.New(rand.NewPCG(seed, 99))
}

func TestSuccessiveHalvingHandComputed(t *testing.T) {
	tests := []struct {
		name       string
		fail, stop map[int]int
		continues  []Decision
		stops      []int
		simFinals  map[int]simFinal
	}{{
		// Rung 1 keeps 3 of 9: 3, 7, 5. Rung 3 (3 .38, 7 .35, 5 .45) keeps 7.
		name:      "plain",
		continues: []Decision{promo(3, 3), promo(7, 3), promo(5, 3), promo(7, 9)},
		stops:     []int{4, 1, 0, 8, 2, 6, 3, 5},
		simFinals: map[int]simFinal{
			0: endPruned(1), 1: endPruned(1), 2: endPruned(1), 3: endPruned(3), 4: endPruned(1),
			5: endPruned(3), 6: endPruned(1), 7: endComplete(9), 8: endPruned(1),
		},
	}, {
		// 3 fails in its first epoch (+Inf), so rung 1 keeps 7, 5, 4; rung
		// 3 (7 .35, 5 .45, 4 .30) keeps 4, whose early stopping fires
		// after epoch 6.
		name:      "failure and early stop",
		fail:      map[int]int{3: 1},
		stop:      map[int]int{4: 6},
		continues: []Decision{promo(7, 3), promo(5, 3), promo(4, 3), promo(4, 9)},
		stops:     []int{1, 0, 8, 2, 6, 7, 5},
		simFinals: map[int]simFinal{
			0: endPruned(1), 1: endPruned(1), 2: endPruned(1), 3: endFailed(0), 4: endComplete(6),
			5: endPruned(3), 6: endPruned(1), 7: endPruned(3), 8: endPruned(1),
		},
	}, {
		// As above, but 4's early stopping fires right at rung 3: it wins
		// the rung with its final loss and the top rung has nothing to
		// train.
		name:      "winner stops early at a rung",
		fail:      map[int]int{3: 1},
		stop:      map[int]int{4: 3},
		continues: []Decision{promo(7, 3), promo(5, 3), promo(4, 3)},
		stops:     []int{1, 0, 8, 2, 6, 7, 5},
		simFinals: map[int]simFinal{
			0: endPruned(1), 1: endPruned(1), 2: endPruned(1), 3: endFailed(0), 4: endComplete(3),
			5: endPruned(3), 6: endPruned(1), 7: endPruned(3), 8: endPruned(1),
		},
	}, {
		// A winner fails after passing rung 3: the rung stays decided on
		// its rung-3 loss, and nothing replaces it.
		name:      "winner fails at the top rung",
		fail:      map[int]int{7: 5},
		continues: []Decision{promo(3, 3), promo(7, 3), promo(5, 3), promo(7, 9)},
		stops:     []int{4, 1, 0, 8, 2, 6, 3, 5},
		simFinals: map[int]simFinal{
			0: endPruned(1), 1: endPruned(1), 2: endPruned(1), 3: endPruned(3), 4: endPruned(1),
			5: endPruned(3), 6: endPruned(1), 7: endFailed(4), 8: endPruned(1),
		},
	}}
	for _, tt := range tests {
		for _, o := range simOrders {
			t.Run(tt.name+"/"+o.name, func(t *testing.T) {
				sh, err := NewSuccessiveHalving(&idSpace, HalvingOptions{MinEpochs: 1, MaxEpochs: 9, Sampler: &idSampler{}})
				if err != nil {
					t.Fatal(err)
				}
				sim := newSim(t, sh, 9, 9, o.workers, simOrderRNG(o.seed), tableOutcome(tableB, tt.fail, tt.stop))
				sim.record = true
				sim.run(1000)
				if got := continues(sim.steps); !reflect.DeepEqual(got, tt.continues) {
					t.Errorf("continues = %v, want %v", got, tt.continues)
				}
				if got := stops(sim.steps); !slices.Equal(got, tt.stops) {
					t.Errorf("stops = %v, want %v", got, tt.stops)
				}
				if got := simFinals(&sim.h); !reflect.DeepEqual(got, tt.simFinals) {
					t.Errorf("finals = %v, want %v", got, tt.simFinals)
				}
				for _, s := range sim.steps {
					if s.d.Action == Start && (s.d.Epochs != 1 || s.d.Bracket != 0) {
						t.Errorf("%s: want 1 epoch in bracket 0", decisionString(s.d))
					}
				}
			})
		}
	}
}

// refLoss is a configuration's loss at rung r computed from its outcome
// alone: +Inf if it fails before r, its final loss if it stops early.
func refLoss(o simOutcome, r int) float64 {
	best := math.Inf(1)
	for e := 1; e <= r; e++ {
		if e == o.failAt {
			return math.Inf(1)
		}
		best = min(best, o.loss[e-1])
		if e == o.stopAt {
			break
		}
	}
	return best
}

// refBracket replays synchronous successive halving from the outcomes
// alone, without the simulator: ids start at rungs[0], and each rung keeps
// the best max(1, ⌊n/eta⌋). It returns each id's expected end.
func refBracket(ids, rungs []int, eta, maxEpochs int, outcome func(int) simOutcome) map[int]simFinal {
	reached := make(map[int]int)
	cur := slices.Clone(ids)
	for i, r := range rungs {
		for _, id := range cur {
			reached[id] = r
		}
		if i == len(rungs)-1 || len(cur) == 0 {
			break
		}
		slices.SortStableFunc(cur, func(a, b int) int {
			la, lb := refLoss(outcome(a), r), refLoss(outcome(b), r)
			switch {
			case la < lb:
				return -1
			case la > lb:
				return 1
			}
			return a - b
		})
		cur = cur[:max(1, len(cur)/eta)]
	}
	out := make(map[int]simFinal)
	for id, r := range reached {
		o := outcome(id)
		out[id] = endPruned(r)
		for e := 1; e <= r; e++ {
			if e == o.failAt {
				out[id] = endFailed(e - 1)
				break
			}
			if e == o.stopAt || e == maxEpochs {
				out[id] = endComplete(e)
				break
			}
		}
	}
	return out
}

// randomLadder draws halving options for property tests.
func randomLadder(r *rand.Rand) HalvingOptions {
	minE := 1 + r.IntN(2)
	eta := 2 + r.IntN(3)
	maxE := minE * (1 + r.IntN(eta*eta*eta))
	return HalvingOptions{MinEpochs: minE, MaxEpochs: maxE, Eta: eta}
}

// TestSuccessiveHalvingMatchesReference runs random studies, with failures
// and early stopping, on random numbers of workers, and checks every trial
// ends as the offline replay of the algorithm says.
func TestSuccessiveHalvingMatchesReference(t *testing.T) {
	for seed := range uint64(60) {
		r := rand.New(rand.NewPCG(seed, 1))
		opt := randomLadder(r)
		opt.Sampler = &idSampler{}
		budget := r.IntN(60)
		workers := 1 + r.IntN(5)
		outcome := randomOutcomes(seed, opt.MaxEpochs, 0.1, 0.2)
		sh, err := NewSuccessiveHalving(&idSpace, opt)
		if err != nil {
			t.Fatal(err)
		}
		sim := newSim(t, sh, budget, opt.MaxEpochs, workers, rand.New(rand.NewPCG(seed, 2)), outcome)
		sim.run(100000)
		ids := make([]int, budget)
		for i := range ids {
			ids[i] = i
		}
		want := refBracket(ids, sh.Rungs(), opt.Eta, opt.MaxEpochs, outcome)
		if got := simFinals(&sim.h); !reflect.DeepEqual(got, want) {
			t.Fatalf("seed %d (%+v, budget %d, %d workers): finals\n got %v\nwant %v", seed, opt, budget, workers, got, want)
		}
		checkNoRetraining(t, &sim.h, sh.Rungs(), outcome)
		for _, tr := range sim.h.Trials {
			if tr.State == dltune.Paused {
				t.Errorf("seed %d: trial %d left Paused at Done", seed, tr.Number)
			}
		}
	}
}

func TestSuccessiveHalvingPlan(t *testing.T) {
	sh, err := NewSuccessiveHalving(&idSpace, HalvingOptions{MinEpochs: 1, MaxEpochs: 9, Sampler: &idSampler{}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		budget int
		sizes  []int
	}{
		{27, []int{27, 9, 3}},
		{9, []int{9, 3, 1}},
		{5, []int{5, 1, 1}},
		{1, []int{1, 1, 1}},
		{0, []int{0, 0, 0}},
	}
	for _, tt := range tests {
		b := sh.Plan(tt.budget)
		if b.Number != 0 || !slices.Equal(b.Rungs, []int{1, 3, 9}) || !slices.Equal(b.Sizes, tt.sizes) {
			t.Errorf("Plan(%d) = %+v, want rungs [1 3 9] sizes %v", tt.budget, b, tt.sizes)
		}
	}
}
