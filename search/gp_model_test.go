package search

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/lapack/lapack64"
)

// gpTestData returns n uniform points in [0,1]^dim and f at them.
func gpTestData(r *rand.Rand, n, dim int, f func([]float64) float64) (x, y []float64) {
	x = make([]float64, n*dim)
	y = make([]float64, n)
	for i := range y {
		xi := x[i*dim : (i+1)*dim]
		for j := range xi {
			xi[j] = r.Float64()
		}
		y[i] = f(xi)
	}
	return x, y
}

func gpTestHyper(dim int, ls, amp, noise float64) gpHyper {
	h := gpHyper{InvLS2: make([]float64, dim), Amp: amp, Noise: noise}
	for j := range h.InvLS2 {
		h.InvLS2[j] = 1 / (ls * ls)
	}
	return h
}

func TestGPModelInterpolates(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	f := func(x []float64) float64 { return math.Sin(6*x[0]) + x[1]*x[1] }
	x, y := gpTestData(r, 30, 2, f)
	m, err := newGPModel(x, y, 2, gpTestHyper(2, 0.3, 1, 1e-8), 0)
	if err != nil {
		t.Fatal(err)
	}
	mean := make([]float64, len(y))
	variance := make([]float64, len(y))
	m.predict(x, mean, variance)
	for i := range y {
		if math.Abs(mean[i]-y[i]) > 1e-4 {
			t.Errorf("point %d: mean %v, observed %v", i, mean[i], y[i])
		}
		if variance[i] > 1e-5 {
			t.Errorf("point %d: variance %v at an observed point", i, variance[i])
		}
		mu, v := m.predictGrad(x[2*i:2*i+2], nil, nil, nil)
		if math.Abs(mu-mean[i]) > 1e-9 || math.Abs(v-variance[i]) > 1e-9 {
			t.Errorf("point %d: predictGrad (%v, %v), predict (%v, %v)", i, mu, v, mean[i], variance[i])
		}
	}
	// Away from the data the variance grows toward Amp.
	_, v := m.predictGrad([]float64{5, 5}, nil, nil, nil)
	if math.Abs(v-1) > 1e-9 {
		t.Errorf("variance far away %v, want 1", v)
	}
}

func TestGPModelPredictGrad(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	x, y := gpTestData(r, 20, 3, func(x []float64) float64 { return x[0] - 2*x[1]*x[2] })
	h := gpTestHyper(3, 0.4, 1.3, 1e-4)
	h.InvLS2[2] = 4
	m, err := newGPModel(x, y, 3, h, 0)
	if err != nil {
		t.Fatal(err)
	}
	at := []float64{0.3, 0.6, 0.45}
	free := []int{0, 2, 1}
	dm := make([]float64, 3)
	dv := make([]float64, 3)
	m.predictGrad(at, free, dm, dv)
	for f, j := range free {
		const e = 1e-6
		p := append([]float64(nil), at...)
		p[j] += e
		mp, vp := m.predictGrad(p, nil, nil, nil)
		p[j] -= 2 * e
		mm, vm := m.predictGrad(p, nil, nil, nil)
		if num := (mp - mm) / (2 * e); math.Abs(num-dm[f]) > 1e-5 {
			t.Errorf("dmean/dx%d = %v, numeric %v", j, dm[f], num)
		}
		if num := (vp - vm) / (2 * e); math.Abs(num-dv[f]) > 1e-5 {
			t.Errorf("dvar/dx%d = %v, numeric %v", j, dv[f], num)
		}
	}
}

func TestGPFitGradient(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	x, y := gpTestData(r, 25, 3, func(x []float64) float64 { return math.Sin(4*x[0]) + 0.1*x[2] })
	f := newGPFitter(x, y, 3)
	for _, theta := range [][]float64{
		{-1, 0.5, 1.2, 0.1, -3},
		{-2, -2, 2, -0.5, -8},
		{-5, 0, 8, 0, -4}, // two coordinates outside the bounds
	} {
		grad := make([]float64, len(theta))
		f.nll(theta, grad)
		for j := range theta {
			const e = 1e-6
			p := append([]float64(nil), theta...)
			p[j] += e
			fp := f.nll(p, nil)
			p[j] -= 2 * e
			fm := f.nll(p, nil)
			if num := (fp - fm) / (2 * e); math.Abs(num-grad[j]) > 1e-4*math.Max(1, math.Abs(num)) {
				t.Errorf("θ=%v: d/dθ%d = %v, numeric %v", theta, j, grad[j], num)
			}
		}
	}
}

