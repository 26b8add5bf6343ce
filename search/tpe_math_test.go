package search

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/dltune/dltune"
)

func TestLogNormMass(t *testing.T) {
	tests := []struct {
		name   string
		za, zb float64
		want   float64 // Phi(zb) - Phi(za)
	}{
		{"whole", math.Inf(-1), math.Inf(1), 1},
		{"wide", -20, 20, 1},
		{"half", 0, math.Inf(1), 0.5},
		{"one sigma", -1, 1, 0.6826894921370859},
		{"upper tail", 3, 4, 0.0013182267897969},
		{"lower tail", -4, -3, 0.0013182267897969},
		{"far tail", 10, 10.5, 7.576662960982501e-24},
		{"very far tail", 40, 41, 0}, // underflows: only the fallback's order matters
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := logNormMass(tt.za, tt.zb)
			if tt.want == 0 {
				if got > -800 || got < -900 || math.IsNaN(got) {
					t.Errorf("logNormMass(%v, %v) = %v, want about -800", tt.za, tt.zb, got)
				}
				return
			}
			if w := math.Log(tt.want); math.Abs(got-w) > 1e-6*math.Max(1, math.Abs(w)) {
				t.Errorf("logNormMass(%v, %v) = %v, want %v", tt.za, tt.zb, got, w)
			}
		})
	}
}

