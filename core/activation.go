package core

import (
	"fmt"
	"math"
)

// activation is an elementwise nonlinearity. The zero value is the
// identity, used by the linear output layer.
type activation struct {
	kind  actKind
	slope float32 // leaky_relu's negative slope
}

type actKind uint8

const (
	actIdentity actKind = iota
	actReLU
	actLeakyReLU
	actTanh
	actSigmoid
	actGELU
)

var actNames = [...]string{
	actIdentity:  "identity",
	actReLU:      "relu",
	actLeakyReLU: "leaky_relu",
	actTanh:      "tanh",
	actSigmoid:   "sigmoid",
	actGELU:      "gelu",
}

func (a activation) String() string { return actNames[a.kind] }

// parseActivation returns the hidden activation named by an MLPConfig.
func parseActivation(name string, slope float64) (activation, error) {
	switch name {
	case "", "relu":
		return activation{kind: actReLU}, nil
	case "leaky_relu":
		if slope == 0 {
			slope = 0.01
		}
		if !(slope > 0 && slope < 1) {
			return activation{}, fmt.Errorf("model.leaky_slope: %v is not in (0, 1)", slope)
		}
		return activation{kind: actLeakyReLU, slope: float32(slope)}, nil
	case "tanh":
		return activation{kind: actTanh}, nil
	case "sigmoid":
		return activation{kind: actSigmoid}, nil
	case "gelu":
		return activation{kind: actGELU}, nil
	}
	return activation{}, fmt.Errorf("model.activation: unknown activation %q (want %s)", name, oneOf(Activations()))
}

// needsAux reports whether the backward pass of a needs a buffer written by
// the forward pass besides the output: GELU's derivative cannot be
// recovered from its output, so the forward pass stores it.
func (a activation) needsAux() bool { return a.kind == actGELU }

// biasAct computes y = act(y + b) row by row in one pass over y, which holds
// rows×len(b) pre-activations on entry. b may be nil (no bias). For GELU,
// when aux is not nil, aux receives the derivative act'(y+b) for the
// backward pass.
func (a activation) biasAct(y, b, aux []float32) {
	switch {
	case b == nil:
		a.apply(y, aux)
	case a.kind == actReLU:
		reluBias(y, b, 0, false)
	case a.kind == actLeakyReLU:
		reluBias(y, b, a.slope, true)
	default:
		cols := len(b)
		for r := 0; r+cols <= len(y); r += cols {
			row := y[r : r+cols]
			b := b[:len(row)]
			for j, v := range row {
				row[j] = v + b[j]
			}
			if a.kind != actIdentity {
				a.apply(row, auxRow(aux, r, cols))
			}
		}
	}
}

// apply computes y = act(y) in place. For GELU, when aux is not nil, aux
// receives the derivative at each input.
func (a activation) apply(y, aux []float32) {
	switch a.kind {
	case actIdentity:
	case actReLU:
		for j, v := range y {
			if v < 0 {
				y[j] = 0
			}
		}
	case actLeakyReLU:
		s := a.slope
		for j, v := range y {
			if v < 0 {
				y[j] = v * s
			}
		}
	case actTanh:
		n := 0
		if useActAsm && len(y) >= 8 {
			n = len(y) &^ 7
			tanhAVX2(&y[0], n)
		}
		for j, v := range y[n:] {
			y[n+j] = tanh32(v)
		}
	case actSigmoid:
		n := 0
		if useActAsm && len(y) >= 8 {
			n = len(y) &^ 7
			sigmoidAVX2(&y[0], n)
		}
		for j, v := range y[n:] {
			y[n+j] = sigmoid32(v)
		}
	case actGELU:
		n := 0
		if useActAsm && len(y) >= 8 {
			n = len(y) &^ 7
			var pa *float32
			if aux != nil {
				pa = &aux[:n][0]
			}
			geluAVX2(&y[0], pa, n)
		}
		if aux == nil {
			for j, v := range y[n:] {
				y[n+j], _ = gelu32(v)
			}
			return
		}
		aux = aux[:len(y)]
		for j, v := range y[n:] {
			y[n+j], aux[n+j] = gelu32(v)
		}
	}
}

