package search

import (
	"math"
	"testing"
)

// directH computes h(z) = φ(z) + zΦ(z) naively.
func directH(z float64) float64 {
	return math.Exp(-0.5*z*z)/math.Sqrt(2*math.Pi) + z*0.5*math.Erfc(-z/math.Sqrt2)
}

func TestGPLogHMatchesDirect(t *testing.T) {
	// Where h is well above underflow and the naive sum loses little to
	// cancellation, the direct formula is a reference.
	for _, z := range []float64{5, 2, 1, 0.3, 0, -0.5, -0.999, -1, -1.001, -2, -3.5, -5, -8} {
		want := math.Log(directH(z))
		got, _ := gpLogH(z)
		tol := 1e-12 * math.Max(1, math.Abs(want))
		if z < -3 {
			tol = 1e-7 * math.Abs(want) // the naive sum cancels here
		}
		if math.Abs(got-want) > tol {
			t.Errorf("gpLogH(%v) = %.17g, direct %.17g", z, got, want)
		}
	}
}

func TestGPLogHTail(t *testing.T) {
	// Where h underflows, log h must stay finite, decreasing and close to
	// its asymptote -z²/2 - log√(2π) - 2 log|z|.
	prev := math.Inf(1)
	for _, z := range []float64{-10, -19.999, -20, -20.001, -30, -40, -100, -1e4, -1e8, -1e150} {
		got, d := gpLogH(z)
		if math.IsInf(got, 0) || math.IsNaN(got) || math.IsInf(d, 0) || math.IsNaN(d) {
			t.Fatalf("gpLogH(%v) = %v, %v", z, got, d)
		}
		if got >= prev {
			t.Errorf("gpLogH(%v) = %v not below the previous %v", z, got, prev)
		}
		prev = got
		asym := -0.5*z*z - 0.5*math.Log(2*math.Pi) - 2*math.Log(-z)
		if rel := math.Abs(got-asym) / math.Abs(asym); rel > 0.02 {
			t.Errorf("gpLogH(%v) = %v, asymptote %v", z, got, asym)
		}
	}
	if h := directH(-40); h != 0 {
		t.Logf("note: direct h(-40) = %v did not underflow", h)
	}
}

func TestGPLogHContinuous(t *testing.T) {
	// The three branches must agree at their seams.
	for _, z := range []float64{-1, gpLogHSeriesZ} {
		lo, dlo := gpLogH(math.Nextafter(z, math.Inf(-1)))
		hi, dhi := gpLogH(math.Nextafter(z, math.Inf(1)))
		if math.Abs(lo-hi) > 1e-10*math.Abs(lo) || math.Abs(dlo-dhi) > 1e-8*math.Abs(dlo) {
			t.Errorf("seam at %v: log h %v vs %v, derivative %v vs %v", z, lo, hi, dlo, dhi)
		}
	}
}

func TestGPLogHDerivative(t *testing.T) {
	for _, z := range []float64{3, 0.5, -0.7, -1.5, -6, -19, -21, -50, -300} {
		_, d := gpLogH(z)
		const e = 1e-6
		hp, _ := gpLogH(z + e)
		hm, _ := gpLogH(z - e)
		num := (hp - hm) / (2 * e)
		if math.Abs(num-d) > 1e-5*math.Max(1, math.Abs(d)) {
			t.Errorf("z=%v: derivative %v, numeric %v", z, d, num)
		}
	}
}

func TestGPLogEIGradient(t *testing.T) {
	cases := []struct{ mu, v, best float64 }{
		{0, 1, -0.5},
		{1, 0.01, -2}, // deep in the tail: z = -30
		{-1, 4, 0},
		{0.2, 1e-6, 0.2001},
	}
	for _, c := range cases {
		_, dmu, dv := gpLogEI(c.mu, c.v, c.best)
		const e = 1e-7
		lp, _, _ := gpLogEI(c.mu+e, c.v, c.best)
		lm, _, _ := gpLogEI(c.mu-e, c.v, c.best)
		if num := (lp - lm) / (2 * e); math.Abs(num-dmu) > 1e-4*math.Max(1, math.Abs(dmu)) {
			t.Errorf("%+v: d/dμ %v, numeric %v", c, dmu, num)
		}
		ev := c.v * 1e-6
		lp, _, _ = gpLogEI(c.mu, c.v+ev, c.best)
		lm, _, _ = gpLogEI(c.mu, c.v-ev, c.best)
		if num := (lp - lm) / (2 * ev); math.Abs(num-dv) > 1e-4*math.Max(1, math.Abs(dv)) {
			t.Errorf("%+v: d/dv %v, numeric %v", c, dv, num)
		}
	}
}

func TestGPLogEIDirect(t *testing.T) {
	// EI = σ h(z) computed naively where that is stable.
	for _, c := range []struct{ mu, v, best float64 }{{0, 1, 0}, {0.3, 0.5, 0.1}, {-1, 2, 0}} {
		s := math.Sqrt(c.v)
		want := math.Log(s * directH((c.best-c.mu)/s))
		got, _, _ := gpLogEI(c.mu, c.v, c.best)
		if math.Abs(got-want) > 1e-12 {
			t.Errorf("%+v: log EI %v, direct %v", c, got, want)
		}
	}
}
