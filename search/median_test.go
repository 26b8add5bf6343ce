package search

import (
	"math"
	"slices"
	"testing"

	"github.com/dltune/dltune"
)

// lossTrial returns trial n in state s with the given validation losses.
func lossTrial(n int, s dltune.State, losses ...float64) *Record {
	return &Record{Number: n, State: s, Budget: len(losses), RetryOf: -1, Losses: losses}
}

func TestMedianPrunerDecisions(t *testing.T) {
	others := []*Record{
		lossTrial(0, dltune.Complete, 1.0, 0.8, 0.6),
		lossTrial(1, dltune.Pruned, 0.9, 0.7, 0.5),
		lossTrial(2, dltune.Running, 1.2, 1.0, 0.9),
		lossTrial(3, dltune.Failed, 0.5),
	}
	nan := math.NaN()
	tests := []struct {
		name              string
		warmup, minTrials int
		curve             []float64
		want              bool
	}{
		// Epoch 2: others .8, .7, 1.0 → median .8.
		{"worse than the median", 1, 2, []float64{1.0, 0.95}, true},
		{"better than the median", 1, 2, []float64{1.0, 0.75}, false},
		{"equal to the median", 1, 2, []float64{1.0, 0.8}, false},
		{"best so far counts", 1, 2, []float64{0.6, 0.9}, false},
		{"in warm-up", 2, 1, []float64{1.0, 5.0}, false},
		{"too few others", 1, 4, []float64{1.0, 0.95}, false},
		{"no other this far", 0, 1, []float64{1, 1, 1, 1}, false},
		{"no epochs", 0, 1, nil, false},
		// Epoch 1: others 1.0, .9, 1.2, .5 → median (.9+1.0)/2 = .95.
		{"even count worse", 0, 1, []float64{0.96}, true},
		{"even count equal", 0, 1, []float64{0.95}, false},
		{"NaN loss is worst", 0, 1, []float64{nan}, true},
		// Epoch 3: others .6, .5, .9 → median .6.
		{"epoch 3", 2, 3, []float64{0.7, 0.65, 0.61}, true},
		{"epoch 3 min trials", 2, 4, []float64{0.7, 0.65, 0.61}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := lossTrial(9, dltune.Running, tt.curve...)
			h := &History{Trials: append(slices.Clone(others), tr), Next: 10, Budget: 10}
			if got := NewMedianPruner(tt.warmup, tt.minTrials).Prune(h, tr); got != tt.want {
				t.Errorf("Prune = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestMedianPrunerStudy runs five trials one after another, asking the
// pruner after every epoch, and checks exactly the expected trials stop.
func TestMedianPrunerStudy(t *testing.T) {
	curves := [][]float64{
		{1.0, 0.8, 0.6, 0.5},
		{0.9, 0.7, 0.5, 0.4},
		// Epoch 2: others .8, .7 → median .75 < .9: pruned at 2.
		{1.1, 0.9, 0.8, 0.7},
		// Epoch 2: median of .8, .7, .9 is .8 > .6; epoch 3: median of .6,
		// .5 is .55, not worse than .55; epoch 4: .45 > .3. Never pruned.
		{0.8, 0.6, 0.55, 0.3},
		// Epoch 2: median of .8, .7, .9, .6 is .75, not worse than .75;
		// epoch 3: median of .6, .5, .55 is .55 < .7: pruned at 3.
		{1.0, 0.75, 0.7, 0.6},
	}
	p := NewMedianPruner(1, 2)
	h := &History{Budget: len(curves)}
	for n, c := range curves {
		tr := &Record{Number: n, State: dltune.Running, Budget: len(c), RetryOf: -1}
		h.Trials = append(h.Trials, tr)
		h.Next = n + 1
		for _, l := range c {
			tr.Losses = append(tr.Losses, l)
			if p.Prune(h, tr) {
				tr.State = dltune.Pruned
				break
			}
		}
		if tr.State == dltune.Running {
			tr.State = dltune.Complete
		}
	}
	want := map[int]simFinal{0: endComplete(4), 1: endComplete(4), 2: endPruned(2), 3: endComplete(4), 4: endPruned(3)}
	for n, w := range want {
		if got := (simFinal{h.Trials[n].State, len(h.Trials[n].Losses)}); got != w {
			t.Errorf("trial %d: %v after %d epochs, want %v after %d", n, got.state, got.epochs, w.state, w.epochs)
		}
	}
}

func TestMedianPrunerAllocs(t *testing.T) {
	var trials []*Record
	for n := range 50 {
		trials = append(trials, lossTrial(n, dltune.Complete, 1, 0.9, 0.8, float64(n)/50))
	}
	h := &History{Trials: trials, Next: 50, Budget: 100}
	p := NewMedianPruner(0, 1)
	p.Prune(h, trials[7])
	if a := testing.AllocsPerRun(100, func() { p.Prune(h, trials[7]) }); a != 0 {
		t.Errorf("Prune allocates %v times per call, want 0", a)
	}
}
