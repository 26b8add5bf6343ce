package bench

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
)

// A pin is today's median regret of a strategy on a built-in function, in
// a short run (pinShort) and in the README's run (pinLong).
type pin struct {
	fn, strategy string
	short, long  float64
}

// The settings of the pinned runs. The short ones run in seconds; the
// long ones are the README's (dltune bench search --trials 100 --seeds 20)
// and run with DLTUNE_LONG=1.
var (
	pinShort = pinRun{tpeSeeds: 10, tpeTrials: 40, gpSeeds: 3, gpTrials: 25}
	pinLong  = pinRun{tpeSeeds: 20, tpeTrials: 100, gpSeeds: 20, gpTrials: 100}
)

type pinRun struct{ tpeSeeds, tpeTrials, gpSeeds, gpTrials int }

// pins were measured with DLTUNE_PIN_PRINT=1 go test ./search/bench -run
// TestPinnedRegret -v; the long column is the README's run, kept in
// results/bench-search-100x20.txt. Where today's regret is close to random
// search's (Rastrigin-6, Schwefel-4), 3× worse is beyond what random search
// does, so those pins only catch a sampler gone badly wrong.
var pins = []pin{
	{"branin", "tpe", 0.04616, 0.005648},
	{"branin", "gp", 0.005638, 5.431e-07},
	{"hartmann6", "tpe", 0.8073, 0.1548},
	{"hartmann6", "gp", 0.8921, 2.113e-07},
	{"styblinski-tang10", "tpe", 158.1, 95.91},
	{"styblinski-tang10", "gp", 97.7, 56.55},
	{"mixed", "tpe", 0.4036, 0.2},
	{"mixed", "gp", 0.3139, 0.15},
	{"rastrigin6", "tpe", 49.43, 34.66},
	{"rastrigin6", "gp", 47.72, 34.12},
	{"schwefel4", "tpe", 628, 443.3},
	{"schwefel4", "gp", 582.3, 610.9},
	{"hartmann6-noisy", "tpe", 0.6058, 0.2344},
	{"hartmann6-noisy", "gp", 1.173, 0.05411},
	{"branin-noisy", "tpe", 1.134, 0.2089},
	{"branin-noisy", "gp", 0.2721, 0.2195},
	{"pipeline", "tpe", 0.3131, 0.1479},
	{"pipeline", "gp", 0.3011, 0.3},
	{"ackley5", "tpe", 10.51, 4.598},
	{"ackley5", "gp", 7.708, 2.682},
	{"levy6", "tpe", 6.049, 2.756},
	{"levy6", "gp", 4.334, 0.1455},
}

// TestPinnedRegret fails if TPE or the GP gets 3× worse than the pinned
// median regret on any built-in function: a regression in the samplers or
// in a function shows here before it reaches the README's figures. The
// short runs take seconds; DLTUNE_LONG=1 also runs the README's setting
// (minutes). Under the race detector the GP, ten times slower there, is
// left out. DLTUNE_PIN_PRINT=1 prints the pins measured now.
func TestPinnedRegret(t *testing.T) {
	runs := []pinRun{pinShort}
	if os.Getenv("DLTUNE_LONG") != "" {
		runs = append(runs, pinLong)
	}
	measured := map[string][2]float64{}
	for ri, run := range runs {
		for _, strategy := range []string{"tpe", "gp"} {
			seeds, trials := run.tpeSeeds, run.tpeTrials
			if strategy == "gp" {
				if gpRace {
					t.Log("gp pins skipped under the race detector")
					continue
				}
				seeds, trials = run.gpSeeds, run.gpTrials
			}
			res, err := Compare(context.Background(), Functions(), []string{strategy}, trials, seeds, DefaultRegistry().New)
			if err != nil {
				t.Fatal(err)
			}
			if len(res) != len(Functions()) {
				t.Fatalf("%d results for %d functions", len(res), len(Functions()))
			}
			for _, r := range res {
				key := r.Function + " " + r.Strategy
				m := measured[key]
				m[ri] = r.Regret[trials].Median
				measured[key] = m
			}
		}
	}
	if os.Getenv("DLTUNE_PIN_PRINT") != "" {
		var b strings.Builder
		for _, f := range Functions() {
			for _, s := range []string{"tpe", "gp"} {
				m := measured[f.Name+" "+s]
				fmt.Fprintf(&b, "\t{%q, %q, %.4g, %.4g},\n", f.Name, s, m[0], m[1])
			}
		}
		t.Logf("pins:\n%s", b.String())
	}
	problems, checked := checkPins(pins, measured, len(runs))
	for _, p := range problems {
		t.Error(p)
	}
	if want := len(runs) * len(measured); checked != want && os.Getenv("DLTUNE_PIN_PRINT") == "" {
		t.Errorf("checked %d pins, want %d: every function and strategy needs one", checked, want)
	}
}

// checkPins compares the measured medians (by "function strategy", one
// per run) with the pins and returns what is more than 3× worse, and how
// many comparisons it made.
func checkPins(pins []pin, measured map[string][2]float64, runs int) (problems []string, checked int) {
	names := [2]string{"short", "long"}
	for _, p := range pins {
		m, ok := measured[p.fn+" "+p.strategy]
		if !ok {
			continue
		}
		for ri, want := range []float64{p.short, p.long}[:runs] {
			checked++
			if got := m[ri]; got > 3*want {
				problems = append(problems, fmt.Sprintf("%s %s (%s run): median regret %.4g, more than 3× the pinned %.4g",
					p.fn, p.strategy, names[ri], got, want))
			}
		}
	}
	return problems, checked
}

// TestCheckPins checks that a pin fails at more than 3× and only then.
func TestCheckPins(t *testing.T) {
	ps := []pin{{"branin", "tpe", 0.1, 0.01}, {"mixed", "gp", 0.2, 0.02}}
	tests := []struct {
		name     string
		measured map[string][2]float64
		runs     int
		problems int
		checked  int
	}{
		{"equal", map[string][2]float64{"branin tpe": {0.1, 0.01}, "mixed gp": {0.2, 0.02}}, 2, 0, 4},
		{"3x is allowed", map[string][2]float64{"branin tpe": {0.3, 0.03}}, 2, 0, 2},
		{"short worse", map[string][2]float64{"branin tpe": {0.31, 0.01}}, 2, 1, 2},
		{"long worse", map[string][2]float64{"mixed gp": {0.2, 0.07}}, 2, 1, 2},
		{"long not run", map[string][2]float64{"mixed gp": {0.2, 0.07}}, 1, 0, 1},
		{"better is fine", map[string][2]float64{"branin tpe": {0.001, 0.0001}}, 2, 0, 2},
	}
	for _, tt := range tests {
		problems, checked := checkPins(ps, tt.measured, tt.runs)
		if len(problems) != tt.problems || checked != tt.checked {
			t.Errorf("%s: %d problems %q, %d checked; want %d, %d", tt.name, len(problems), problems, checked, tt.problems, tt.checked)
		}
	}
}