// backward turns the gradient with respect to the activation's output into
// the gradient with respect to its input, in place in dy, given the output
// y (and aux for GELU). If db is not nil it must hold len(dy)/len(db)
// columns; it receives the column sums of the result (the bias gradient)
// in the same pass.
func (a activation) backward(dy, y, aux, db []float32) {
	if db != nil {
		clear(db)
		if a.kind == actReLU || a.kind == actLeakyReLU {
			reluBackward(dy, y, db, a.slope, a.kind == actLeakyReLU)
			return
		}
		cols := len(db)
		for r := 0; r+cols <= len(dy); r += cols {
			a.backwardRow(dy[r:r+cols], y[r:r+cols], auxRow(aux, r, cols), db)
		}
		return
	}
	a.backwardRow(dy, y, aux, nil)
}

func auxRow(aux []float32, r, cols int) []float32 {
	if aux == nil {
		return nil
	}
	return aux[r : r+cols]
}

// backwardRow is backward on one row (or, with db nil, any run of
// elements).
func (a activation) backwardRow(dy, y, aux, db []float32) {
	y = y[:len(dy)]
	if db != nil {
		db = db[:len(dy)]
	}
	switch a.kind {
	case actIdentity:
		if db != nil {
			for j, d := range dy {
				db[j] += d
			}
		}
		return
	case actReLU:
		for j, v := range y {
			if !(v > 0) {
				dy[j] = 0
			}
		}
	case actLeakyReLU:
		s := a.slope
		for j, v := range y {
			if !(v > 0) {
				dy[j] *= s
			}
		}
	case actTanh:
		for j, v := range y {
			dy[j] *= 1 - v*v
		}
	case actSigmoid:
		for j, v := range y {
			dy[j] *= v * (1 - v)
		}
	case actGELU:
		aux = aux[:len(dy)]
		for j, d := range aux {
			dy[j] *= d
		}
	}
	if db != nil {
		for j, d := range dy {
			db[j] += d
		}
	}
}

// reluBias computes y = max(y+b, 0) (leaky: y+b, times slope where
// negative) on rows of len(b) columns, keeping NaN (so that divergence is
// seen); the assembly kernels, where there are some, do the columns in
// whole vectors of 8.
func reluBias(y, b []float32, slope float32, leaky bool) {
	cols := len(b)
	rows := len(y) / cols
	if rows*cols != len(y) {
		panic("core: reluBias: ragged rows")
	}
	n := 0
	if useActAsm && rows > 0 && cols >= 8 {
		n = cols &^ 7
		if leaky {
			leakyBiasAVX2(&y[0], &b[0], rows, cols, n, slope)
		} else {
			reluBiasAVX2(&y[0], &b[0], rows, cols, n)
		}
	}
	if n < cols {
		reluBiasGo(y, b, n, slope, leaky)
	}
}

// reluBiasGo is reluBias on columns j0 and up.
func reluBiasGo(y, b []float32, j0 int, slope float32, leaky bool) {
	cols := len(b)
	b = b[j0:]
	for r := 0; r+cols <= len(y); r += cols {
		row := y[r+j0 : r+cols]
		b := b[:len(row)]
		for j, v := range row {
			v += b[j]
			if v < 0 {
				if leaky {
					v *= slope
				} else {
					v = 0
				}
			}
			row[j] = v
		}
	}
}

// reluBackward multiplies dy by the (leaky) ReLU derivative at the output
// y (1 where y > 0, 0 or slope elsewhere) and adds the result's column
// sums to db (len(db) columns).
func reluBackward(dy, y, db []float32, slope float32, leaky bool) {
	cols := len(db)
	rows := len(dy) / cols
	if rows*cols != len(dy) || len(y) != len(dy) {
		panic("core: reluBackward: ragged rows")
	}
	n := 0
	if useActAsm && rows > 0 && cols >= 8 {
		n = cols &^ 7
		if leaky {
			leakyBackwardAVX2(&dy[0], &y[0], &db[0], rows, cols, n, slope)
		} else {
			reluBackwardAVX2(&dy[0], &y[0], &db[0], rows, cols, n)
		}
	}
	if n < cols {
		reluBackwardGo(dy, y, db, n, slope, leaky)
	}
}

// reluBackwardGo is reluBackward on columns j0 and up.
func reluBackwardGo(dy, y, db []float32, j0 int, slope float32, leaky bool) {
	cols := len(db)
	db = db[j0:]
	for r := 0; r+cols <= len(dy); r += cols {
		dr, yr := dy[r+j0:r+cols], y[r+j0:r+cols]
		yr, db := yr[:len(dr)], db[:len(dr)]
		for j, d := range dr {
			if !(yr[j] > 0) {
				if leaky {
					d *= slope
				} else {
					d = 0
				}
			}
			dr[j] = d
			db[j] += d
		}
	}
}

