package core

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"
)

// testParams returns a weight (decayed) and a bias (not decayed) in slabs
// of their own, as the model lays them out.
func testParams(w, b []float32) ([]*param, []float32) {
	n := len(w) + len(b)
	ws, gs := make([]float32, n), make([]float32, n)
	copy(ws, w)
	copy(ws[len(w):], b)
	pw := &param{name: "d.weight", layer: "d", rows: 1, cols: len(w), decay: true, off: 0,
		w: ws[:len(w)], g: gs[:len(w)]}
	pb := &param{name: "d.bias", layer: "d", rows: 1, cols: len(b), off: len(w),
		w: ws[len(w):], g: gs[len(w):]}
	return []*param{pw, pb}, ws
}

// TestOptimizerFirstSteps checks hand-computed values: one weight and one
// bias start at 1 and get gradient 0.5 (then 0.25).
func TestOptimizerFirstSteps(t *testing.T) {
	cases := []struct {
		name string
		cfg  OptimizerConfig
		lr   float64
		// weight and bias after the first and second step
		w1, b1, w2, b2 float64
	}{
		// w -= 0.1·0.5; then w -= 0.1·0.25
		{"sgd", OptimizerConfig{Name: "sgd"}, 0.1, 0.95, 0.95, 0.925, 0.925},
		// buf = 0.5 → w = 0.95; buf = 0.9·0.5 + 0.25 = 0.7 → w = 0.88
		{"sgd momentum", OptimizerConfig{Name: "sgd", Momentum: 0.9}, 0.1, 0.95, 0.95, 0.88, 0.88},
		// buf = 0.5, step 0.5 + 0.45 → w = 0.905; buf = 0.7, step 0.25+0.63 → w = 0.817
		{"sgd nesterov", OptimizerConfig{Name: "sgd", Momentum: 0.9, Nesterov: true}, 0.1, 0.905, 0.905, 0.817, 0.817},
		// weight: g = 0.5 + 0.1·1 = 0.6 → 0.94; bias undecayed → 0.95;
		// then weight g = 0.25 + 0.094 = 0.344 → 0.9056
		{"sgd weight decay", OptimizerConfig{Name: "sgd", WeightDecay: 0.1}, 0.1, 0.94, 0.95, 0.9056, 0.925},
		// Adam's first step is lr·sign(g): 0.9. Second: m = 0.09·... see adamRef.
		{"adam", OptimizerConfig{Name: "adam"}, 0.1, 0.9, 0.9, adamTwo(1, 0.5, 0.25, 0.1, 0, false), adamTwo(1, 0.5, 0.25, 0.1, 0, false)},
		// L2 in the gradient changes nothing on the first step (sign).
		{"adam l2", OptimizerConfig{Name: "adam", WeightDecay: 0.1}, 0.1, 0.9, 0.9, adamTwo(1, 0.5, 0.25, 0.1, 0.1, false), adamTwo(1, 0.5, 0.25, 0.1, 0, false)},
		// AdamW: w·(1-0.1·0.1) - 0.1 = 0.89 for the weight; the bias 0.9.
		{"adamw", OptimizerConfig{Name: "adamw", WeightDecay: 0.1}, 0.1, 0.89, 0.9, adamTwo(1, 0.5, 0.25, 0.1, 0.1, true), adamTwo(1, 0.5, 0.25, 0.1, 0, true)},
		// v = 0.1·0.25 = 0.025; w = 1 - 0.01·0.5/√0.025 = 0.968377223
		{"rmsprop", OptimizerConfig{Name: "rmsprop"}, 0.01, 0.968377223, 0.968377223, 0.968377223 - 0.01*0.25/math.Sqrt(0.9*0.025+0.1*0.0625), 0.968377223 - 0.01*0.25/math.Sqrt(0.9*0.025+0.1*0.0625)},
		// With momentum 0.5 the second step adds half the first.
		{"rmsprop momentum", OptimizerConfig{Name: "rmsprop", Momentum: 0.5}, 0.01, 0.968377223, 0.968377223,
			0.968377223 - 0.01*(0.5*0.5/math.Sqrt(0.025)+0.25/math.Sqrt(0.9*0.025+0.1*0.0625)), 0.968377223 - 0.01*(0.5*0.5/math.Sqrt(0.025)+0.25/math.Sqrt(0.9*0.025+0.1*0.0625))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.cfg.LearningRate = c.lr
			if err := c.cfg.validate(); err != nil {
				t.Fatal(err)
			}
			ps, _ := testParams([]float32{1}, []float32{1})
			o := newOptimizer(&c.cfg, 2, 2)
			for step, g := range []float32{0.5, 0.25} {
				ps[0].g[0], ps[1].g[0] = g, g
				if bad := o.step(ps, c.lr); bad >= 0 {
					t.Fatalf("step %d: parameter %d not finite", step+1, bad)
				}
				wantW, wantB := c.w1, c.b1
				if step == 1 {
					wantW, wantB = c.w2, c.b2
				}
				if d := math.Abs(float64(ps[0].w[0]) - wantW); d > 2e-7 {
					t.Errorf("step %d: weight = %.9f, want %.9f", step+1, ps[0].w[0], wantW)
				}
				if d := math.Abs(float64(ps[1].w[0]) - wantB); d > 2e-7 {
					t.Errorf("step %d: bias = %.9f, want %.9f", step+1, ps[1].w[0], wantB)
				}
			}
		})
	}
}

