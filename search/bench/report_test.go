package bench

import (
	"context"
	"os"
	"strconv"
	"testing"

	"github.com/dltune/dltune/search"
)

// TestReport prints the comparison table of the built-in functions when
// DLTUNE_BENCH is set: DLTUNE_BENCH=1 go test -run Report -v ./search/bench.
// DLTUNE_BENCH_SEEDS and DLTUNE_BENCH_TRIALS override 20 seeds and 100
// trials; DLTUNE_BENCH_FUNCS and DLTUNE_BENCH_STRATEGIES take comma lists
// (the strategies of DefaultRegistry; tpe-optuna and tpe-optuna-univariate,
// this TPE with Optuna 3's bandwidths and clip; tpe-fixed, the first
// default, with fixed kernel widths).
func TestReport(t *testing.T) {
	if os.Getenv("DLTUNE_BENCH") == "" {
		t.Skip("set DLTUNE_BENCH=1 to run the search benchmark")
	}
	seeds, trials := envInt("DLTUNE_BENCH_SEEDS", 20), envInt("DLTUNE_BENCH_TRIALS", 100)
	funcs := Functions()
	if s := os.Getenv("DLTUNE_BENCH_FUNCS"); s != "" {
		funcs = nil
		for _, name := range splitComma(s) {
			f, ok := Lookup(name)
			if !ok {
				t.Fatalf("unknown function %q", name)
			}
			funcs = append(funcs, f)
		}
	}
	reg := DefaultRegistry()
	// Optuna 3's TPE defaults on this implementation, for comparison.
	reg["tpe-optuna"] = func(s *search.Space, seed uint64) (search.Sampler, error) {
		return search.NewTPE(s, search.TPEOptions{Seed: seed, Bandwidth: 0.2, MagicClip: 1, FixedBandwidth: true})
	}
	// dltune's first TPE default: every kernel as wide as Scott's rule
	// with 0.05, whatever its neighbours.
	reg["tpe-fixed"] = func(s *search.Space, seed uint64) (search.Sampler, error) {
		return search.NewTPE(s, search.TPEOptions{Seed: seed, Bandwidth: 0.05, FixedBandwidth: true})
	}
	reg["tpe-optuna-univariate"] = func(s *search.Space, seed uint64) (search.Sampler, error) {
		return search.NewTPE(s, search.TPEOptions{Seed: seed, MagicClip: 1, Univariate: true})
	}
	strategies := []string{"random", "tpe", "tpe-univariate", "gp"}
	if s := os.Getenv("DLTUNE_BENCH_STRATEGIES"); s != "" {
		strategies = splitComma(s)
	}
	res, err := Compare(context.Background(), funcs, strategies, trials, seeds, reg.New)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteTable(os.Stdout, res); err != nil {
		t.Fatal(err)
	}
}

// TestSchwefel2Basins prints, when DLTUNE_BENCH is set, how many of 100
// seeds of TPE find the global basin of 2-D Schwefel (regret under 50;
// the next best basin is 118 above the optimum) within 100 trials: the
// median regret sits on this split, so it says more than the median.
func TestSchwefel2Basins(t *testing.T) {
	if os.Getenv("DLTUNE_BENCH") == "" {
		t.Skip("set DLTUNE_BENCH=1 to run the search benchmark")
	}
	fn := schwefel(2)
	reg := DefaultRegistry()
	reg["tpe-fixed"] = func(s *search.Space, seed uint64) (search.Sampler, error) {
		return search.NewTPE(s, search.TPEOptions{Seed: seed, Bandwidth: 0.05, FixedBandwidth: true})
	}
	reg["tpe-optuna-univariate"] = func(s *search.Space, seed uint64) (search.Sampler, error) {
		return search.NewTPE(s, search.TPEOptions{Seed: seed, MagicClip: 1, Univariate: true})
	}
	for _, name := range []string{"random", "tpe-fixed", "tpe", "tpe-univariate", "tpe-optuna-univariate"} {
		found := 0
		for seed := range uint64(100) {
			s, err := reg.New(name, fn.Space, seed)
			if err != nil {
				t.Fatal(err)
			}
			best, _, err := Run(context.Background(), fn, s, 100, seed)
			if err != nil {
				t.Fatal(err)
			}
			if best[99]-fn.Optimum < 50 {
				found++
			}
		}
		t.Logf("schwefel2 %s: %d of 100 seeds found the global basin in 100 trials", name, found)
	}
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return n
	}
	return def
}

func splitComma(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			if i > start {
				out = append(out, s[start:i])
			}
			start = i + 1
		}
	}
	return out
}
