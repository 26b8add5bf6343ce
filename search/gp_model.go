package search

import (
	"errors"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/lapack/lapack64"
)

const gpSqrt5 = 2.2360679774997896964

// gpMatern52 returns the Matern 5/2 correlation at squared scaled distance
// r2, k = (1 + √5 r + 5/3 r²) exp(-√5 r), and g = (5/3)(1 + √5 r) exp(-√5 r),
// which is -2 dk/d(r²).
func gpMatern52(r2 float64) (k, g float64) {
	r := math.Sqrt(r2)
	e := math.Exp(-gpSqrt5 * r)
	g = 5.0 / 3 * (1 + gpSqrt5*r) * e
	k = (1+gpSqrt5*r)*e + 5.0/3*r2*e
	return k, g
}

// gpHyper are the kernel hyperparameters: k(x, x') = Amp · matern52(r²)
// with r² = Σ_j (x_j - x'_j)² / ℓ_j², plus Noise on the diagonal.
type gpHyper struct {
	InvLS2 []float64 // 1/ℓ_j², one per coordinate
	Amp    float64   // signal variance
	Noise  float64   // noise variance
}

// lengthScale returns ℓ_j.
func (h gpHyper) lengthScale(j int) float64 { return 1 / math.Sqrt(h.InvLS2[j]) }

// sqdist returns the scaled squared distance between a and b.
func (h gpHyper) sqdist(a, b []float64) float64 {
	var r2 float64
	for j, w := range h.InvLS2 {
		d := a[j] - b[j]
		r2 += d * d * w
	}
	return r2
}

// gpJitterTries is how often a Cholesky factorization is tried; try t > 0
// adds gpJitter(t)·Amp to the diagonal.
const gpJitterTries = 5

// gpJitter returns the relative jitter of try t: 0, 1e-8, 1e-6, 1e-4, 1e-2.
func gpJitter(t int) float64 {
	if t == 0 {
		return 0
	}
	return math.Pow(10, float64(2*t-10))
}

// errGPCholesky reports a kernel matrix that stayed indefinite with the
// largest jitter.
var errGPCholesky = errors.New("gp: kernel matrix is not positive definite")

// gpModel is a GP posterior: the training inputs, the Cholesky factor of
// their kernel matrix and K⁻¹y. It answers predictions of the latent
// function (without noise).
type gpModel struct {
	dim   int
	n     int
	x     []float64 // n×dim inputs, row-major
	h     gpHyper
	u     blas64.Triangular // K + noise·I = UᵀU
	alpha []float64         // K⁻¹ y

	// scratch for predictGrad
	k, g, v, w []float64
}

// gpFantasyNoise is the noise variance, relative to Amp, of a fantasy
// observation: nearly none, so that the latent function's variance at a
// pending point collapses and its expected improvement vanishes.
const gpFantasyNoise = 1e-6

// newGPModel conditions a GP with hyperparameters h on the n points x
// (n×dim, row-major) with targets y, the last fantasies of which are
// fantasies observed with noise gpFantasyNoise·Amp instead of h.Noise. It
// keeps x.
func newGPModel(x, y []float64, dim int, h gpHyper, fantasies int) (*gpModel, error) {
	n := len(y)
	m := &gpModel{dim: dim, n: n, x: x, h: h}
	a := make([]float64, n*n)
	var ok bool
	for t := 0; t < gpJitterTries; t++ {
		jit := gpJitter(t)
		for i := 0; i < n; i++ {
			xi := x[i*dim : (i+1)*dim]
			row := a[i*n : (i+1)*n]
			row[i] = h.Amp*(1+jit) + h.Noise
			if i >= n-fantasies {
				row[i] = h.Amp * (1 + jit + gpFantasyNoise)
			}
			for j := i + 1; j < n; j++ {
				k, _ := gpMatern52(h.sqdist(xi, x[j*dim:(j+1)*dim]))
				row[j] = h.Amp * k
			}
		}
		m.u, ok = lapack64.Potrf(blas64.Symmetric{N: n, Stride: n, Data: a, Uplo: blas.Upper})
		if ok {
			break
		}
	}
	if !ok {
		return nil, errGPCholesky
	}
	m.alpha = make([]float64, n)
	copy(m.alpha, y)
	m.solve(m.alpha)
	m.k = make([]float64, n)
	m.g = make([]float64, n)
	m.v = make([]float64, n)
	m.w = make([]float64, n)
	return m, nil
}