// adamTwo is the weight after two Adam steps (β 0.9, 0.999, ε 1e-8) from
// w0 with gradients g1 and g2, computed by the textbook formulas in
// float64.
func adamTwo(w0, g1, g2, lr, wd float64, decoupled bool) float64 {
	w, m, v := w0, 0.0, 0.0
	for t, g := range []float64{g1, g2} {
		if decoupled {
			w *= 1 - lr*wd
		} else {
			g += wd * w
		}
		m = 0.9*m + 0.1*g
		v = 0.999*v + 0.001*g*g
		mhat := m / (1 - math.Pow(0.9, float64(t+1)))
		vhat := v / (1 - math.Pow(0.999, float64(t+1)))
		w -= lr * mhat / (math.Sqrt(vhat) + 1e-8)
	}
	return w
}

// TestOptimizerReference runs each optimizer for several steps on random
// gradients against a float64 transcription of PyTorch's algorithms.
func TestOptimizerReference(t *testing.T) {
	for _, cfg := range []OptimizerConfig{
		{Name: "sgd", LearningRate: 0.05},
		{Name: "sgd", LearningRate: 0.05, Momentum: 0.8, WeightDecay: 0.01},
		{Name: "sgd", LearningRate: 0.05, Momentum: 0.8, Nesterov: true},
		{Name: "adam", LearningRate: 0.01, Beta1: 0.8, Beta2: 0.99, Epsilon: 1e-6, WeightDecay: 0.01},
		{Name: "adamw", LearningRate: 0.01, WeightDecay: 0.1},
		{Name: "rmsprop", LearningRate: 0.01, Rho: 0.95, Epsilon: 1e-6},
		{Name: "rmsprop", LearningRate: 0.01, Momentum: 0.7, WeightDecay: 0.01},
		{Name: "adam", LearningRate: 0.01, ClipNorm: 0.5},
	} {
		t.Run(cfg.Name, func(t *testing.T) {
			const n, steps = 37, 6
			rng := rand.New(rand.NewPCG(11, 13))
			w0 := randSlice(rng, n, 1)
			ps, _ := testParams(w0[:30], w0[30:])
			o := newOptimizer(&cfg, n, 2)
			ref := newRefOptimizer(cfg, to64(w0), 30)
			for s := range steps {
				g := randSlice(rng, n, 0.3)
				copy(ps[0].g, g[:30])
				copy(ps[1].g, g[30:])
				o.step(ps, cfg.LearningRate)
				ref.step(to64(g))
				got := append(append([]float32(nil), ps[0].w...), ps[1].w...)
				for i, want := range ref.w {
					if math.Abs(float64(got[i])-want) > 2e-6*max(1, math.Abs(want)) {
						t.Fatalf("step %d: w[%d] = %v, reference %v", s+1, i, got[i], want)
					}
				}
			}
		})
	}
}

// refOptimizer is PyTorch's update rules in float64; weights [0, decayed)
// are decayed.
type refOptimizer struct {
	c        OptimizerConfig
	w, m, v  []float64
	decayed  int
	t        int
	lr       float64
	b1, b2   float64
	eps, rho float64
}

