package search_test

import (
	"fmt"
	"math"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/search"
)

// ExampleTPE drives TPE by hand on a one-dimensional function: ask for
// parameters, evaluate, tell the observation.
func ExampleTPE() {
	space := &search.Space{Params: []search.Param{
		{Name: "lr", Type: search.FloatRange, Low: 1e-5, High: 1, Log: true},
	}}
	tpe, err := search.NewTPE(space, search.TPEOptions{Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	var obs []search.Observation
	best := math.Inf(1)
	for n := range 40 {
		p, err := tpe.Sample(obs, nil, n)
		if err != nil {
			fmt.Println(err)
			return
		}
		loss := math.Abs(math.Log10(p["lr"].Num) + 3) // best at lr = 1e-3
		obs = append(obs, search.Observation{Params: p, Loss: loss})
		best = min(best, loss)
	}
	fmt.Println(best < 0.05)
	// Output: true
}

// ExampleNewSampling makes the strategy `strategy: bayesian, method: tpe`.
func ExampleNewSampling() {
	space := &search.Space{Params: []search.Param{{Name: "x", Type: search.FloatRange, Low: 0, High: 1}}}
	tpe, err := search.NewTPE(space, search.TPEOptions{Seed: 7})
	if err != nil {
		fmt.Println(err)
		return
	}
	s := search.NewSampling(tpe, 20)
	h := &search.History{Budget: 2}
	for {
		d, err := s.Next(h)
		if err != nil || d.Action == search.Done {
			break
		}
		fmt.Println(d.Action == search.Start, d.Epochs)
		h.Trials = append(h.Trials, &search.Record{Number: h.Next, Params: d.Params, State: dltune.Running})
		h.Next++
	}
	// Output:
	// true 20
	// true 20
}
