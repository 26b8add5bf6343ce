package core

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestInitializers(t *testing.T) {
	const fanIn, fanOut = 300, 200
	for _, c := range []struct {
		kind     initKind
		variance float64
		bound    float64 // for uniform; 0 for normal
	}{
		{initGlorotUniform, 2.0 / (fanIn + fanOut), math.Sqrt(6.0 / (fanIn + fanOut))},
		{initGlorotNormal, 2.0 / (fanIn + fanOut), 0},
		{initHeUniform, 2.0 / fanIn, math.Sqrt(6.0 / fanIn)},
		{initHeNormal, 2.0 / fanIn, 0},
	} {
		t.Run(c.kind.String(), func(t *testing.T) {
			w := make([]float32, fanIn*fanOut)
			c.kind.fill(w, fanIn, fanOut, rand.New(rand.NewPCG(1, 1)))
			var sum, sq float64
			maxAbs := 0.0
			for _, v := range w {
				sum += float64(v)
				sq += float64(v) * float64(v)
				maxAbs = max(maxAbs, math.Abs(float64(v)))
			}
			n := float64(len(w))
			mean, variance := sum/n, sq/n-(sum/n)*(sum/n)
			if math.Abs(mean) > 3*math.Sqrt(c.variance/n) {
				t.Errorf("mean %v, want 0", mean)
			}
			if math.Abs(variance/c.variance-1) > 0.02 {
				t.Errorf("variance %v, want %v", variance, c.variance)
			}
			if c.bound > 0 && (maxAbs > c.bound || maxAbs < 0.99*c.bound) {
				t.Errorf("largest |w| %v, want just under %v", maxAbs, c.bound)
			}
			if c.bound == 0 && maxAbs < 3.5*math.Sqrt(c.variance) {
				t.Errorf("largest |w| %v: tails too light for a normal distribution", maxAbs)
			}
		})
	}
}

func TestInitDefaults(t *testing.T) {
	for _, c := range []struct {
		act  actKind
		want initKind
	}{
		{actReLU, initHeUniform}, {actLeakyReLU, initHeUniform}, {actGELU, initHeUniform},
		{actTanh, initGlorotUniform}, {actSigmoid, initGlorotUniform},
	} {
		if got, err := parseInit("", activation{kind: c.act}); err != nil || got != c.want {
			t.Errorf("default for %v = %v, %v; want %v", activation{kind: c.act}, got, err, c.want)
		}
	}
	if got, _ := parseInit("he_normal", activation{kind: actTanh}); got != initHeNormal {
		t.Errorf("explicit he_normal gave %v", got)
	}
	// The output layer of a default-initialized ReLU network is Glorot.
	s, err := Config{
		Model:     MLPConfig{Hidden: []int{4}},
		Optimizer: OptimizerConfig{Name: "sgd", LearningRate: 0.1},
		Train:     TrainConfig{Epochs: 1, BatchSize: 4},
	}.resolve(Moons(20, 0, 1), Moons(8, 0, 2))
	if err != nil || s.init != initHeUniform || s.outInit != initGlorotUniform {
		t.Errorf("resolve: %v; init %v, output init %v", err, s.init, s.outInit)
	}
}