func newRefOptimizer(c OptimizerConfig, w []float64, decayed int) *refOptimizer {
	return &refOptimizer{c: c, w: w, m: make([]float64, len(w)), v: make([]float64, len(w)),
		decayed: decayed, lr: c.LearningRate, b1: orDefault(c.Beta1, 0.9), b2: orDefault(c.Beta2, 0.999),
		eps: orDefault(c.Epsilon, 1e-8), rho: orDefault(c.Rho, 0.9)}
}

func (r *refOptimizer) step(g []float64) {
	r.t++
	if r.c.ClipNorm > 0 {
		norm := 0.0
		for _, v := range g {
			norm += v * v
		}
		norm = math.Sqrt(norm)
		if norm > r.c.ClipNorm {
			for i := range g {
				g[i] *= r.c.ClipNorm / (norm + 1e-6)
			}
		}
	}
	for i := range r.w {
		wd := 0.0
		if i < r.decayed {
			wd = r.c.WeightDecay
		}
		gi := g[i]
		if r.c.Name != "adamw" {
			gi += wd * r.w[i]
		}
		switch r.c.Name {
		case "sgd":
			if r.c.Momentum == 0 {
				r.w[i] -= r.lr * gi
				continue
			}
			if r.t == 1 {
				r.m[i] = gi
			} else {
				r.m[i] = r.c.Momentum*r.m[i] + gi
			}
			d := r.m[i]
			if r.c.Nesterov {
				d = gi + r.c.Momentum*r.m[i]
			}
			r.w[i] -= r.lr * d
		case "adam", "adamw":
			if r.c.Name == "adamw" {
				r.w[i] *= 1 - r.lr*wd
			}
			r.m[i] = r.b1*r.m[i] + (1-r.b1)*gi
			r.v[i] = r.b2*r.v[i] + (1-r.b2)*gi*gi
			mhat := r.m[i] / (1 - math.Pow(r.b1, float64(r.t)))
			vhat := r.v[i] / (1 - math.Pow(r.b2, float64(r.t)))
			r.w[i] -= r.lr * mhat / (math.Sqrt(vhat) + r.eps)
		case "rmsprop":
			r.v[i] = r.rho*r.v[i] + (1-r.rho)*gi*gi
			d := gi / (math.Sqrt(r.v[i]) + r.eps)
			if r.c.Momentum > 0 {
				r.m[i] = r.c.Momentum*r.m[i] + d
				d = r.m[i]
			}
			r.w[i] -= r.lr * d
		}
	}
}

func TestOptimizerClipping(t *testing.T) {
	cfg := OptimizerConfig{Name: "sgd", LearningRate: 1, ClipNorm: 1}
	ps, _ := testParams([]float32{0}, []float32{0})
	ps[0].g[0], ps[1].g[0] = 3, 4 // norm 5
	o := newOptimizer(&cfg, 2, 2)
	o.step(ps, 1)
	if d := math.Abs(float64(ps[0].w[0]) + 0.6); d > 1e-6 {
		t.Errorf("weight = %v, want -0.6", ps[0].w[0])
	}
	if d := math.Abs(float64(ps[1].w[0]) + 0.8); d > 1e-6 {
		t.Errorf("bias = %v, want -0.8", ps[1].w[0])
	}
	// A gradient within the limit is untouched.
	ps[0].g[0], ps[1].g[0] = 0.3, 0.4
	o.step(ps, 1)
	if math.Abs(float64(ps[0].w[0])+0.9) > 1e-6 || math.Abs(float64(ps[1].w[0])+1.2) > 1e-6 {
		t.Errorf("unclipped step gave %v, %v; want -0.9, -1.2", ps[0].w[0], ps[1].w[0])
	}
}

func TestOptimizerNonFinite(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(-1))
	for _, cfg := range []OptimizerConfig{
		{Name: "sgd", LearningRate: 0.1}, {Name: "sgd", LearningRate: 0.1, Momentum: 0.9},
		{Name: "adam", LearningRate: 0.1}, {Name: "adamw", LearningRate: 0.1},
		{Name: "rmsprop", LearningRate: 0.1}, {Name: "rmsprop", LearningRate: 0.1, Momentum: 0.5},
		{Name: "adam", LearningRate: 0.1, ClipNorm: 1},
	} {
		for _, c := range []struct {
			bad     float32
			nan     bool
			inParam int
		}{{nan, true, 1}, {inf, false, 0}} {
			ps, _ := testParams([]float32{1, 2}, []float32{3})
			o := newOptimizer(&cfg, 3, 2)
			ps[c.inParam].g[0] = c.bad
			bad := o.step(ps, 0.1)
			if bad != c.inParam {
				t.Errorf("%s clip %v: bad parameter %d, want %d", cfg.Name, cfg.ClipNorm, bad, c.inParam)
				continue
			}
			if isNaN := o.gradMax[bad] > infBits; isNaN != c.nan {
				t.Errorf("%s: gradMax bits %#x, NaN %v", cfg.Name, o.gradMax[bad], c.nan)
			}
		}
	}
}

