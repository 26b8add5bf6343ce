package analysis

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/dltune/dltune"
)

// healthyCurve is n epochs of a trial that learns well: losses falling
// and levelling off, a small gap, gradients of one order across three
// layers, few dead units.
func healthyCurve(n int) []dltune.Epoch {
	c := make([]dltune.Epoch, n)
	for i := range c {
		train := 0.3 + 0.6*math.Exp(-float64(i)/3)
		c[i] = dltune.Epoch{Epoch: i + 1, TrainLoss: train, ValLoss: train * 1.05, LearningRate: 0.003,
			Layers: []dltune.LayerStats{
				{Name: "dense1", GradRMS: 0.004, GradMax: 0.05, DeadFraction: 0.1},
				{Name: "dense2", GradRMS: 0.008, GradMax: 0.09, DeadFraction: 0.05},
				{Name: "out", GradRMS: 0.02, GradMax: 0.2},
			}}
	}
	return c
}

func TestDiagnose(t *testing.T) {
	cases := []struct {
		name   string
		curve  func() []dltune.Epoch
		want   []Problem // in order
		epoch  int       // of the first finding
		layers string    // of the first finding
		quotes []string  // evidence the first finding must quote
	}{
		{name: "healthy", curve: func() []dltune.Epoch { return healthyCurve(12) }},
		{name: "no epochs", curve: func() []dltune.Epoch { return nil }},
		{name: "vanishing", curve: func() []dltune.Epoch {
			c := healthyCurve(10)
			for i := 3; i < 10; i++ {
				c[i].Layers[0].GradRMS = 2e-5
				c[i].Layers[1].GradRMS = 1e-4
			}
			return c
		}, want: []Problem{Vanishing}, epoch: 4, layers: "dense1,dense2", quotes: []string{"dense1 2e-05 (since epoch 4)", "dense2 0.0001 (since epoch 4)", "below 0.01 of the output layer out's 0.02"}},
		{name: "vanishing only where it lasts", curve: func() []dltune.Epoch {
			c := healthyCurve(10)
			for i := range 10 {
				c[i].Layers[0].GradRMS = 1e-5 // throughout
			}
			for i := 6; i < 10; i++ {
				c[i].Layers[1].GradRMS = 1e-5 // from epoch 7
			}
			return c
		}, want: []Problem{Vanishing}, epoch: 1, layers: "dense1,dense2", quotes: []string{"dense1 1e-05 (since epoch 1), dense2 1e-05 (since epoch 7)"}},
		{name: "exploding", curve: func() []dltune.Epoch {
			c := healthyCurve(8)
			for i := 5; i < 8; i++ {
				c[i].Layers[1].GradRMS = 3
				c[i].Layers[1].GradMax = 40
			}
			return c
		}, want: []Problem{Exploding}, epoch: 6, layers: "dense2", quotes: []string{"dense2 grad_rms 3 (0.008 at epoch 1)", "max |gradient| 40"}},
		{name: "dead relus", curve: func() []dltune.Epoch {
			c := healthyCurve(8)
			for i := 2; i < 8; i++ {
				c[i].Layers[1].DeadFraction = 0.75
			}
			return c
		}, want: []Problem{DeadReLU}, epoch: 3, layers: "dense2", quotes: []string{"75% of dense2's units (since epoch 3)"}},
		{name: "overfitting", curve: func() []dltune.Epoch {
			c := healthyCurve(12)
			for i := range c {
				c[i].TrainLoss = 0.9 - 0.06*float64(i)
				c[i].ValLoss = 0.5 + 0.02*float64((i-4)*(i-4))
			}
			return c
		}, want: []Problem{Overfit}, epoch: 5, quotes: []string{"val_loss rose from 0.5 at epoch 5 to 1.48 at epoch 12 (+196%)", "train_loss fell from 0.66 to 0.24"}},
		{name: "noise after the best is not overfitting", curve: func() []dltune.Epoch {
			c := healthyCurve(25)
			c[21].ValLoss = c[21].TrainLoss * 0.98 // the best, 3 epochs from the end
			c[24].ValLoss = c[21].ValLoss * 1.13
			c[24].TrainLoss = c[23].TrainLoss * 0.99
			return c
		}},
		{name: "halving's short trials are not underfitting", curve: func() []dltune.Epoch {
			c := healthyCurve(3)
			for i := range c {
				c[i].TrainLoss, c[i].ValLoss = 0.69-0.01*float64(i), 0.69
			}
			return c
		}},
		{name: "underfitting", curve: func() []dltune.Epoch {
			c := healthyCurve(10)
			for i := range c {
				c[i].TrainLoss = 0.69 - 0.002*float64(i)
				c[i].ValLoss = 0.70 - 0.002*float64(i)
			}
			return c
		}, want: []Problem{Underfit}, epoch: 1, quotes: []string{"fell only from 0.69 to 0.672 (-3%) over 10 epochs"}},
		{name: "lr too high", curve: func() []dltune.Epoch {
			c := healthyCurve(10)
			for i := range c {
				c[i].TrainLoss = 0.5 + 0.2*float64(i%2) - 0.01*float64(i)
				c[i].ValLoss = c[i].TrainLoss
				c[i].LearningRate = 0.3
			}
			return c
		}, want: []Problem{HighLR}, epoch: 2, quotes: []string{"rose in 5 of 9 epochs (epochs 2, 4, 6, 8, 10", "at lr 0.3"}},
		{name: "divergence to NaN", curve: func() []dltune.Epoch {
			c := healthyCurve(6)
			c[4].TrainLoss = math.NaN()
			return c
		}, want: []Problem{Divergence}, epoch: 5, quotes: []string{"train_loss is NaN at epoch 5"}},
		{name: "divergence by blow-up", curve: func() []dltune.Epoch {
			c := healthyCurve(8)
			c[5].TrainLoss, c[6].TrainLoss, c[7].TrainLoss = 2, 30, 900
			for i := range c {
				c[i].ValLoss = c[i].TrainLoss
			}
			return c
		}, want: []Problem{Divergence}, epoch: 6, quotes: []string{"rose from 0.458 at epoch 5 to 900 at epoch 8"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Diagnose(&dltune.Trial{Curve: c.curve()})
			var problems []Problem
			for _, f := range got {
				problems = append(problems, f.Problem)
			}
			if len(problems) != len(c.want) {
				t.Fatalf("found %v, want %v", got, c.want)
			}
			for i := range c.want {
				if problems[i] != c.want[i] {
					t.Fatalf("found %v, want %v", got, c.want)
				}
			}
			if len(got) == 0 {
				return
			}
			f := got[0]
			if f.Epoch != c.epoch {
				t.Errorf("from epoch %d, want %d: %s", f.Epoch, c.epoch, f)
			}
			if l := strings.Join(f.Layers, ","); l != c.layers {
				t.Errorf("layers %q, want %q: %s", l, c.layers, f)
			}
			for _, q := range c.quotes {
				if !strings.Contains(f.String(), q) {
					t.Errorf("%q does not quote %q", f, q)
				}
			}
		})
	}
}

