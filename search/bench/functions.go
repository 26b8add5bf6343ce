package bench

import (
	"math"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/search"
)

// A Function is a test objective over a search space with a known minimum.
type Function struct {
	// Name identifies the function, as Functions lists them.
	Name string
	// HeldOut marks a function the samplers' defaults were not chosen on:
	// results on it say how those choices carry over.
	HeldOut bool
	// Space is the function's search space.
	Space *search.Space
	// Optimum is the function's global minimum over Space.
	Optimum float64
	// Eval returns the function's value at a point of Space. It is safe
	// for concurrent use.
	Eval func(p dltune.Params) float64
	// Noise is the standard deviation of the Gaussian noise added to Eval
	// in what a sampler observes; the regret is always noiseless.
	Noise float64
}

// Functions returns the built-in test functions, freshly built: first the
// four the samplers' defaults were tuned on (Branin, Hartmann-6,
// Styblinski-Tang-10, mixed), then the held-out ones (Rastrigin-6,
// Schwefel-4, noisy Hartmann-6, noisy Branin, pipeline, Ackley-5, Levy-6).
func Functions() []Function {
	return []Function{Branin(), Hartmann6(), StyblinskiTang10(), Mixed(),
		Rastrigin6(), Schwefel4(), NoisyHartmann6(), NoisyBranin(), Pipeline(), Ackley5(), Levy6()}
}

// Lookup returns the built-in function with the given name.
func Lookup(name string) (Function, bool) {
	for _, f := range Functions() {
		if f.Name == name {
			return f, true
		}
	}
	return Function{}, false
}

func floatParam(name string, lo, hi float64) search.Param {
	return search.Param{Name: name, Type: search.FloatRange, Low: lo, High: hi}
}

// Branin returns the Branin-Hoo function on x1 in [-5, 10], x2 in [0, 15];
// its minimum 5/(4π) ≈ 0.397887 is reached at (-π, 12.275), (π, 2.275) and
// (9.42478, 2.475).
func Branin() Function {
	return Function{
		Name:    "branin",
		Space:   &search.Space{Params: []search.Param{floatParam("x1", -5, 10), floatParam("x2", 0, 15)}},
		Optimum: 5 / (4 * math.Pi),
		Eval: func(p dltune.Params) float64 {
			return branin(p["x1"].Num, p["x2"].Num)
		},
	}
}

func branin(x1, x2 float64) float64 {
	const (
		a = 1
		r = 6
		s = 10
	)
	b := 5.1 / (4 * math.Pi * math.Pi)
	c := 5 / math.Pi
	t := 1 / (8 * math.Pi)
	u := x2 - b*x1*x1 + c*x1 - r
	return a*u*u + s*(1-t)*math.Cos(x1) + s
}

var hartmannNames = [6]string{"x1", "x2", "x3", "x4", "x5", "x6"}

// Hartmann6 returns the 6-dimensional Hartmann function on [0, 1]^6; its
// minimum ≈ -3.32237 is reached at (0.20169, 0.150011, 0.476874, 0.275332,
// 0.311652, 0.6573).
func Hartmann6() Function {
	ps := make([]search.Param, 6)
	for i, n := range hartmannNames {
		ps[i] = floatParam(n, 0, 1)
	}
	return Function{
		Name:    "hartmann6",
		Space:   &search.Space{Params: ps},
		Optimum: -3.322368011415515,
		Eval: func(p dltune.Params) float64 {
			var x [6]float64
			for i, n := range hartmannNames {
				x[i] = p[n].Num
			}
			return hartmann6(x)
		},
	}
}

func hartmann6(x [6]float64) float64 {
	alpha := [4]float64{1.0, 1.2, 3.0, 3.2}
	a := [4][6]float64{
		{10, 3, 17, 3.5, 1.7, 8},
		{0.05, 10, 17, 0.1, 8, 14},
		{3, 3.5, 1.7, 10, 17, 8},
		{17, 8, 0.05, 10, 0.1, 14},
	}
	p := [4][6]float64{
		{1312, 1696, 5569, 124, 8283, 5886},
		{2329, 4135, 8307, 3736, 1004, 9991},
		{2348, 1451, 3522, 2883, 3047, 6650},
		{4047, 8828, 8732, 5743, 1091, 381},
	}
	y := 0.0
	for i := range 4 {
		s := 0.0
		for j := range 6 {
			d := x[j] - p[i][j]*1e-4
			s += a[i][j] * d * d
		}
		y -= alpha[i] * math.Exp(-s)
	}
	return y
}

// styblinskiTangMin is the minimum of one term x⁴ - 16x² + 5x over 2, at
// x ≈ -2.903534, the root of 4x³ - 32x + 5.
var styblinskiTangMin = func() float64 {
	x := -2.9
	for range 50 {
		x -= (4*x*x*x - 32*x + 5) / (12*x*x - 32)
	}
	return (x*x*x*x - 16*x*x + 5*x) / 2
}()

// StyblinskiTang10 returns the 10-dimensional Styblinski-Tang function
// f(x) = Σ (x⁴ - 16x² + 5x)/2 where each x = log10(u) for a parameter u
// log-scaled on [1e-5, 1e5], like ten learning rates. Its minimum
// ≈ -391.6617 is reached at x ≈ -2.903534 (u ≈ 1.25e-3) in every
// dimension.
func StyblinskiTang10() Function {
	names := make([]string, 10)
	ps := make([]search.Param, 10)
	for i := range ps {
		names[i] = "u" + string(rune('0'+i))
		ps[i] = search.Param{Name: names[i], Type: search.FloatRange, Low: 1e-5, High: 1e5, Log: true}
	}
	return Function{
		Name:    "styblinski-tang10",
		Space:   &search.Space{Params: ps},
		Optimum: 10 * styblinskiTangMin,
		Eval: func(p dltune.Params) float64 {
			y := 0.0
			for _, n := range names {
				x := math.Log10(p[n].Num)
				y += (x*x*x*x - 16*x*x + 5*x) / 2
			}
			return y
		},
	}
}