// solve overwrites b with K⁻¹b.
func (m *gpModel) solve(b []float64) {
	vec := blas64.Vector{N: m.n, Inc: 1, Data: b}
	blas64.Trsv(blas.Trans, m.u, vec)
	blas64.Trsv(blas.NoTrans, m.u, vec)
}

// gpPredictBlock is the number of points predict handles at once.
const gpPredictBlock = 128

// predict writes the posterior mean and variance of the latent function at
// the len(mean) points xs (row-major, dim columns). A variance is at least
// 1e-12·Amp.
func (m *gpModel) predict(xs, mean, variance []float64) {
	n, dim := m.n, m.dim
	buf := make([]float64, n*gpPredictBlock)
	for start := 0; start < len(mean); start += gpPredictBlock {
		cnt := min(gpPredictBlock, len(mean)-start)
		b := blas64.General{Rows: n, Cols: cnt, Stride: cnt, Data: buf[:n*cnt]}
		for c := 0; c < cnt; c++ {
			xc := xs[(start+c)*dim : (start+c+1)*dim]
			for i := 0; i < n; i++ {
				k, _ := gpMatern52(m.h.sqdist(xc, m.x[i*dim:(i+1)*dim]))
				b.Data[i*cnt+c] = m.h.Amp * k
			}
		}
		mu := mean[start : start+cnt]
		blas64.Gemv(blas.Trans, 1, b, blas64.Vector{N: n, Inc: 1, Data: m.alpha}, 0, blas64.Vector{N: cnt, Inc: 1, Data: mu})
		blas64.Trsm(blas.Left, blas.Trans, 1, m.u, b)
		va := variance[start : start+cnt]
		for c := range va {
			va[c] = 0
		}
		for i := 0; i < n; i++ {
			row := b.Data[i*cnt : (i+1)*cnt]
			for c, v := range row {
				va[c] += v * v
			}
		}
		for c := range va {
			va[c] = math.Max(m.h.Amp-va[c], 1e-12*m.h.Amp)
		}
	}
}

// predictGrad returns the posterior mean and variance at x and writes
// their partial derivatives with respect to the coordinates in free to
// dmean and dvar (len(free) each). The variance floor of predict applies;
// below it the variance's gradient is zero.
func (m *gpModel) predictGrad(x []float64, free []int, dmean, dvar []float64) (mean, variance float64) {
	n, dim := m.n, m.dim
	k, g := m.k, m.g
	for i := 0; i < n; i++ {
		kk, gg := gpMatern52(m.h.sqdist(x, m.x[i*dim:(i+1)*dim]))
		k[i] = m.h.Amp * kk
		g[i] = m.h.Amp * gg
		mean += k[i] * m.alpha[i]
	}
	v := m.v
	copy(v, k)
	vec := blas64.Vector{N: n, Inc: 1, Data: v}
	blas64.Trsv(blas.Trans, m.u, vec)
	variance = m.h.Amp - blas64.Dot(vec, vec)
	floor := variance < 1e-12*m.h.Amp
	if floor {
		variance = 1e-12 * m.h.Amp
	}
	if len(free) == 0 {
		return mean, variance
	}
	w := m.w
	copy(w, v)
	blas64.Trsv(blas.NoTrans, m.u, blas64.Vector{N: n, Inc: 1, Data: w})
	// dk_i/dx_j = -g_i (x_j - X_ij) / ℓ_j².
	for f, j := range free {
		var dm, dv float64
		xj, s := x[j], m.h.InvLS2[j]
		for i := 0; i < n; i++ {
			dk := -g[i] * (xj - m.x[i*dim+j]) * s
			dm += m.alpha[i] * dk
			dv += w[i] * dk
		}
		dmean[f] = dm
		dvar[f] = -2 * dv
		if floor {
			dvar[f] = 0
		}
	}
	return mean, variance
}