// TestSampleTruncNormal compares the mean and variance of many draws with
// the truncated normal's (from its moments formulas).
func TestSampleTruncNormal(t *testing.T) {
	tests := []struct{ mu, sigma, lo, hi float64 }{
		{0, 1, -1, 2},
		{0.9, 0.1, 0, 1},
		{0, 5, -1, 1},
		{0.5, 0.01, 0, 1},
		{10, 1, 0, 1},  // far out in the tail
		{-30, 1, 0, 1}, // further out, on the other side
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, tt := range tests {
		a, b := (tt.lo-tt.mu)/tt.sigma, (tt.hi-tt.mu)/tt.sigma
		pdf := func(z float64) float64 { return math.Exp(-z*z/2) / math.Sqrt(2*math.Pi) }
		Z := normCDF(b) - normCDF(a)
		mean := tt.mu + tt.sigma*(pdf(a)-pdf(b))/Z
		variance := tt.sigma * tt.sigma * (1 + (a*pdf(a)-b*pdf(b))/Z - math.Pow((pdf(a)-pdf(b))/Z, 2))
		const n = 40000
		var s, s2 float64
		for range n {
			x := sampleTruncNormal(r, tt.mu, tt.sigma, tt.lo, tt.hi)
			if x < tt.lo || x > tt.hi {
				t.Fatalf("%+v: draw %v out of bounds", tt, x)
			}
			s += x
			s2 += x * x
		}
		m := s / n
		v := s2/n - m*m
		if math.Abs(m-mean) > 4*math.Sqrt(variance/n) {
			t.Errorf("%+v: mean %v, want %v", tt, m, mean)
		}
		if math.Abs(v-variance) > 0.05*variance {
			t.Errorf("%+v: variance %v, want %v", tt, v, variance)
		}
	}
}

func TestLogSumExp(t *testing.T) {
	if got := logSumExp([]float64{math.Log(1), math.Log(2), math.Log(3)}); math.Abs(got-math.Log(6)) > 1e-12 {
		t.Errorf("logSumExp = %v, want log 6", got)
	}
	if got := logSumExp([]float64{-1000, -1000}); math.Abs(got-(-1000+math.Ln2)) > 1e-9 {
		t.Errorf("logSumExp of tiny terms = %v", got)
	}
	if got := logSumExp(nil); !math.IsInf(got, -1) {
		t.Errorf("logSumExp(nil) = %v, want -Inf", got)
	}
}

// TestParzenNormalized checks that the fitted densities integrate to one:
// a continuous dimension numerically, a discrete one and a choice by
// summing over their values.
func TestParzenNormalized(t *testing.T) {
	space := &Space{Params: []Param{
		{Name: "x", Type: FloatRange, Low: 1e-3, High: 10, Log: true},
		{Name: "k", Type: IntRange, Low: 1, High: 7},
		{Name: "w", Type: IntRange, Low: 2, High: 40, Log: true},
		{Name: "c", Type: Choice, Choices: stringChoices("a", "b", "c")},
	}}
	for _, multivariate := range []bool{false, true} {
		groups := tpeGroups(space, true)
		r := rand.New(rand.NewPCG(4, 4))
		for _, g := range groups {
			dim := g.dims[0]
			var pts, w []float64
			for range 7 {
				v, _ := dim.encode(dim.p.sample(r))
				pts = append(pts, v)
				w = append(w, 1)
			}
			var p parzen
			var idx []muIndex
			var mc massCache
			opt := TPEOptions{PriorWeight: 1, Bandwidth: 0.05, MagicClip: 4, Univariate: !multivariate}
			p.fit(g.dims, pts, w, &opt, &idx, &mc)
			var c tpeCands
			total := 0.0
			switch {
			case dim.cat:
				for i := range dim.nc {
					total += math.Exp(p.logpdf1(&c, g.dims, float64(i)))
				}
			case dim.disc:
				for k := range dim.p.steps() {
					total += math.Exp(p.logpdf1(&c, g.dims, dim.p.transform(dim.p.stepValue(k).Num)))
				}
			default:
				const n = 20000
				h := (dim.hi - dim.lo) / n
				for i := range n {
					total += h * math.Exp(p.logpdf1(&c, g.dims, dim.lo+(float64(i)+0.5)*h))
				}
			}
			if math.Abs(total-1) > 1e-4 {
				t.Errorf("multivariate %v: %s: density sums to %v", multivariate, dim.p.Name, total)
			}
		}
	}
}

// logpdf1 returns the log density of a one-dimensional p at model
// coordinate x.
func (p *parzen) logpdf1(c *tpeCands, dims []tpeDim, x float64) float64 {
	c.x = append(c.x[:0], x)
	a, b := x, x
	if dims[0].disc {
		a, b = dims[0].cell(x)
	}
	c.a, c.b = append(c.a[:0], a), append(c.b[:0], b)
	c.done = resize(c.done, 1)
	out := []float64{0}
	p.logpdfs(dims, c, out, &c.acc, &c.col, &c.mc)
	return out[0]
}

func stringChoices(ss ...string) []dltune.Value {
	vs := make([]dltune.Value, len(ss))
	for i, s := range ss {
		vs[i] = dltune.String(s)
	}
	return vs
}

func TestNormQuantile(t *testing.T) {
	for _, z := range []float64{-37, -20, -9, -5.5, -3, -1, -0.3, 0, 0.2, 1, 2.5, 4.9, 7} {
		u := normCDF(z)
		if z > 0 {
			u = 1 - normCDF(-z)
		}
		got := normQuantile(u)
		tol := 1e-9 * math.Max(1, math.Abs(z))
		if z > 5 { // 1-u has lost digits
			tol = 1e-5
		}
		if math.Abs(got-z) > tol {
			t.Errorf("normQuantile(Phi(%v)) = %v", z, got)
		}
	}
}

// TestParzenMultivariateWidths checks the multivariate kernel widths on a
// two-dimensional unit square: by default each kernel is as wide as the
// gap to its neighbours along that dimension, at most Scott's width; with
// FixedBandwidth every kernel takes Scott's width.
func TestParzenMultivariateWidths(t *testing.T) {
	groups := tpeGroups(unitCubeSpace(2), false)
	if len(groups) != 1 || len(groups[0].dims) != 2 {
		t.Fatalf("%d groups, want one of 2 dimensions", len(groups))
	}
	// Four points: along a, two close together and two far away; along b,
	// all within a narrow band.
	pts := []float64{
		0.10, 0.50,
		0.12, 0.51,
		0.60, 0.52,
		0.95, 0.53,
	}
	w := []float64{1, 1, 1, 1}
	scott := 0.2 * math.Pow(4, -1.0/6) // range 1, m = 4, D = 2
	tests := []struct {
		name  string
		fixed bool
		// widths of the four observation kernels along a, then b
		want [2][4]float64
	}{
		// Along a, the sorted centres with the prior's 0.5 are 0.10, 0.12,
		// 0.5, 0.6, 0.95: gaps of 0.02 (the lowest takes its only
		// neighbour), max(0.02, 0.38), max(0.1, 0.35) capped, 0.35 capped.
		// Along b: 0.5 (prior) sits among them; every gap is 0.01.
		{"neighbours", false, [2][4]float64{{0.02, 0.38, 0.35, 0.35}, {0.01, 0.01, 0.01, 0.01}}},
		{"fixed", true, [2][4]float64{{scott, scott, scott, scott}, {scott, scott, scott, scott}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opt := TPEOptions{PriorWeight: 1, Bandwidth: 0.2, MagicClip: 4, FixedBandwidth: tt.fixed}
			var p parzen
			var idx []muIndex
			var mc massCache
			p.fit(groups[0].dims, pts, w, &opt, &idx, &mc)
			minSigma := 1 / (4 * 6.0) // MagicClip*(n+1) for n = 5 kernels
			for d := range 2 {
				for k := range 4 {
					want := min(max(tt.want[d][k], minSigma), scott)
					if tt.fixed {
						want = scott
					}
					if got := p.sigma[d*p.n+k]; math.Abs(got-want) > 1e-12 {
						t.Errorf("dimension %d, kernel %d: width %.6g, want %.6g", d, k, got, want)
					}
				}
				if got := p.sigma[d*p.n+4]; got != 1 {
					t.Errorf("dimension %d: prior width %v, want the range", d, got)
				}
			}
		})
	}
}
