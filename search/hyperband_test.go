package search

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

func TestHyperbandPlan(t *testing.T) {
	tests := []struct {
		name          string
		opt           HalvingOptions
		budget        int
		rungs         []int
		configs       []int   // by bracket, s_max first
		sizes         [][]int // of bracket s_max first
		brackets, eps []int
	}{{
		name: "one iteration", opt: HalvingOptions{MinEpochs: 1, MaxEpochs: 9, Eta: 3}, budget: 17,
		rungs: []int{1, 3, 9}, configs: []int{9, 5, 3},
		sizes: [][]int{{9, 3, 1}, {5, 1}, {3}},
	}, {
		// 30·9/17 = 15.88, 30·5/17 = 8.82, 30·3/17 = 5.29: floors 15, 8, 5
		// and the two left over go to the largest remainders, s = 2 and 1.
		name: "scaled up", opt: HalvingOptions{MinEpochs: 1, MaxEpochs: 9}, budget: 30,
		rungs: []int{1, 3, 9}, configs: []int{16, 9, 5},
		sizes: [][]int{{16, 5, 1}, {9, 3}, {5}},
	}, {
		// 5·9/17 = 2.65, 5·5/17 = 1.47, 5·3/17 = 0.88: floors 2, 1, 0;
		// remainders .88 (s=0) and .65 (s=2) win the two left.
		name: "scaled down", opt: HalvingOptions{MinEpochs: 1, MaxEpochs: 9}, budget: 5,
		rungs: []int{1, 3, 9}, configs: []int{3, 1, 1},
		sizes: [][]int{{3, 1, 1}, {1, 1}, {1}},
	}, {
		name: "budget 1", opt: HalvingOptions{MinEpochs: 1, MaxEpochs: 9}, budget: 1,
		rungs: []int{1, 3, 9}, configs: []int{1, 0, 0},
		sizes: [][]int{{1, 1, 1}, {0, 0}, {0}},
	}, {
		// Rungs 2, 4, 8, 16: w_s = ⌈4·2^s/(s+1)⌉ = 4, 4, 6, 8 for s = 0..3
		// (W = 22); 44 is two iterations.
		name: "eta 2", opt: HalvingOptions{MinEpochs: 2, MaxEpochs: 16, Eta: 2}, budget: 44,
		rungs: []int{2, 4, 8, 16}, configs: []int{16, 12, 8, 8},
		sizes: [][]int{{16, 8, 4, 2}, {12, 6, 3}, {8, 4}, {8}},
	}, {
		name: "one rung", opt: HalvingOptions{MinEpochs: 5, MaxEpochs: 5}, budget: 7,
		rungs: []int{5}, configs: []int{7},
		sizes: [][]int{{7}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opt.Sampler = &idSampler{}
			hb, err := NewHyperband(&idSpace, tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(hb.Rungs(), tt.rungs) {
				t.Fatalf("Rungs = %v, want %v", hb.Rungs(), tt.rungs)
			}
			plan := hb.Plan(tt.budget)
			total := 0
			for i, b := range plan {
				s := len(plan) - 1 - i
				if b.Number != s || !slices.Equal(b.Rungs, tt.rungs[len(tt.rungs)-1-s:]) {
					t.Errorf("bracket %d: %+v, want number %d rungs %v", i, b, s, tt.rungs[len(tt.rungs)-1-s:])
				}
				if b.Sizes[0] != tt.configs[i] || !slices.Equal(b.Sizes, tt.sizes[i]) {
					t.Errorf("bracket %d: sizes %v, want %v", s, b.Sizes, tt.sizes[i])
				}
				total += b.Sizes[0]
			}
			if total != tt.budget {
				t.Errorf("plan holds %d configurations, budget %d", total, tt.budget)
			}
		})
	}
}

// tableHB extends tableB with the configurations of brackets 1 (ids
// 9..13, compared at 3 epochs: 10 .40, 13 .45, 11 .55, 9 .60, 12 .70) and
// 0 (ids 14..16, trained fully).
var tableHB = append(slices.Clone(tableB),
	[3]float64{0.9, 0.60, 0.50},
	[3]float64{0.9, 0.40, 0.35},
	[3]float64{0.9, 0.55, 0.20},
	[3]float64{0.9, 0.70, 0.65},
	[3]float64{0.9, 0.45, 0.44},
	[3]float64{0.9, 0.50, 0.40},
	[3]float64{0.8, 0.60, 0.30},
	[3]float64{0.7, 0.50, 0.45},
)

func TestHyperbandHandComputed(t *testing.T) {
	// Budget 17: bracket 2 is trials 0..8 from 1 epoch (as successive
	// halving on tableB: 3, 7, 5 to 3 epochs, 7 to 9), bracket 1 is trials
	// 9..13 from 3 epochs (10 to 9) and bracket 0 is trials 14..16 at 9.
	wantFinals := map[int]simFinal{
		0: endPruned(1), 1: endPruned(1), 2: endPruned(1), 3: endPruned(3), 4: endPruned(1),
		5: endPruned(3), 6: endPruned(1), 7: endComplete(9), 8: endPruned(1),
		9: endPruned(3), 10: endComplete(9), 11: endPruned(3), 12: endPruned(3), 13: endPruned(3),
		14: endComplete(9), 15: endComplete(9), 16: endComplete(9),
	}
	wantBracket := func(n int) (bracket, epochs int) {
		switch {
		case n < 9:
			return 2, 1
		case n < 14:
			return 1, 3
		}
		return 0, 9
	}
	for _, o := range simOrders {
		t.Run(o.name, func(t *testing.T) {
			hb, err := NewHyperband(&idSpace, HalvingOptions{MinEpochs: 1, MaxEpochs: 9, Sampler: &idSampler{}})
			if err != nil {
				t.Fatal(err)
			}
			sim := newSim(t, hb, 17, 9, o.workers, simOrderRNG(o.seed), tableOutcome(tableHB, nil, nil))
			sim.record = true
			sim.run(1000)
			if got := simFinals(&sim.h); !reflect.DeepEqual(got, wantFinals) {
				t.Errorf("finals = %v, want %v", got, wantFinals)
			}
			var gotCont []Decision
			for _, d := range continues(sim.steps) {
				if d.Trial < 9 {
					gotCont = append(gotCont, d)
				}
			}
			if want := []Decision{promo(3, 3), promo(7, 3), promo(5, 3), promo(7, 9)}; !reflect.DeepEqual(gotCont, want) {
				t.Errorf("bracket 2 continues = %v, want %v", gotCont, want)
			}
			for _, s := range sim.steps {
				if s.d.Action != Start {
					continue
				}
				n := s.d.Params["id"].Int()
				if b, e := wantBracket(n); s.d.Bracket != b || s.d.Epochs != e {
					t.Errorf("trial %d: %s, want bracket %d, %d epochs", n, decisionString(s.d), b, e)
				}
			}
		})
	}
	t.Run("1 worker order", func(t *testing.T) {
		// One worker finishes each bracket's rung before the next bracket
		// starts, Stops before Continues.
		hb, _ := NewHyperband(&idSpace, HalvingOptions{MinEpochs: 1, MaxEpochs: 9, Sampler: &idSampler{}})
		sim := newSim(t, hb, 17, 9, 1, nil, tableOutcome(tableHB, nil, nil))
		sim.record = true
		sim.run(1000)
		if got, want := continues(sim.steps), []Decision{promo(3, 3), promo(7, 3), promo(5, 3), promo(7, 9), promo(10, 9)}; !reflect.DeepEqual(got, want) {
			t.Errorf("continues = %v, want %v", got, want)
		}
		if got, want := stops(sim.steps), []int{4, 1, 0, 8, 2, 6, 3, 5, 13, 11, 9, 12}; !slices.Equal(got, want) {
			t.Errorf("stops = %v, want %v", got, want)
		}
	})
}

// TestHyperbandMatchesReference runs random Hyperband studies and checks
// every bracket against the offline replay of successive halving.
func TestHyperbandMatchesReference(t *testing.T) {
	for seed := range uint64(40) {
		r := rand.New(rand.NewPCG(seed, 5))
		opt := randomLadder(r)
		opt.Sampler = &idSampler{}
		budget := r.IntN(70)
		workers := 1 + r.IntN(5)
		outcome := randomOutcomes(seed, opt.MaxEpochs, 0.1, 0.2)
		hb, err := NewHyperband(&idSpace, opt)
		if err != nil {
			t.Fatal(err)
		}
		sim := newSim(t, hb, budget, opt.MaxEpochs, workers, rand.New(rand.NewPCG(seed, 6)), outcome)
		sim.run(100000)
		want := make(map[int]simFinal)
		next := 0
		for _, b := range hb.Plan(budget) {
			ids := make([]int, b.Sizes[0])
			for i := range ids {
				ids[i] = next
				next++
			}
			for id, f := range refBracket(ids, b.Rungs, opt.Eta, opt.MaxEpochs, outcome) {
				want[id] = f
			}
		}
		if got := simFinals(&sim.h); !reflect.DeepEqual(got, want) {
			t.Fatalf("seed %d (%+v, budget %d, %d workers): finals\n got %v\nwant %v", seed, opt, budget, workers, got, want)
		}
		checkNoRetraining(t, &sim.h, hb.Rungs(), outcome)
	}
}
