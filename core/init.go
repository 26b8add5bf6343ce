package core

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// initKind is a weight initializer. Each keeps the variance of activations
// (Glorot: also of gradients) roughly constant from layer to layer.
type initKind uint8

const (
	// Glorot and Bengio 2010: Var(w) = 2/(fan_in+fan_out).
	initGlorotUniform initKind = iota + 1
	initGlorotNormal
	// He et al. 2015: Var(w) = 2/fan_in, for the ReLU family.
	initHeUniform
	initHeNormal
)

var initNames = [...]string{
	initGlorotUniform: "glorot_uniform",
	initGlorotNormal:  "glorot_normal",
	initHeUniform:     "he_uniform",
	initHeNormal:      "he_normal",
}

func (k initKind) String() string { return initNames[k] }

// parseInit returns the initializer named by an MLPConfig, or, for the
// empty name, the usual one for the activation: He for the ReLU family and
// GELU, Glorot for tanh and sigmoid, both uniform.
func parseInit(name string, act activation) (initKind, error) {
	if name == "" {
		switch act.kind {
		case actTanh, actSigmoid, actIdentity:
			return initGlorotUniform, nil
		}
		return initHeUniform, nil
	}
	for k, n := range initNames {
		if n != "" && n == name {
			return initKind(k), nil
		}
	}
	return 0, fmt.Errorf("model.init: unknown initializer %q (want %s)", name, oneOf(Initializers()))
}

// fill initializes w, a fanIn×fanOut weight matrix, from rng. Normal
// initializers are plain (not truncated) normal distributions.
func (k initKind) fill(w []float32, fanIn, fanOut int, rng *rand.Rand) {
	var variance float64
	switch k {
	case initGlorotUniform, initGlorotNormal:
		variance = 2 / float64(fanIn+fanOut)
	case initHeUniform, initHeNormal:
		variance = 2 / float64(fanIn)
	default:
		panic("core: invalid initializer")
	}
	switch k {
	case initGlorotUniform, initHeUniform:
		// U(-a, a) has variance a²/3.
		a := math.Sqrt(3 * variance)
		for i := range w {
			w[i] = float32((2*rng.Float64() - 1) * a)
		}
	default:
		sd := math.Sqrt(variance)
		for i := range w {
			w[i] = float32(rng.NormFloat64() * sd)
		}
	}
}
