package search

import "math"

// Log expected improvement, after Ament, Daulton, Eriksson, Balandat and
// Bakshy (2023), "Unexpected improvements to expected improvement for
// Bayesian optimization". For a minimization with incumbent f*, posterior
// mean μ and standard deviation σ,
//
//	EI = σ h(z),  z = (f* - μ)/σ,  h(z) = φ(z) + z Φ(z),
//
// and h(z) underflows for z below about -38 although its logarithm is
// about -z²/2 - 2 log|z|: far from the incumbent all candidates would score
// 0 and the optimizer would have no direction. gpLogH computes log h(z)
// without forming h: directly for z > -1, through the scaled complementary
// error function for -20 < z ≤ -1, and by its asymptotic series below.

const (
	gpLogSqrt2Pi  = 0.91893853320467274178 // log √(2π)
	gpSqrtHalfPi  = 1.25331413731550025121 // √(π/2)
	gpInvSqrt2Pi  = 0.39894228040143267794 // 1/√(2π)
	gpLogHSeriesZ = -20                    // below this, gpLogH uses the series
)

// gpLogH returns log h(z), h(z) = φ(z) + zΦ(z), and its derivative
// Φ(z)/h(z). Both are finite for every finite z.
func gpLogH(z float64) (lh, dlh float64) {
	switch {
	case z > -1:
		cdf := 0.5 * math.Erfc(-z/math.Sqrt2)
		h := gpInvSqrt2Pi*math.Exp(-0.5*z*z) + z*cdf
		return math.Log(h), cdf / h
	case z > gpLogHSeriesZ:
		// h = φ(z) q with q = 1 - |z| ρ and ρ = Φ(z)/φ(z) = √(π/2) erfcx(|z|/√2).
		// q ≥ 1/z² ≥ 1/400, so the subtraction loses at most ~3 digits.
		rho := gpSqrtHalfPi * gpErfcx(-z/math.Sqrt2)
		q := 1 + z*rho
		return -0.5*z*z - gpLogSqrt2Pi + math.Log(q), rho / q
	}
	// With s = 1/z²: |z|ρ = 1 - s + 3s² - 15s³ + ... and q = s(1 - 3s + 15s² - ...),
	// alternating asymptotic series whose terms at |z| ≥ 20 fall below 1e-16
	// of the first within the seven used.
	a := -z
	s := 1 / (a * a)
	zr := 1 + s*(-1+s*(3+s*(-15+s*(105+s*(-945+s*10395)))))
	qs := 1 + s*(-3+s*(15+s*(-105+s*(945+s*(-10395+s*135135)))))
	lh = -0.5*z*z - gpLogSqrt2Pi - 2*math.Log(a) + math.Log(qs)
	// Φ/h = ρ/q = (|z|ρ)·|z|/qs·... with q = qs/z²: ρ/q = zr·|z|/qs.
	return lh, zr * a / qs
}

// gpErfcx returns the scaled complementary error function exp(x²)·erfc(x)
// for 0 ≤ x ≤ 15, where neither factor overflows or underflows.
func gpErfcx(x float64) float64 {
	return math.Exp(x*x) * math.Erfc(x)
}

// gpLogEI returns log EI at a point with posterior mean mu and variance v,
// for incumbent best (minimization), and d log EI/dμ and d log EI/dv.
func gpLogEI(mu, v, best float64) (lei, dmu, dv float64) {
	sigma := math.Sqrt(v)
	z := (best - mu) / sigma
	lh, dlh := gpLogH(z)
	lei = 0.5*math.Log(v) + lh
	dmu = -dlh / sigma
	dv = (1 - z*dlh) / (2 * v)
	return lei, dmu, dv
}