func TestOptimizerValidate(t *testing.T) {
	for _, c := range []struct {
		cfg  OptimizerConfig
		want string
	}{
		{OptimizerConfig{Name: "adamx", LearningRate: 1}, `optimizer.name: unknown optimizer "adamx" (want sgd, adam, adamw or rmsprop)`},
		{OptimizerConfig{Name: "sgd"}, "optimizer.learning_rate: 0 is not a positive number"},
		{OptimizerConfig{Name: "sgd", LearningRate: math.NaN()}, "optimizer.learning_rate: NaN is not a positive number"},
		{OptimizerConfig{Name: "sgd", LearningRate: 1, Momentum: 1}, "optimizer.momentum: 1 is not in [0, 1)"},
		{OptimizerConfig{Name: "adam", LearningRate: 1, Beta2: -0.1}, "optimizer.beta2: -0.1 is not in [0, 1)"},
		{OptimizerConfig{Name: "adam", LearningRate: 1, WeightDecay: -1}, "optimizer.weight_decay: -1 is not a finite number >= 0"},
		{OptimizerConfig{Name: "adam", LearningRate: 1, Nesterov: true}, "optimizer.nesterov: needs sgd with momentum > 0"},
	} {
		err := c.cfg.validate()
		if err == nil || err.Error() != c.want {
			t.Errorf("%+v: error %v, want %q", c.cfg, err, c.want)
		}
	}
}

func TestSchedule(t *testing.T) {
	const nb = 4
	cases := []struct {
		name  string
		cfg   ScheduleConfig
		epoch int
		batch int
		want  float64
	}{
		{"constant", ScheduleConfig{}, 7, 3, 0.1},
		{"step before", ScheduleConfig{Kind: "step", StepEpochs: 2, Gamma: 0.5}, 1, 3, 0.1},
		{"step at", ScheduleConfig{Kind: "step", StepEpochs: 2, Gamma: 0.5}, 2, 0, 0.05},
		{"step twice", ScheduleConfig{Kind: "step", StepEpochs: 2, Gamma: 0.5}, 5, 1, 0.025},
		{"step defaults", ScheduleConfig{Kind: "step"}, 10, 0, 0.01},
		{"cosine start", ScheduleConfig{Kind: "cosine", MinRate: 0.01}, 0, 0, 0.1},
		{"cosine middle", ScheduleConfig{Kind: "cosine", MinRate: 0.01}, 5, 0, 0.055},
		{"cosine quarter", ScheduleConfig{Kind: "cosine"}, 2, 2, 0.1 * (1 + math.Cos(math.Pi/4)) / 2},
		{"cosine end", ScheduleConfig{Kind: "cosine", MinRate: 0.01}, 10, 0, 0.01},
		{"cosine past end", ScheduleConfig{Kind: "cosine", MinRate: 0.01}, 12, 0, 0.01},
		{"warmup first", ScheduleConfig{WarmupEpochs: 2}, 0, 0, 0.1 / 8},
		{"warmup middle", ScheduleConfig{WarmupEpochs: 2}, 1, 0, 0.1 * 5 / 8},
		{"warmup done", ScheduleConfig{WarmupEpochs: 2}, 1, 3, 0.1},
		{"warmup cosine", ScheduleConfig{Kind: "cosine", WarmupEpochs: 5}, 0, 1, 0.1 * (1 + math.Cos(math.Pi*0.025)) / 2 * 2 / 20},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := c.cfg.validate(0.1); err != nil {
				t.Fatal(err)
			}
			s := newSchedule(&c.cfg, 0.1, 10)
			if got := s.rate(c.epoch, c.batch, nb); math.Abs(got-c.want) > 1e-12 {
				t.Errorf("rate(%d, %d) = %v, want %v", c.epoch, c.batch, got, c.want)
			}
		})
	}
}

