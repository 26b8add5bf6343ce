package bench

import (
	"context"
	"os"
	"testing"
)

// gpSeeds returns n seeds, or slow when DLTUNE_SLOW is set, or 1 under
// the race detector.
func gpSeeds(n, slow int) int {
	switch {
	case os.Getenv("DLTUNE_SLOW") != "":
		return slow
	case gpRace:
		return 1
	}
	return n
}

// TestGPBeatsRandom is the quality bar of issue 4 for the GP sampler: on
// Branin its median regret after 50 trials is well below random search's
// (5 seeds; 20 with DLTUNE_SLOW=1; 1 under the race detector).
func TestGPBeatsRandom(t *testing.T) {
	seeds := gpSeeds(5, 20)
	res, err := Compare(context.Background(), []Function{Branin()}, []string{"random", "gp"}, 50, seeds, DefaultRegistry().New)
	if err != nil {
		t.Fatal(err)
	}
	random, gp := res[0].Regret[50].Median, res[1].Regret[50].Median
	t.Logf("branin, %d seeds, median regret after 50 trials: gp %.4g, random %.4g", seeds, gp, random)
	if gp > random/10 {
		t.Errorf("gp median regret %.4g after 50 trials, random %.4g: want at most a tenth", gp, random)
	}
}

// TestMixedGPBeatsRandom checks the GP on choice, int, step and
// conditional parameters (3 seeds; 10 with DLTUNE_SLOW=1; 1 under the
// race detector).
func TestMixedGPBeatsRandom(t *testing.T) {
	seeds := gpSeeds(3, 10)
	res, err := Compare(context.Background(), []Function{Mixed()}, []string{"random", "gp"}, 50, seeds, DefaultRegistry().New)
	if err != nil {
		t.Fatal(err)
	}
	random, gp := res[0].Regret[50].Median, res[1].Regret[50].Median
	t.Logf("mixed, %d seeds, median regret after 50 trials: gp %.4g, random %.4g", seeds, gp, random)
	if gp > random*0.75 {
		t.Errorf("mixed: gp median regret %.4g, random %.4g", gp, random)
	}
}
