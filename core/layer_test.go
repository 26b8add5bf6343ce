package core

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// The gradient checks compare each layer's float32 backward pass with
// central finite differences of an independent float64 reference of its
// forward pass, on the scalar f = Σ r⊙layer(x) for a random r.

// refAct is the float64 reference of an activation.
func refAct(a activation, z float64) float64 {
	switch a.kind {
	case actIdentity:
		return z
	case actReLU:
		return max(z, 0)
	case actLeakyReLU:
		if z < 0 {
			return float64(a.slope) * z
		}
		return z
	case actTanh:
		return math.Tanh(z)
	case actSigmoid:
		return 1 / (1 + math.Exp(-z))
	case actGELU:
		return 0.5 * z * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(z+0.044715*z*z*z)))
	}
	panic("bad activation")
}

var testActs = []activation{
	{kind: actIdentity},
	{kind: actReLU},
	{kind: actLeakyReLU, slope: 0.1},
	{kind: actTanh},
	{kind: actSigmoid},
	{kind: actGELU},
}

// gradCase is one layer under test with its float64 reference.
type gradCase struct {
	name    string
	l       layer
	in, out int
	// ref computes the layer's output from the input and the parameters
	// (in the order of l.params()), all in float64.
	ref func(x []float64, n int, p [][]float64) []float64
	// setup runs after the float32 forward pass, before the reference is
	// used (dropout copies its mask here).
	setup func()
}

func randSlice(rng *rand.Rand, n int, scale float64) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.NormFloat64() * scale)
	}
	return s
}

func to64(s []float32) []float64 {
	d := make([]float64, len(s))
	for i, v := range s {
		d[i] = float64(v)
	}
	return d
}

// bindParams gives a layer's parameters their own storage, randomly
// initialized (gamma near 1).
func bindParams(l layer, rng *rand.Rand) {
	for _, p := range l.params() {
		p.w = randSlice(rng, p.len(), 0.5)
		p.g = make([]float32, p.len())
		if p.name[len(p.name)-6:] == ".gamma" {
			for i := range p.w {
				p.w[i] += 1
			}
		}
	}
}

func refDense(in, out int, act activation, bias bool) func(x []float64, n int, p [][]float64) []float64 {
	return func(x []float64, n int, p [][]float64) []float64 {
		y := make([]float64, n*out)
		for i := range n {
			for j := range out {
				s := 0.0
				if bias {
					s = p[1][j]
				}
				for k := range in {
					s += x[i*in+k] * p[0][k*out+j]
				}
				y[i*out+j] = refAct(act, s)
			}
		}
		return y
	}
}

func refActLayer(cols int, act activation) func(x []float64, n int, p [][]float64) []float64 {
	return func(x []float64, n int, p [][]float64) []float64 {
		y := make([]float64, len(x))
		for i, v := range x {
			y[i] = refAct(act, v)
		}
		return y
	}
}

func refBatchNorm(cols int, act activation) func(x []float64, n int, p [][]float64) []float64 {
	return func(x []float64, n int, p [][]float64) []float64 {
		y := make([]float64, len(x))
		for j := range cols {
			mean := 0.0
			for i := range n {
				mean += x[i*cols+j]
			}
			mean /= float64(n)
			v := 0.0
			for i := range n {
				d := x[i*cols+j] - mean
				v += d * d
			}
			v /= float64(n)
			for i := range n {
				h := (x[i*cols+j] - mean) / math.Sqrt(v+bnEpsilon)
				y[i*cols+j] = refAct(act, p[0][j]*h+p[1][j])
			}
		}
		return y
	}
}

func gradCases(rng *rand.Rand, n int) []gradCase {
	var g Gemm
	var cases []gradCase
	for _, act := range testActs {
		for _, bias := range []bool{true, false} {
			d := newDense("dense", 5, 4, n, bias, act, &g)
			cases = append(cases, gradCase{
				name: fmt.Sprintf("dense/%v/bias=%v", act, bias), l: d, in: 5, out: 4,
				ref: refDense(5, 4, act, bias),
			})
		}
		cases = append(cases, gradCase{
			name: fmt.Sprintf("activation/%v", act), l: newActLayer("act", 6, n, act), in: 6, out: 6,
			ref: refActLayer(6, act),
		})
	}
	for _, act := range []activation{{kind: actIdentity}, {kind: actReLU}, {kind: actTanh}, {kind: actGELU}} {
		bn := newBatchNorm("bn", 4, n, act)
		bn.setState(make([]float32, bn.stateLen()))
		cases = append(cases, gradCase{
			name: fmt.Sprintf("batchnorm/%v", act), l: bn, in: 4, out: 4,
			ref: refBatchNorm(4, act),
		})
	}
	dr := newDropout("dropout", 6, n, 0.3, rand.NewPCG(1, 2))
	var mask []float64
	cases = append(cases, gradCase{
		name: "dropout", l: dr, in: 6, out: 6,
		setup: func() { mask = to64(dr.mask.view(n).Data) },
		ref: func(x []float64, n int, p [][]float64) []float64 {
			y := make([]float64, len(x))
			for i, v := range x {
				y[i] = v * mask[i]
			}
			return y
		},
	})
	cases = append(cases, convGradCases(n)...)
	for i := range cases {
		bindParams(cases[i].l, rng)
	}
	return cases
}

