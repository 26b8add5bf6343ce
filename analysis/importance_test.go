package analysis

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/search"
)

// testSpace is the quickstart's space: lr dominates the synthetic losses
// below, width matters a little and activation not at all.
func testSpace() *search.Space {
	return &search.Space{Params: []search.Param{
		{Name: "lr", Type: search.FloatRange, Low: 1e-4, High: 1e-1, Log: true},
		{Name: "width", Type: search.IntRange, Low: 8, High: 64},
		{Name: "activation", Type: search.Choice, Choices: []dltune.Value{dltune.String("relu"), dltune.String("tanh")}},
	}}
}

// syntheticTrials returns n complete trials sampled uniformly from
// testSpace, whose loss is a function of lr (a bowl in log10 lr) plus a
// small slope in width, and ignores the activation.
func syntheticTrials(n int, seed uint64) []*dltune.Trial {
	rng := rand.New(rand.NewPCG(seed, 0))
	acts := []string{"relu", "tanh"}
	trials := make([]*dltune.Trial, n)
	for i := range trials {
		lr := math.Pow(10, -4+3*rng.Float64())
		width := 8 + rng.IntN(57)
		loss := math.Pow(math.Log10(lr)+2.5, 2) + 0.3*float64(width-8)/56
		trials[i] = &dltune.Trial{
			Number: i, State: dltune.Complete,
			Params: dltune.Params{"lr": dltune.Float(lr), "width": dltune.Int(width), "activation": dltune.String(acts[rng.IntN(2)])},
			Curve:  []dltune.Epoch{{Epoch: 1, ValLoss: loss}},
		}
	}
	return trials
}

