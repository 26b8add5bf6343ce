package search_test

import (
	"fmt"
	"math"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/search"
)

// A GP sampler tunes a learning rate (log scale) and a depth. The loss is
// lowest at lr = 0.01 with two layers.
func ExampleGP() {
	space := &search.Space{Params: []search.Param{
		{Name: "lr", Type: search.FloatRange, Low: 1e-5, High: 1, Log: true},
		{Name: "layers", Type: search.IntRange, Low: 1, High: 6},
	}}
	gp, err := search.NewGP(space, search.GPOptions{Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	loss := func(p dltune.Params) float64 {
		d := math.Log10(p["lr"].Num) + 2
		return d*d + 0.3*math.Abs(float64(p["layers"].Int()-2))
	}
	var obs []search.Observation
	best := search.Observation{Loss: math.Inf(1)}
	for i := 0; i < 30; i++ {
		p, err := gp.Sample(obs, nil, i)
		if err != nil {
			fmt.Println(err)
			return
		}
		o := search.Observation{Params: p, Loss: loss(p)}
		obs = append(obs, o)
		if o.Loss < best.Loss {
			best = o
		}
	}
	lr := best.Params["lr"].Num
	fmt.Println("lr within a factor 2 of 0.01:", lr > 0.005 && lr < 0.02)
	fmt.Println("layers:", best.Params["layers"])
	// Output:
	// lr within a factor 2 of 0.01: true
	// layers: 2
}