func TestLayerGradients(t *testing.T) {
	const n = 7
	rng := rand.New(rand.NewPCG(42, 1))
	for _, c := range gradCases(rng, n) {
		t.Run(c.name, func(t *testing.T) {
			x := &Tensor{Rows: n, Cols: c.in, Data: randSlice(rng, n*c.in, 1)}
			r := randSlice(rng, n*c.out, 1)
			y := c.l.forward(x, true)
			if c.setup != nil {
				c.setup()
			}
			params := c.l.params()
			p64 := make([][]float64, len(params))
			for i, p := range params {
				p64[i] = to64(p.w)
			}
			x64 := to64(x.Data)
			// The float32 forward pass agrees with the reference.
			want := c.ref(x64, n, p64)
			for i, v := range y.Data {
				if d := math.Abs(float64(v) - want[i]); d > 1e-5+1e-5*math.Abs(want[i]) {
					t.Fatalf("output %d = %v, reference %v", i, v, want[i])
				}
			}
			dy := &Tensor{Rows: n, Cols: c.out, Data: append([]float32(nil), r...)}
			dx := c.l.backward(dy, true)
			f := func() float64 {
				y := c.ref(x64, n, p64)
				s := 0.0
				for i, v := range y {
					s += float64(r[i]) * v
				}
				return s
			}
			check := func(what string, got []float32, v []float64) {
				t.Helper()
				const h = 1e-6
				for i := range v {
					old := v[i]
					v[i] = old + h
					fp := f()
					v[i] = old - h
					fm := f()
					v[i] = old
					num := (fp - fm) / (2 * h)
					if d := math.Abs(float64(got[i]) - num); d > 1e-4+1e-4*math.Abs(num) {
						t.Errorf("%s[%d]: backward %v, finite difference %v", what, i, got[i], num)
					}
				}
			}
			check("dx", dx.Data, x64)
			for i, p := range params {
				check(p.name, p.g, p64[i])
			}
		})
	}
}

// TestBackwardWithoutInput checks that skipping the input gradient still
// computes the parameter gradients.
func TestBackwardWithoutInput(t *testing.T) {
	const n = 5
	rng := rand.New(rand.NewPCG(7, 1))
	for _, c := range gradCases(rng, n) {
		if len(c.l.params()) == 0 {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			x := &Tensor{Rows: n, Cols: c.in, Data: randSlice(rng, n*c.in, 1)}
			r := randSlice(rng, n*c.out, 1)
			c.l.forward(x, true)
			c.l.backward(&Tensor{Rows: n, Cols: c.out, Data: append([]float32(nil), r...)}, true)
			var want [][]float32
			for _, p := range c.l.params() {
				want = append(want, append([]float32(nil), p.g...))
				for i := range p.g {
					p.g[i] = float32(math.NaN()) // must be overwritten
				}
			}
			c.l.forward(x, true)
			if dx := c.l.backward(&Tensor{Rows: n, Cols: c.out, Data: append([]float32(nil), r...)}, false); dx != nil {
				t.Errorf("backward(needInput=false) returned an input gradient")
			}
			for i, p := range c.l.params() {
				for j, v := range p.g {
					if v != want[i][j] {
						t.Fatalf("%s[%d] = %v, with input gradient %v", p.name, j, v, want[i][j])
					}
				}
			}
		})
	}
}

func TestBatchNormRunningStats(t *testing.T) {
	const n, c = 6, 3
	rng := rand.New(rand.NewPCG(3, 3))
	bn := newBatchNorm("bn", c, n, activation{})
	bn.setState(make([]float32, bn.stateLen()))
	bindParams(bn, rng)
	x := &Tensor{Rows: n, Cols: c, Data: randSlice(rng, n*c, 2)}
	for i := range x.Data {
		x.Data[i] += 3
	}
	bn.forward(x, true)
	for j := range c {
		mean, v := 0.0, 0.0
		for i := range n {
			mean += float64(x.At(i, j))
		}
		mean /= n
		for i := range n {
			d := float64(x.At(i, j)) - mean
			v += d * d
		}
		v /= n - 1
		wantMean := 0.1 * mean
		wantVar := 0.9 + 0.1*v
		if math.Abs(float64(bn.runMean[j])-wantMean) > 1e-6 || math.Abs(float64(bn.runVar[j])-wantVar) > 1e-5 {
			t.Errorf("column %d: running mean, var = %v, %v; want %v, %v", j, bn.runMean[j], bn.runVar[j], wantMean, wantVar)
		}
	}
	// Evaluation uses the running statistics.
	y := bn.forward(x, false)
	for i := range n {
		for j := range c {
			h := (float64(x.At(i, j)) - float64(bn.runMean[j])) / math.Sqrt(float64(bn.runVar[j])+bnEpsilon)
			want := float64(bn.gamma.w[j])*h + float64(bn.beta.w[j])
			if d := math.Abs(float64(y.At(i, j)) - want); d > 1e-5 {
				t.Fatalf("eval (%d,%d) = %v, want %v", i, j, y.At(i, j), want)
			}
		}
	}
}

