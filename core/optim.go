package core

import (
	"fmt"
	"math"
)

type optKind uint8

const (
	optSGD optKind = iota + 1
	optAdam
	optAdamW
	optRMSProp
)

var optNames = [...]string{optSGD: "sgd", optAdam: "adam", optAdamW: "adamw", optRMSProp: "rmsprop"}

func (k optKind) String() string { return optNames[k] }

// optimizer updates a model's parameter slab from its gradient slab. The
// formulas are PyTorch's (torch.optim.SGD, Adam, AdamW, RMSprop), so that
// hyperparameters carry over:
//
//	sgd:     b = μb + g;  w -= lr·(g + μb if Nesterov else b)   (b = g on the first step)
//	adam:    m = β1m + (1-β1)g;  v = β2v + (1-β2)g²;
//	         w -= lr/(1-β1ᵗ) · m / (√v/√(1-β2ᵗ) + ε)
//	adamw:   w *= 1 - lr·λ, then adam without L2
//	rmsprop: v = ρv + (1-ρ)g²;  b = μb + g/(√v+ε);  w -= lr·b   (w -= lr·g/(√v+ε) when μ = 0)
//
// where g already includes the L2 term λw for sgd, adam and rmsprop, on
// weights only. Each update is one fused pass per parameter tensor, which
// also finds the largest |g| (to detect NaN and Inf).
type optimizer struct {
	kind     optKind
	momentum float64
	nesterov bool
	beta1    float64
	beta2    float64
	eps      float64
	rho      float64
	wd       float64
	clip     float64
	// t is the number of updates made, for Adam's bias corrections.
	t int64
	// s1 and s2 are state slabs parallel to the parameter slab: sgd's
	// momentum buffer (s1); adam's first and second moments (s1, s2);
	// rmsprop's squared-gradient average (s2) and momentum buffer (s1).
	// A slab the optimizer does not use is nil.
	s1, s2 []float32
	// gradMax[i] is the float32 bit pattern of the largest |g| of
	// parameter i in the last update (raw gradient, before clipping).
	gradMax []uint32
}

// newOptimizer returns the optimizer a validated configuration names, with
// state for a parameter slab of n elements in np tensors.
func newOptimizer(c *OptimizerConfig, n, np int) *optimizer {
	o := &optimizer{
		kind: parseOptimizerName(c.Name), momentum: c.Momentum, nesterov: c.Nesterov,
		beta1: orDefault(c.Beta1, 0.9), beta2: orDefault(c.Beta2, 0.999), eps: orDefault(c.Epsilon, 1e-8),
		rho: orDefault(c.Rho, 0.9), wd: c.WeightDecay, clip: c.ClipNorm,
		gradMax: make([]uint32, np),
	}
	switch o.kind {
	case optSGD:
		if o.momentum != 0 {
			o.s1 = make([]float32, n)
		}
	case optAdam, optAdamW:
		o.s1, o.s2 = make([]float32, n), make([]float32, n)
	case optRMSProp:
		o.s2 = make([]float32, n)
		if o.momentum != 0 {
			o.s1 = make([]float32, n)
		}
	}
	return o
}

func orDefault(v, d float64) float64 {
	if v == 0 {
		return d
	}
	return v
}

func parseOptimizerName(name string) optKind {
	for k, n := range optNames {
		if n != "" && n == name {
			return optKind(k)
		}
	}
	return 0
}

// validate checks an OptimizerConfig, naming the field at fault.
func (c *OptimizerConfig) validate() error {
	if parseOptimizerName(c.Name) == 0 {
		return fmt.Errorf("optimizer.name: unknown optimizer %q (want %s)", c.Name, oneOf(Optimizers()))
	}
	if !(c.LearningRate > 0) || math.IsInf(c.LearningRate, 0) || c.LearningRate > math.MaxFloat32 {
		return fmt.Errorf("optimizer.learning_rate: %v is not a positive number", c.LearningRate)
	}
	unit := []struct {
		name string
		v    float64
	}{{"momentum", c.Momentum}, {"beta1", c.Beta1}, {"beta2", c.Beta2}, {"rho", c.Rho}}
	for _, f := range unit {
		if !(f.v >= 0 && f.v < 1) {
			return fmt.Errorf("optimizer.%s: %v is not in [0, 1)", f.name, f.v)
		}
	}
	nonneg := []struct {
		name string
		v    float64
	}{{"epsilon", c.Epsilon}, {"weight_decay", c.WeightDecay}, {"clip_norm", c.ClipNorm}}
	for _, f := range nonneg {
		if !(f.v >= 0) || math.IsInf(f.v, 0) {
			return fmt.Errorf("optimizer.%s: %v is not a finite number >= 0", f.name, f.v)
		}
	}
	if c.Nesterov && (c.Name != "sgd" || c.Momentum == 0) {
		return fmt.Errorf("optimizer.nesterov: needs sgd with momentum > 0")
	}
	return nil
}