// TestOptimizerKernels checks that the assembly optimizer kernels (where
// there are some) give the same bits as the Go kernels, on every length
// around the vector width and on special values.
func TestOptimizerKernels(t *testing.T) {
	if unsafe.Offsetof(adamArgs{}.eps) != 36 || unsafe.Offsetof(sgdArgs{}.mom) != 12 || unsafe.Offsetof(rmspropArgs{}.mom) != 24 {
		t.Fatalf("kernel argument layout changed; the assembly reads packed float32s")
	}
	if !useOptAsm {
		t.Skip("no assembly optimizer kernels on this CPU")
	}
	type kernel struct {
		name string
		// run updates w, s1, s2 from g with the active kernels (asm) or
		// the Go ones.
		run func(w, g, s1, s2 []float32, asm bool) uint32
	}
	adam := []adamArgs{
		{gs: 1, l2: 0, wmul: 1, b1: 0.9, c1: 0.1, b2: 0.999, c2: 0.001, step: 0.01, bc2: 31.6, eps: 1e-8},
		{gs: 0.37, l2: 0.01, wmul: 0.999, b1: 0.8, c1: 0.2, b2: 0.99, c2: 0.01, step: 0.003, bc2: 1.2, eps: 1e-6},
	}
	sgd := sgdArgs{gs: 0.7, l2: 0.01, lr: 0.1, mom: 0.9}
	rms := rmspropArgs{gs: 0.9, l2: 0.001, lr: 0.01, rho: 0.9, c: 0.1, eps: 1e-7, mom: 0.5}
	kernels := []kernel{
		{"adam", func(w, g, s1, s2 []float32, asm bool) uint32 {
			if asm {
				return adamKernel(w, g, s1, s2, &adam[0])
			}
			return adamGo(w, g, s1, s2, &adam[0])
		}},
		{"adamw l2 clip", func(w, g, s1, s2 []float32, asm bool) uint32 {
			if asm {
				return adamKernel(w, g, s1, s2, &adam[1])
			}
			return adamGo(w, g, s1, s2, &adam[1])
		}},
	}
	for _, mode := range []struct {
		name          string
		mom, nesterov bool
	}{{"sgd", false, false}, {"sgd momentum", true, false}, {"sgd nesterov", true, true}} {
		kernels = append(kernels, kernel{mode.name, func(w, g, s1, s2 []float32, asm bool) uint32 {
			if !mode.mom {
				s1 = nil
			}
			if asm {
				return sgdKernel(w, g, s1, &sgd, mode.nesterov)
			}
			return sgdGo(w, g, s1, &sgd, mode.nesterov)
		}})
	}
	for _, mom := range []bool{false, true} {
		kernels = append(kernels, kernel{fmt.Sprintf("rmsprop momentum=%v", mom), func(w, g, s1, s2 []float32, asm bool) uint32 {
			if !mom {
				s1 = nil
			}
			if asm {
				return rmspropKernel(w, g, s2, s1, &rms)
			}
			return rmspropGo(w, g, s2, s1, &rms)
		}})
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, k := range kernels {
		for _, n := range []int{1, 7, 8, 9, 15, 16, 17, 31, 33, 64, 1001} {
			w, g := randSlice(rng, n, 1), randSlice(rng, n, 0.1)
			s1, s2 := randSlice(rng, n, 0.01), randSlice(rng, n, 0.01)
			for i := range s2 {
				s2[i] *= s2[i] // a second moment is not negative
			}
			if n > 20 {
				g[3] = float32(math.NaN())
				g[11] = float32(math.Inf(-1))
				g[12] = 1e-42 // subnormal
				g[19] = 0
			}
			cp := func(x []float32) []float32 { return append([]float32(nil), x...) }
			w2, g2, s12, s22 := cp(w), cp(g), cp(s1), cp(s2)
			for step := range 2 {
				mxAsm := k.run(w, g, s1, s2, true)
				mxGo := k.run(w2, g2, s12, s22, false)
				if mxAsm != mxGo {
					t.Errorf("%s n=%d: max |g| bits %#x (asm), %#x (go)", k.name, n, mxAsm, mxGo)
				}
				for _, p := range [][2][]float32{{w, w2}, {s1, s12}, {s2, s22}} {
					for i := range p[0] {
						if math.Float32bits(p[0][i]) != math.Float32bits(p[1][i]) {
							t.Fatalf("%s n=%d step %d element %d: asm %v, go %v", k.name, n, step+1, i, p[0][i], p[1][i])
						}
					}
				}
			}
		}
	}
}