func TestDropout(t *testing.T) {
	const n, c = 200, 50
	d := newDropout("dropout", c, n, 0.25, rand.NewPCG(9, 9))
	x := &Tensor{Rows: n, Cols: c, Data: make([]float32, n*c)}
	for i := range x.Data {
		x.Data[i] = 1
	}
	if y := d.forward(x, false); y != x {
		t.Fatalf("evaluation is not the identity")
	}
	y := d.forward(x, true)
	zeros, sum := 0, 0.0
	for _, v := range y.Data {
		switch v {
		case 0:
			zeros++
		case 1 / 0.75:
		default:
			t.Fatalf("element %v is neither 0 nor 1/(1-p)", v)
		}
		sum += float64(v)
	}
	if frac := float64(zeros) / float64(n*c); math.Abs(frac-0.25) > 0.02 {
		t.Errorf("dropped fraction %.3f, want 0.25", frac)
	}
	if mean := sum / float64(n*c); math.Abs(mean-1) > 0.03 {
		t.Errorf("mean %.3f, want 1 (inverted dropout keeps the expectation)", mean)
	}
	// The same seed gives the same mask.
	first := append([]float32(nil), y.Data...)
	d.rng.Seed(9, 9)
	y = d.forward(x, true)
	for i := range first {
		if first[i] != y.Data[i] {
			t.Fatalf("mask differs at %d after reseeding", i)
		}
	}
}

func TestActivationFunctions(t *testing.T) {
	for _, x := range []float32{-100, -20, -9.5, -5, -1, -0.7, -0.3, -1e-3, -1e-8, 0, 1e-8, 1e-3, 0.3, 0.624, 0.626, 1, 3, 9, 20, 100} {
		if got, want := tanh32(x), math.Tanh(float64(x)); math.Abs(float64(got)-want) > 2e-7*max(1, math.Abs(want)) && math.Abs(float64(got)-want) > 3e-7*math.Abs(want) {
			t.Errorf("tanh32(%v) = %v, want %v", x, got, want)
		}
		// Results below the smallest normal float32 flush to 0.
		const tiny = 1.1754944e-38
		if got, want := sigmoid32(x), 1/(1+math.Exp(-float64(x))); math.Abs(float64(got)-want) > 3e-7*want && !(got == 0 && want < tiny) {
			t.Errorf("sigmoid32(%v) = %v, want %v", x, got, want)
		}
		if x < 88 {
			if got, want := exp32(x), math.Exp(float64(x)); math.Abs(float64(got)-want) > 2.5e-7*want && !(got == 0 && want < tiny) {
				t.Errorf("exp32(%v) = %v, want %v", x, got, want)
			}
		}
		y, dy := gelu32(x)
		wy := refAct(activation{kind: actGELU}, float64(x))
		const h = 1e-5
		wdy := (refAct(activation{kind: actGELU}, float64(x)+h) - refAct(activation{kind: actGELU}, float64(x)-h)) / (2 * h)
		if math.Abs(float64(y)-wy) > 1e-6*max(1, math.Abs(wy)) || math.Abs(float64(dy)-wdy) > 1e-5 {
			t.Errorf("gelu32(%v) = %v, %v; want %v, %v", x, y, dy, wy, wdy)
		}
	}
	// Exhaustive-ish sweep of exp32 over its range.
	for x := float32(-87); x < 88.7; x += 0.0137 {
		got, want := float64(exp32(x)), math.Exp(float64(x))
		if math.Abs(got-want) > 2.5e-7*want {
			t.Fatalf("exp32(%v) = %v, want %v (rel err %.2g)", x, got, want, math.Abs(got-want)/want)
		}
	}
	inf := float32(math.Inf(1))
	nan := float32(math.NaN())
	for _, c := range []struct {
		name      string
		got, want float32
	}{
		{"exp32(+Inf)", exp32(inf), inf},
		{"exp32(-Inf)", exp32(-inf), 0},
		{"exp32(89)", exp32(89), inf},
		{"tanh32(+Inf)", tanh32(inf), 1},
		{"tanh32(-Inf)", tanh32(-inf), -1},
		{"sigmoid32(-Inf)", sigmoid32(-inf), 0},
		{"sigmoid32(+Inf)", sigmoid32(inf), 1},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	for name, f := range map[string]func(float32) float32{"exp32": exp32, "tanh32": tanh32, "sigmoid32": sigmoid32} {
		if v := f(nan); v == v {
			t.Errorf("%s(NaN) = %v, want NaN", name, v)
		}
	}
	// ReLU keeps NaN so that divergence is seen.
	y := []float32{nan, -1, 2}
	activation{kind: actReLU}.biasAct(y, []float32{0, 0, 0}, nil)
	if y[0] == y[0] || y[1] != 0 || y[2] != 2 {
		t.Errorf("relu(NaN, -1, 2) = %v", y)
	}
}