// stateSlabs returns the optimizer's state for checkpoints.
func (o *optimizer) stateSlabs() [][]float32 { return [][]float32{o.s1, o.s2} }

// step updates every parameter of ps with learning rate lr. It returns the
// index in ps of the first parameter whose gradient holds a NaN or an
// infinity, or -1; the parameters may then already be updated with it.
func (o *optimizer) step(ps []*param, lr float64) int {
	o.t++
	gs := float32(1)
	if o.clip > 0 {
		var sq float64
		for i, p := range ps {
			s := sumSquares(p.g)
			if math.IsNaN(s) || math.IsInf(s, 0) {
				o.gradMax[i] = maxAbsBits(p.g)
				return i
			}
			sq += s
		}
		if norm := math.Sqrt(sq); norm > o.clip {
			gs = float32(o.clip / (norm + 1e-6))
		}
	}
	flr := float32(lr)
	bad := -1
	for i, p := range ps {
		w, g := p.w, p.g
		var l2 float32
		if p.decay && o.kind != optAdamW {
			l2 = float32(o.wd)
		}
		var s1, s2 []float32
		if o.s1 != nil {
			s1 = o.s1[p.off : p.off+len(w)]
		}
		if o.s2 != nil {
			s2 = o.s2[p.off : p.off+len(w)]
		}
		var mx uint32
		switch o.kind {
		case optSGD:
			mx = sgdKernel(w, g, s1, &sgdArgs{gs: gs, l2: l2, lr: flr, mom: float32(o.momentum)}, o.nesterov)
		case optAdam, optAdamW:
			wmul := float32(1)
			if p.decay && o.kind == optAdamW {
				wmul = float32(1 - lr*o.wd)
			}
			bc1 := 1 - math.Pow(o.beta1, float64(o.t))
			bc2 := 1 - math.Pow(o.beta2, float64(o.t))
			mx = adamKernel(w, g, s1, s2, &adamArgs{
				gs: gs, l2: l2, wmul: wmul,
				b1: float32(o.beta1), c1: float32(1 - o.beta1),
				b2: float32(o.beta2), c2: float32(1 - o.beta2),
				step: float32(lr / bc1), bc2: float32(1 / math.Sqrt(bc2)), eps: float32(o.eps),
			})
		case optRMSProp:
			mx = rmspropKernel(w, g, s2, s1, &rmspropArgs{gs: gs, l2: l2, lr: flr,
				rho: float32(o.rho), c: float32(1 - o.rho), eps: float32(o.eps), mom: float32(o.momentum)})
		}
		o.gradMax[i] = mx
		if mx >= infBits && bad < 0 {
			bad = i
		}
	}
	return bad
}

// infBits is the bit pattern of +Inf; |x|'s bits are >= it exactly when x
// is not finite, and above it when x is NaN.
const infBits = 0x7f800000

func sumSquares(x []float32) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		v := x[i : i+4 : i+4]
		s0 += float64(v[0]) * float64(v[0])
		s1 += float64(v[1]) * float64(v[1])
		s2 += float64(v[2]) * float64(v[2])
		s3 += float64(v[3]) * float64(v[3])
	}
	for ; i < len(x); i++ {
		s0 += float64(x[i]) * float64(x[i])
	}
	return (s0 + s1) + (s2 + s3)
}

// maxAbsBits returns the bit pattern of the largest |x| (NaN counting as
// largest).
func maxAbsBits(x []float32) uint32 {
	var m uint32
	for _, v := range x {
		m = max(m, math.Float32bits(v)&0x7fffffff)
	}
	return m
}