func TestImportancesRanksKnownAnswer(t *testing.T) {
	for _, n := range []int{30, 200} {
		imp, err := Importances(testSpace(), syntheticTrials(n, 7), ImportanceOptions{Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(imp) != 3 {
			t.Fatalf("n=%d: %d importances, want 3", n, len(imp))
		}
		got := map[string]float64{}
		sum := 0.0
		for _, im := range imp {
			got[im.Param] = im.Importance
			sum += im.Importance
		}
		if math.Abs(sum-1) > 1e-9 {
			t.Errorf("n=%d: importances sum to %g, want 1", n, sum)
		}
		if imp[0].Param != "lr" || imp[1].Param != "width" || imp[2].Param != "activation" {
			t.Errorf("n=%d: order %v, want lr, width, activation", n, imp)
		}
		if got["lr"] < 0.8 {
			t.Errorf("n=%d: lr %.3f, want the dominant share (> 0.8)", n, got["lr"])
		}
		if got["activation"] > 0.02 {
			t.Errorf("n=%d: activation %.3f, want ~0 (the loss ignores it)", n, got["activation"])
		}
	}
}

func TestImportancesDeterministic(t *testing.T) {
	trials := syntheticTrials(60, 3)
	a, err := Importances(testSpace(), trials, ImportanceOptions{Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Importances(testSpace(), trials, ImportanceOptions{Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("same seed, different results: %v and %v", a, b)
		}
	}
	c, err := Importances(testSpace(), trials, ImportanceOptions{Seed: 6})
	if err != nil {
		t.Fatal(err)
	}
	if a[0].Importance == c[0].Importance {
		t.Errorf("seeds 5 and 6 gave the same %v: is the seed used?", a[0])
	}
}

func TestImportancesTooFew(t *testing.T) {
	for _, c := range []struct {
		complete int
		epochs   int
		want     string
	}{
		{3, 0, "3 complete trials, 4 needed"},
		{1, 0, "1 complete trial, 4 needed"},
		{0, 0, "0 complete trials, 4 needed"},
		{1, 5, "1 trial that reached epoch 5, 4 needed"},
	} {
		trials := syntheticTrials(10, 1)
		for _, tr := range trials[c.complete:] {
			tr.State = dltune.Pruned // only complete trials count
		}
		if c.epochs > 0 {
			for _, tr := range trials[c.complete:] {
				tr.Curve = tr.Curve[:0]
			}
			for _, tr := range trials[:c.complete] {
				for tr.Epochs() < c.epochs {
					tr.Curve = append(tr.Curve, dltune.Epoch{Epoch: tr.Epochs() + 1, ValLoss: 1})
				}
			}
		}
		_, err := Importances(testSpace(), trials, ImportanceOptions{Epochs: c.epochs})
		if !errors.Is(err, ErrTooFewTrials) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%d complete trials: err %v, want ErrTooFewTrials and %q", c.complete, err, c.want)
		}
	}
}

// TestImportancesAtRung checks that a halving study, with few complete
// trials, ranks its parameters by the loss at a rung.
func TestImportancesAtRung(t *testing.T) {
	trials := syntheticTrials(60, 9)
	for i, tr := range trials {
		// Each trial's curve: 3 epochs reaching its loss, then 6 more for
		// 1 in 10 of them; only those complete.
		l := tr.Curve[0].ValLoss
		tr.Curve = []dltune.Epoch{{Epoch: 1, ValLoss: l + 1}, {Epoch: 2, ValLoss: l + 0.5}, {Epoch: 3, ValLoss: l}}
		tr.State = dltune.Pruned
		if i%10 == 0 {
			tr.State = dltune.Complete
			for e := 4; e <= 9; e++ {
				tr.Curve = append(tr.Curve, dltune.Epoch{Epoch: e, ValLoss: l})
			}
		}
	}
	if _, err := Importances(testSpace(), trials, ImportanceOptions{}); err != nil {
		t.Fatalf("6 complete trials: %v", err)
	}
	r := Rung(trials, []int{1, 3, 9})
	if r != 3 {
		t.Fatalf("Rung = %d, want 3 (60 trials reached it, 6 reached 9)", r)
	}
	imp, err := Importances(testSpace(), trials, ImportanceOptions{Seed: 1, Epochs: r})
	if err != nil {
		t.Fatal(err)
	}
	if imp[0].Param != "lr" || imp[len(imp)-1].Param != "activation" {
		t.Errorf("at rung 3: %v, want lr first and activation last", imp)
	}
	if got := Rung(trials[:5], []int{1, 3, 9}); got != 1 {
		t.Errorf("Rung of 5 trials = %d, want the lowest rung", got)
	}
}

// TestMainEffectsAdditive checks the decomposition on a tree whose answer
// is known: f = 2·[x0 > 0.5] + [x1 > 0.25] on the unit square has main
// effects of variance 1 (x0) and 3/16 (x1), and no interaction.
func TestMainEffectsAdditive(t *testing.T) {
	tr := tree{nodes: []node{
		{feature: 0, threshold: 0.5, left: 1, right: 4},
		{feature: 1, threshold: 0.25, left: 2, right: 3},
		{feature: -1, value: 0},
		{feature: -1, value: 1},
		{feature: 1, threshold: 0.25, left: 5, right: 6},
		{feature: -1, value: 2},
		{feature: -1, value: 3},
	}}
	got, ok := tr.mainEffects(2)
	if !ok {
		t.Fatal("constant tree")
	}
	total := 1 + 3.0/16
	want := []float64{1 / total, 3.0 / 16 / total}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Errorf("feature %d: share %g, want %g", i, got[i], want[i])
		}
	}
}

// BenchmarkImportances1000 times Importances on a 1,000-trial study.
func BenchmarkImportances1000(b *testing.B) {
	trials := syntheticTrials(1000, 1)
	space := testSpace()
	for b.Loop() {
		if _, err := Importances(space, trials, ImportanceOptions{Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkImportances10000 times Importances on a 10,000-trial study, as
// the dashboard's importance plot of such a study asks without a bound.
func BenchmarkImportances10000(b *testing.B) {
	trials := syntheticTrials(10000, 1)
	space := testSpace()
	for b.Loop() {
		if _, err := Importances(space, trials, ImportanceOptions{Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestImportancesSample checks that MaxTrials fits a seeded sample: the
// same for the same seed, other for another, none at or above the
// trials' number, and close to all of them on a study lr dominates.
func TestImportancesSample(t *testing.T) {
	trials := syntheticTrials(2000, 4)
	space := testSpace()
	imp := func(seed uint64, maxTrials int) []Importance {
		t.Helper()
		im, err := Importances(space, trials, ImportanceOptions{Seed: seed, MaxTrials: maxTrials})
		if err != nil {
			t.Fatal(err)
		}
		return im
	}
	full := imp(1, 0)
	if got := imp(1, 2000); !slices.Equal(got, full) {
		t.Errorf("MaxTrials 2000 of 2000: %v, want those of all, %v", got, full)
	}
	a, b, c := imp(1, 300), imp(1, 300), imp(2, 300)
	if !slices.Equal(a, b) {
		t.Errorf("a sample of 300 with the same seed: %v then %v", a, b)
	}
	if slices.Equal(a, full) || slices.Equal(a, c) {
		t.Errorf("samples of 300 with seeds 1 and 2 %v, %v, and all trials %v: want all three to differ", a, c, full)
	}
	if a[0].Param != "lr" || math.Abs(a[0].Importance-full[0].Importance) > 0.05 {
		t.Errorf("a sample of 300 ranks %v first, all trials %v", a[0], full[0])
	}
}