// TestDiagnoseFailedDivergence finds the divergence that failed a trial
// in an epoch its curve does not hold: the trainer stops on a non-finite
// value before it records the epoch.
func TestDiagnoseFailedDivergence(t *testing.T) {
	dead := healthyCurve(1)
	dead[0].Layers = []dltune.LayerStats{{Name: "dense1", DeadFraction: 1, GradRMS: 0.1}, {Name: "dense2", GradRMS: 0.1}}
	cases := []struct {
		name  string
		trial dltune.Trial
		want  []Finding
	}{
		{"after an epoch", dltune.Trial{Number: 1, State: dltune.Failed, Curve: dead, Error: "trial 1: diverged at epoch 2, batch 2: Inf in loss"},
			[]Finding{{Problem: Divergence, Epoch: 2, Evidence: "training stopped: diverged at epoch 2, batch 2: Inf in loss, after train_loss 0.9 and val_loss 0.945 at epoch 1"}}},
		{"in the first epoch", dltune.Trial{Number: 3, State: dltune.Failed, Error: "trial 3: diverged at epoch 1, validation: NaN in loss"},
			[]Finding{{Problem: Divergence, Epoch: 1, Evidence: "training stopped: diverged at epoch 1, validation: NaN in loss"}}},
		{"another failure", dltune.Trial{Number: 4, State: dltune.Failed, Error: "trial 4: python3 before its first epoch: exit status 1"}, nil},
		{"not failed", dltune.Trial{Number: 5, State: dltune.Complete, Error: "diverged at epoch 2, batch 1: NaN in loss"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Diagnose(&c.trial); !slices.EqualFunc(got, c.want, func(a, b Finding) bool { return a.String() == b.String() && a.Problem == b.Problem }) {
				t.Errorf("Diagnose = %v, want %v", got, c.want)
			}
		})
	}
}
