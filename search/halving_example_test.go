package search_test

import (
	"fmt"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/search"
)

// halvingFixedSampler proposes the same learning rate for every trial; a real
// study uses a random, TPE or GP sampler.
type halvingFixedSampler struct{}

func (halvingFixedSampler) Sample([]search.Observation, []dltune.Params, int) (dltune.Params, error) {
	return dltune.Params{"lr": dltune.Float(0.01)}, nil
}

var halvingSpace = &search.Space{Params: []search.Param{{Name: "lr", Type: search.FloatRange, Low: 1e-4, High: 1, Log: true}}}

func ExampleRungs() {
	fmt.Println(search.Rungs(1, 9, 3))
	fmt.Println(search.Rungs(1, 10, 3))
	fmt.Println(search.Rungs(2, 9, 3))
	// Output:
	// [1 3 9]
	// [1 3 9 10]
	// [2 6 9]
}

func ExampleHyperband_Plan() {
	hb, err := search.NewHyperband(halvingSpace, search.HalvingOptions{MinEpochs: 1, MaxEpochs: 9, Eta: 3, Sampler: halvingFixedSampler{}})
	if err != nil {
		panic(err)
	}
	for _, b := range hb.Plan(17) {
		fmt.Printf("bracket %d: rungs %v, trials %v\n", b.Number, b.Rungs, b.Sizes)
	}
	// Output:
	// bracket 2: rungs [1 3 9], trials [9 3 1]
	// bracket 1: rungs [3 9], trials [5 1]
	// bracket 0: rungs [9], trials [3]
}

func ExampleASHA_Next() {
	a, err := search.NewASHA(halvingSpace, search.HalvingOptions{MinEpochs: 1, MaxEpochs: 9, Sampler: halvingFixedSampler{}})
	if err != nil {
		panic(err)
	}
	// Three trials have trained 1 epoch; ASHA promotes the best of them.
	h := &search.History{Next: 3, Budget: 10}
	for n, loss := range []float64{0.9, 0.4, 0.7} {
		h.Trials = append(h.Trials, &search.Record{
			Number: n, State: dltune.Paused, Budget: 1, RetryOf: -1,
			Losses: []float64{loss},
		})
	}
	d, err := a.Next(h)
	if err != nil {
		panic(err)
	}
	fmt.Println(d.Action == search.Continue, d.Trial, d.Epochs)
	// Output: true 1 3
}

func ExampleMedianPruner() {
	p := search.NewMedianPruner(1, 2)
	trial := func(n int, losses ...float64) *search.Record {
		return &search.Record{Number: n, State: dltune.Running, RetryOf: -1, Losses: losses}
	}
	h := &search.History{Trials: []*search.Record{
		trial(0, 1.0, 0.8), trial(1, 0.9, 0.6), trial(2, 1.1, 0.95),
	}}
	// At epoch 2 the others have 0.8 and 0.6 (median 0.7): trial 2's best,
	// 0.95, is worse.
	fmt.Println(p.Prune(h, h.Trials[2]))
	// Output: true
}
