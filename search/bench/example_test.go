package bench_test

import (
	"context"
	"fmt"

	"github.com/dltune/dltune/search"
	"github.com/dltune/dltune/search/bench"
)

// ExampleCompare compares random search with TPE on Branin, as
// `dltune bench search --strategies random,tpe --trials 30 --seeds 4`
// would, and registers one more strategy in the registry.
func ExampleCompare() {
	reg := bench.DefaultRegistry()
	reg["tpe-optuna"] = func(s *search.Space, seed uint64) (search.Sampler, error) {
		return search.NewTPE(s, search.TPEOptions{Seed: seed, Bandwidth: 0.2, MagicClip: 1, FixedBandwidth: true})
	}
	res, err := bench.Compare(context.Background(), []bench.Function{bench.Branin()},
		[]string{"random", "tpe", "tpe-optuna"}, 30, 4, reg.New)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range res {
		fmt.Printf("%s %s: median regret after 30 trials %.3f\n", r.Function, r.Strategy, r.Regret[30].Median)
	}
	// Output:
	// branin random: median regret after 30 trials 0.676
	// branin tpe: median regret after 30 trials 0.148
	// branin tpe-optuna: median regret after 30 trials 0.608
}
