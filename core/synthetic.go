package core

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// The synthetic data sets below are generated from a seed, so that tests,
// examples and benchmarks need no download. Each returns its samples in a
// seeded random order (classes interleaved), so that any prefix is a fair
// sample. They panic on a negative count or an impossible shape.

// spiralTurns is how many turns each spiral arm makes.
const spiralTurns = 1.25

// Spirals returns n two-dimensional points on classes interleaved spiral
// arms, one arm per class, the classic test of a nonlinear classifier.
// The arms start near the origin and make 1.25 turns out to radius 1;
// noise is the standard deviation of Gaussian noise added to each
// coordinate. The classes get n/classes points each (the first n%classes
// one more). It panics if n < 0 or classes < 2.
func Spirals(n, classes int, noise float64, seed uint64) *Dataset {
	checkSynth("Spirals", n, classes, 1)
	rng := rand.New(rand.NewPCG(seed, 0x5917a15))
	d := newSynth(n, 2, 1, Classification, classes)
	i := 0
	for c := range classes {
		m := n / classes
		if c < n%classes {
			m++
		}
		for k := range m {
			t := (float64(k) + 0.5) / float64(m)
			r := 0.05 + 0.95*t
			a := 2*math.Pi*float64(c)/float64(classes) + 2*math.Pi*spiralTurns*t
			d.X.Set(i, 0, float32(r*math.Cos(a)+noise*rng.NormFloat64()))
			d.X.Set(i, 1, float32(r*math.Sin(a)+noise*rng.NormFloat64()))
			d.Y.Set(i, 0, float32(c))
			i++
		}
	}
	return shuffleSynth(d, rng)
}

// Moons returns n two-dimensional points on two interleaving half circles
// (as scikit-learn's make_moons): class 0 on the upper unit half circle,
// class 1 on the lower one shifted right by 1 and up by 0.5, with Gaussian
// noise of standard deviation noise on each coordinate. It panics if
// n < 0.
func Moons(n int, noise float64, seed uint64) *Dataset {
	checkSynth("Moons", n, 2, 1)
	rng := rand.New(rand.NewPCG(seed, 0x0000d005))
	d := newSynth(n, 2, 1, Classification, 2)
	outer := n - n/2
	for i := range n {
		var x, y float64
		c := 0
		if i < outer {
			a := math.Pi * float64(i) / float64(max(outer-1, 1))
			x, y = math.Cos(a), math.Sin(a)
		} else {
			a := math.Pi * float64(i-outer) / float64(max(n-outer-1, 1))
			x, y, c = 1-math.Cos(a), 0.5-math.Sin(a), 1
		}
		d.X.Set(i, 0, float32(x+noise*rng.NormFloat64()))
		d.X.Set(i, 1, float32(y+noise*rng.NormFloat64()))
		d.Y.Set(i, 0, float32(c))
	}
	return shuffleSynth(d, rng)
}

// Blobs returns n points in features dimensions drawn from classes
// isotropic Gaussian clusters of standard deviation spread, whose centers
// are uniform in [-10, 10] on every axis (as scikit-learn's make_blobs).
// The classes get n/classes points each (the first n%classes one more).
// It panics if n < 0, classes < 2 or features < 1.
func Blobs(n, classes, features int, spread float64, seed uint64) *Dataset {
	checkSynth("Blobs", n, classes, features)
	rng := rand.New(rand.NewPCG(seed, 0xb10b5))
	centers := make([]float64, classes*features)
	for i := range centers {
		centers[i] = 20*rng.Float64() - 10
	}
	d := newSynth(n, features, 1, Classification, classes)
	for i := range n {
		c := i % classes
		for j := range features {
			d.X.Set(i, j, float32(centers[c*features+j]+spread*rng.NormFloat64()))
		}
		d.Y.Set(i, 0, float32(c))
	}
	return shuffleSynth(d, rng)
}

// Friedman1 returns Friedman's (1991) regression problem #1: features
// uniform in [0, 1], of which the first five matter and the rest are
// noise (Friedman used ten), and the target
//
//	y = 10 sin(π x₁ x₂) + 20 (x₃ - 0.5)² + 10 x₄ + 5 x₅ + noise·N(0, 1)
//
// (mean about 14.4, standard deviation about 4.9 without noise). It panics
// if n < 0 or features < 5.
func Friedman1(n, features int, noise float64, seed uint64) *Dataset {
	checkSynth("Friedman1", n, 2, features)
	if features < 5 {
		panic(fmt.Sprintf("core: Friedman1: features=%d: need features >= 5", features))
	}
	rng := rand.New(rand.NewPCG(seed, 0xf21ed))
	d := newSynth(n, features, 1, Regression, 0)
	for i := range n {
		x := d.X.Row(i)
		for j := range x {
			x[j] = float32(rng.Float64())
		}
		x1, x2, x3, x4, x5 := float64(x[0]), float64(x[1]), float64(x[2]), float64(x[3]), float64(x[4])
		y := 10*math.Sin(math.Pi*x1*x2) + 20*(x3-0.5)*(x3-0.5) + 10*x4 + 5*x5 + noise*rng.NormFloat64()
		d.Y.Set(i, 0, float32(y))
	}
	return d
}

func checkSynth(name string, n, classes, features int) {
	if n < 0 || classes < 2 || features < 1 {
		panic(fmt.Sprintf("core: %s: n=%d, classes=%d, features=%d: need n >= 0, classes >= 2, features >= 1", name, n, classes, features))
	}
}

func newSynth(n, features, targets int, task Task, classes int) *Dataset {
	return &Dataset{X: NewTensor(n, features), Y: NewTensor(n, targets), Task: task, Classes: classes}
}

// shuffleSynth puts d's samples in random order.
func shuffleSynth(d *Dataset, rng *rand.Rand) *Dataset {
	fx, fy := d.X.Cols, d.Y.Cols
	rng.Shuffle(d.Len(), func(i, j int) {
		xi, xj := d.X.Row(i), d.X.Row(j)
		for k := range fx {
			xi[k], xj[k] = xj[k], xi[k]
		}
		yi, yj := d.Y.Data[i*fy:(i+1)*fy], d.Y.Data[j*fy:(j+1)*fy]
		for k := range fy {
			yi[k], yj[k] = yj[k], yi[k]
		}
	})
	return d
}
