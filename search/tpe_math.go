package search

import (
	"math"
	"math/rand/v2"
)

// Truncated-normal helpers for the Parzen estimators of TPE.

const (
	logSqrt2Pi = 0.91893853320467274178 // log(sqrt(2*pi))
	invSqrt2   = 1 / math.Sqrt2
)

// normCDF returns the standard normal CDF at z, accurate in the lower tail.
func normCDF(z float64) float64 { return 0.5 * math.Erfc(-z*invSqrt2) }

// normQuantile returns the standard normal quantile of u in (0, 1), with
// Wichura's algorithm AS 241 (PPND16), accurate to about 1e-16 even deep
// in the tails, where math.Erfcinv (computed as Erfinv(1-x)) is not.
func normQuantile(u float64) float64 {
	q := u - 0.5
	if math.Abs(q) <= 0.425 {
		r := 0.180625 - q*q
		return q * (((((((2509.0809287301226727*r+33430.575583588128105)*r+67265.770927008700853)*r+
			45921.953931549871457)*r+13731.693765509461125)*r+1971.5909503065514427)*r+
			133.14166789178437745)*r + 3.387132872796366608) /
			(((((((5226.495278852545925*r+28729.085735721942674)*r+39307.89580009271061)*r+
				21213.794301586595867)*r+5394.1960214247511077)*r+687.1870074920579083)*r+
				42.313330701600911252)*r + 1)
	}
	r := u
	if q > 0 {
		r = 1 - u
	}
	if r <= 0 {
		return math.Copysign(math.Inf(1), q)
	}
	r = math.Sqrt(-math.Log(r))
	var z float64
	if r <= 5 {
		r -= 1.6
		z = (((((((7.7454501427834140764e-4*r+0.0227238449892691845833)*r+0.24178072517745061177)*r+
			1.27045825245236838258)*r+3.64784832476320460504)*r+5.7694972214606914055)*r+
			4.6303378461565452959)*r + 1.42343711074968357734) /
			(((((((1.05075007164441684324e-9*r+5.475938084995344946e-4)*r+0.0151986665636164571966)*r+
				0.14810397642748007459)*r+0.68976733498510000455)*r+1.6763848301838038494)*r+
				2.05319162663775882187)*r + 1)
	} else {
		r -= 5
		z = (((((((2.01033439929228813265e-7*r+2.71155556874348757815e-5)*r+0.0012426609473880784386)*r+
			0.026532189526576123093)*r+0.29656057182850489123)*r+1.7848265399172913358)*r+
			5.4637849111641143699)*r + 6.6579046435011037772) /
			(((((((2.04426310338993978564e-15*r+1.4215117583164458887e-7)*r+1.8463183175100546818e-5)*r+
				7.868691311456132591e-4)*r+0.0148753612908506148525)*r+0.13692988092273580531)*r+
				0.59983220655588793769)*r + 1)
	}
	if q < 0 {
		return -z
	}
	return z
}

// logNormMass returns log(Phi(zb) - Phi(za)) for za <= zb, the log mass a
// standard normal puts on [za, zb], computed in the tail where it is
// accurate. Far in a tail, where the difference underflows, it falls back
// to the density at the nearer end times the smaller of the width and the
// tail's scale 1/|z| (Mills' ratio).
func logNormMass(za, zb float64) float64 {
	if za < -9 && zb > 9 { // the whole mass, to within 1e-18
		return 0
	}
	var d float64
	switch {
	case za >= 0:
		d = 0.5 * (math.Erfc(za*invSqrt2) - math.Erfc(zb*invSqrt2))
	case zb <= 0:
		d = 0.5 * (math.Erfc(-zb*invSqrt2) - math.Erfc(-za*invSqrt2))
	default:
		d = 1 - 0.5*math.Erfc(-za*invSqrt2) - 0.5*math.Erfc(zb*invSqrt2)
	}
	if d > 0 {
		return math.Log(d)
	}
	if za >= zb {
		return math.Inf(-1)
	}
	z := za
	if zb <= 0 {
		z = zb
	}
	return -0.5*z*z - logSqrt2Pi + math.Log(min(zb-za, 1/math.Abs(z)))
}

// sampleTruncNormal draws from the normal distribution N(mu, sigma²)
// truncated to [lo, hi] by inverting its CDF.
func sampleTruncNormal(r *rand.Rand, mu, sigma, lo, hi float64) float64 {
	za, zb := (lo-mu)/sigma, (hi-mu)/sigma
	flip := za > 0 // work in the lower tail, where normCDF is accurate
	if flip {
		za, zb = -zb, -za
	}
	pa, pb := normCDF(za), normCDF(zb)
	var z float64
	if pb > pa {
		z = normQuantile(pa + r.Float64()*(pb-pa))
		z = min(max(z, za), zb)
	} else { // the interval is beyond float64's tail: take its near end
		z = zb
	}
	if flip {
		z = -z
	}
	return min(max(mu+sigma*z, lo), hi)
}

// logSumExp returns log(sum(exp(xs))), or -Inf for no xs.
func logSumExp(xs []float64) float64 {
	m := math.Inf(-1)
	for _, x := range xs {
		m = max(m, x)
	}
	if math.IsInf(m, -1) || math.IsInf(m, 1) {
		return m
	}
	s := 0.0
	for _, x := range xs {
		if x-m > -40 { // smaller terms add less than 1e-17
			s += math.Exp(x - m)
		}
	}
	return m + math.Log(s)
}

// A massCache remembers logNormMass by its arguments. The masses of a
// discrete dimension repeat: kernels share centres (values on the grid) and
// bandwidths (all of them in multivariate mode, the clipped ones in
// univariate mode), and candidates share values.
type massCache struct {
	za, zb [256]float64
	val    [256]float64
	used   [256]bool
}

// reset forgets every entry.
func (c *massCache) reset() { c.used = [256]bool{} }

// logNormMass returns logNormMass(za, zb), from the cache when it can.
func (c *massCache) logNormMass(za, zb float64) float64 {
	h := math.Float64bits(za)*0x9e3779b97f4a7c15 ^ math.Float64bits(zb)
	i := (h ^ h>>29 ^ h>>47) & 255
	if c.used[i] && c.za[i] == za && c.zb[i] == zb {
		return c.val[i]
	}
	v := logNormMass(za, zb)
	c.za[i], c.zb[i], c.val[i], c.used[i] = za, zb, v, true
	return v
}