func TestGPFitRecoversLengthScale(t *testing.T) {
	// Draw y from a GP with length scales (0.15, 3) and fit: the short
	// scale must come back within a factor of two, and the long one must
	// stay much longer.
	const n = 100
	want := gpTestHyper(2, 0.15, 1, 1e-4)
	want.InvLS2[1] = 1.0 / 9
	for seed := uint64(0); seed < 3; seed++ {
		r := rand.New(rand.NewPCG(7, seed))
		x, _ := gpTestData(r, n, 2, func([]float64) float64 { return 0 })
		y := gpTestSample(t, r, x, want)
		h := gpFit(x, y, 2, r, 2)
		l0, l1 := h.lengthScale(0), h.lengthScale(1)
		t.Logf("seed %d: ℓ = %.3g, %.3g; amp %.3g; noise %.3g", seed, l0, l1, h.Amp, h.Noise)
		if l0 < 0.075 || l0 > 0.3 {
			t.Errorf("seed %d: length scale %.3g, want 0.15 within a factor of 2", seed, l0)
		}
		if l1 < 5*l0 {
			t.Errorf("seed %d: long length scale %.3g, want ≥ 5×%.3g", seed, l1, l0)
		}
	}
}

// gpTestSample draws targets at x from a GP prior with hyperparameters h.
func gpTestSample(t *testing.T, r *rand.Rand, x []float64, h gpHyper) []float64 {
	t.Helper()
	dim := len(h.InvLS2)
	n := len(x) / dim
	a := make([]float64, n*n)
	for i := 0; i < n; i++ {
		for j := i; j < n; j++ {
			k, _ := gpMatern52(h.sqdist(x[i*dim:(i+1)*dim], x[j*dim:(j+1)*dim]))
			a[i*n+j] = h.Amp * k
		}
		a[i*n+i] += h.Noise
	}
	u, ok := lapack64.Potrf(blas64.Symmetric{N: n, Stride: n, Data: a, Uplo: blas.Upper})
	if !ok {
		t.Fatal("prior covariance not positive definite")
	}
	y := make([]float64, n)
	for i := range y {
		y[i] = r.NormFloat64()
	}
	blas64.Trmv(blas.Trans, u, blas64.Vector{N: n, Inc: 1, Data: y}) // y = Uᵀz
	return y
}

func TestGPFitNoise(t *testing.T) {
	// Pure noise: the fit must explain it as noise (not as a wiggly
	// function).
	r := rand.New(rand.NewPCG(9, 10))
	x, y := gpTestData(r, 80, 2, func(x []float64) float64 { return r.NormFloat64() })
	h := gpFit(x, y, 2, r, 2)
	if h.Noise < 0.3*h.Amp {
		t.Errorf("noise %v, amp %v: white noise fitted as signal", h.Noise, h.Amp)
	}
}

func TestGPFitDegenerate(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	cases := []struct {
		name string
		x, y []float64
	}{
		{"one point", []float64{0.5, 0.5}, []float64{0}},
		{"all equal", []float64{0.1, 0.2, 0.3, 0.4, 0.5, 0.6}, []float64{0, 0, 0}},
		{"duplicates", []float64{0.1, 0.2, 0.1, 0.2, 0.1, 0.2, 0.9, 0.9}, []float64{-1, 1, -1, 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := gpFit(c.x, c.y, 2, r, 2)
			for _, v := range append([]float64{h.Amp, h.Noise}, h.InvLS2...) {
				if !(v > 0) || math.IsInf(v, 0) {
					t.Fatalf("hyperparameters %+v", h)
				}
			}
			if _, err := newGPModel(c.x, c.y, 2, h, 0); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestGPTargets(t *testing.T) {
	inf := math.Inf(1)
	cases := []struct {
		name   string
		losses []float64
		check  func(t *testing.T, y []float64)
	}{
		{"failed is worst", []float64{1, 2, inf, 3, math.NaN()}, func(t *testing.T, y []float64) {
			if y[2] != y[3] || y[4] != y[3] {
				t.Errorf("failed trials %v, %v; worst finite %v", y[2], y[4], y[3])
			}
		}},
		{"order kept, outlier compressed", []float64{0.1, 0.2, 0.3, 0.4, 0.5, 1e6}, func(t *testing.T, y []float64) {
			for i := 1; i < len(y); i++ {
				if !(y[i] > y[i-1]) {
					t.Errorf("order lost: %v", y)
				}
			}
			// Without compression the five good losses would span 1e-6
			// of the range.
			if share := (y[4] - y[0]) / (y[5] - y[0]); share < 0.05 {
				t.Errorf("good losses squashed to %.3g of the range: %v", share, y)
			}
		}},
		{"constant", []float64{2, 2, 2}, func(t *testing.T, y []float64) {
			for _, v := range y {
				if v != 0 {
					t.Errorf("targets %v, want zeros", y)
				}
			}
		}},
		{"all failed", []float64{inf, inf}, func(t *testing.T, y []float64) {
			if y[0] != 0 || y[1] != 0 {
				t.Errorf("targets %v, want zeros", y)
			}
		}},
		{"standardized", []float64{3, 1, 4, 1, 5, 9, 2, 6}, func(t *testing.T, y []float64) {
			mean, std := gpMeanStd(y)
			if math.Abs(mean) > 1e-12 || math.Abs(std-1) > 1e-12 {
				t.Errorf("mean %v std %v", mean, std)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			y := make([]float64, len(c.losses))
			gpTargets(c.losses, y)
			c.check(t, y)
		})
	}
}
