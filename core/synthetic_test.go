package core

import (
	"math"
	"testing"
)

func TestSyntheticShapes(t *testing.T) {
	cases := []struct {
		name     string
		d        *Dataset
		n, feats int
		task     Task
		classes  int
	}{
		{"spirals", Spirals(301, 3, 0.1, 1), 301, 2, Classification, 3},
		{"moons", Moons(101, 0.1, 1), 101, 2, Classification, 2},
		{"blobs", Blobs(250, 4, 7, 1, 1), 250, 7, Classification, 4},
		{"friedman1", Friedman1(120, 10, 1, 1), 120, 10, Regression, 0},
		{"empty", Spirals(0, 2, 0, 1), 0, 2, Classification, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := c.d
			if d.Len() != c.n || d.X.Cols != c.feats || d.Y.Rows != c.n || d.Y.Cols != 1 || d.Task != c.task || d.Classes != c.classes {
				t.Fatalf("got %d×%d, Y %d×%d, %v, %d classes", d.X.Rows, d.X.Cols, d.Y.Rows, d.Y.Cols, d.Task, d.Classes)
			}
			for i, v := range d.X.Data {
				if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
					t.Fatalf("feature %d is %v", i, v)
				}
			}
			if c.task != Classification {
				return
			}
			count := make([]int, c.classes)
			for _, y := range d.Y.Data {
				count[int(y)]++
			}
			for k, n := range count {
				if want := c.n / c.classes; n != want && n != want+1 {
					t.Errorf("class %d has %d samples, want about %d", k, n, want)
				}
			}
			// The order is shuffled: the first tenth holds more than one class.
			seen := map[float32]bool{}
			for _, y := range d.Y.Data[:c.n/10] {
				seen[y] = true
			}
			if c.n >= 100 && len(seen) < 2 {
				t.Errorf("first %d samples are all of one class", c.n/10)
			}
		})
	}
}

func TestSyntheticDeterministic(t *testing.T) {
	for name, gen := range map[string]func(seed uint64) *Dataset{
		"spirals":   func(s uint64) *Dataset { return Spirals(100, 2, 0.1, s) },
		"moons":     func(s uint64) *Dataset { return Moons(100, 0.1, s) },
		"blobs":     func(s uint64) *Dataset { return Blobs(100, 3, 4, 1, s) },
		"friedman1": func(s uint64) *Dataset { return Friedman1(100, 10, 1, s) },
	} {
		a, b, c := gen(1), gen(1), gen(2)
		same := func(x, y *Dataset) bool {
			for i := range x.X.Data {
				if x.X.Data[i] != y.X.Data[i] {
					return false
				}
			}
			for i := range x.Y.Data {
				if x.Y.Data[i] != y.Y.Data[i] {
					return false
				}
			}
			return true
		}
		if !same(a, b) {
			t.Errorf("%s: same seed, different data", name)
		}
		if same(a, c) {
			t.Errorf("%s: different seeds, same data", name)
		}
	}
}

// TestFriedman1Target recomputes the target of noiseless samples.
func TestFriedman1Target(t *testing.T) {
	d := Friedman1(50, 10, 0, 3)
	for i := range d.Len() {
		x := d.X.Row(i)
		for _, v := range x {
			if v < 0 || v > 1 {
				t.Fatalf("sample %d: feature %v outside [0, 1]", i, v)
			}
		}
		f := func(j int) float64 { return float64(x[j]) }
		want := 10*math.Sin(math.Pi*f(0)*f(1)) + 20*(f(2)-0.5)*(f(2)-0.5) + 10*f(3) + 5*f(4)
		if got := float64(d.Y.At(i, 0)); math.Abs(got-want) > 1e-5 {
			t.Errorf("sample %d: y = %v, want %v", i, got, want)
		}
	}
}

// TestSpiralsGeometry checks that noiseless spiral points lie within the
// unit disk, with each class's arm starting near the origin.
func TestSpiralsGeometry(t *testing.T) {
	d := Spirals(200, 2, 0, 1)
	minR := []float64{math.Inf(1), math.Inf(1)}
	for i := range d.Len() {
		r := math.Hypot(float64(d.X.At(i, 0)), float64(d.X.At(i, 1)))
		if r > 1+1e-6 {
			t.Fatalf("point %d at radius %v", i, r)
		}
		c := int(d.Y.At(i, 0))
		minR[c] = min(minR[c], r)
	}
	for c, r := range minR {
		if r > 0.1 {
			t.Errorf("class %d starts at radius %v, want near 0", c, r)
		}
	}
}

func TestSyntheticPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"negative n": func() { Moons(-1, 0, 1) },
		"one class":  func() { Spirals(10, 1, 0, 1) },
		"no feature": func() { Blobs(10, 2, 0, 1, 1) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

// TestFriedman1Features: features past the fifth are noise the target
// ignores.
func TestFriedman1Features(t *testing.T) {
	ten, twenty := Friedman1(50, 10, 0, 3), Friedman1(50, 20, 0, 3)
	if ten.X.Cols != 10 || twenty.X.Cols != 20 {
		t.Fatalf("features %d and %d, want 10 and 20", ten.X.Cols, twenty.X.Cols)
	}
	for i := range 50 {
		x := twenty.X.Row(i)
		x1, x2, x3, x4, x5 := float64(x[0]), float64(x[1]), float64(x[2]), float64(x[3]), float64(x[4])
		want := 10*math.Sin(math.Pi*x1*x2) + 20*(x3-0.5)*(x3-0.5) + 10*x4 + 5*x5
		if got := float64(twenty.Y.At(i, 0)); math.Abs(got-want) > 1e-4 {
			t.Fatalf("row %d: y = %v, want %v", i, got, want)
		}
	}
}