// The scalar functions below are written so that the AVX2 kernels can do
// exactly the same operations on eight lanes. They do no data-dependent
// work beyond a choice between two results. Every product is converted to
// float32, which keeps the compiler from fusing multiply-adds (as it may
// with GOAMD64=v3). The kernels are tested to give the same bits.

const (
	expHi = 88.72283  // e**x overflows above
	expLo = -87.33654 // e**x is subnormal below; exp32 returns 0
)

// exp32 returns e**x in float32 precision (within 2 ulp), in pure Go so
// that results are the same on every machine: +Inf above expHi, 0 below
// expLo, NaN for NaN.
func exp32(x float32) float32 {
	const (
		log2e   = 1.44269504088896341
		ln2hi   = 0.693359375
		ln2lo   = -2.12194440e-4
		shifter = 12582912 // 1.5·2**23: adding it rounds to an integer
	)
	switch {
	case x != x:
		return x
	case x > expHi:
		return float32(math.Inf(1))
	case x < expLo:
		return 0
	}
	// x = n·ln2 + r with |r| <= ln2/2; e**x = 2**n · e**r.
	fn := float32(x*log2e) + shifter
	fn -= shifter
	r := float32(x-float32(fn*ln2hi)) - float32(fn*ln2lo)
	// Cephes expf polynomial.
	p := float32(1.9875691500e-4)
	p = float32(p*r) + 1.3981999507e-3
	p = float32(p*r) + 8.3334519073e-3
	p = float32(p*r) + 4.1665795894e-2
	p = float32(p*r) + 1.6666665459e-1
	p = float32(p*r) + 5.0000001201e-1
	p = float32(float32(float32(p*r)*r)+r) + 1
	// 2**n for n in [-126, 128] as two normal factors; multiplying by a
	// power of two is exact, so this is the correctly scaled p.
	n := int32(fn)
	n1 := n >> 1
	return float32(p*pow2(n1)) * pow2(n-n1)
}

// pow2 returns 2**n for n in [-126, 127].
func pow2(n int32) float32 { return math.Float32frombits(uint32(n+127) << 23) }

// tanh32 returns tanh(x) within a few float32 ulp.
func tanh32(x float32) float32 {
	ax := math.Float32frombits(math.Float32bits(x) &^ signBit)
	if ax < 0.625 {
		// Cephes tanhf: odd polynomial near 0 keeps relative accuracy.
		z := float32(x * x)
		p := float32(-5.70498872745e-3)
		p = float32(p*z) + 2.06390887954e-2
		p = float32(p*z) - 5.37397155531e-2
		p = float32(p*z) + 1.33314422036e-1
		p = float32(p*z) - 3.33332819422e-1
		return x + float32(float32(x*z)*p)
	}
	if ax > 9.02 { // tanh(9.02) rounds to 1; NaN stays NaN
		ax = 9.02
	}
	t := 1 - 2/(exp32(2*ax)+1)
	return math.Float32frombits(math.Float32bits(t) | math.Float32bits(x)&signBit)
}

const signBit = 0x80000000

// sigmoid32 returns 1/(1+e**-x).
func sigmoid32(x float32) float32 {
	e := exp32(-math.Float32frombits(math.Float32bits(x) &^ signBit)) // e**-|x|
	if x >= 0 {
		return 1 / (1 + e)
	}
	return e / (1 + e)
}

// gelu32 returns GELU(x) = x·Φ(x) in the tanh approximation of Hendrycks and
// Gimpel (PyTorch's approximate="tanh"), 0.5x(1+tanh(√(2/π)(x+0.044715x³))),
// which is within 5e-4 of the exact erf form, and its derivative.
func gelu32(x float32) (y, dy float32) {
	const (
		c = 0.7978845608028654 // √(2/π)
		k = 0.044715
	)
	x2 := float32(x * x)
	t := tanh32(c * (x + float32(float32(k*x)*x2)))
	hx := float32(0.5 * x)
	y = hx * (1 + t)
	dy = float32(0.5*(1+t)) + float32(float32(float32(hx*(1-float32(t*t)))*c)*(1+float32(3*k*x2)))
	return y, dy
}
