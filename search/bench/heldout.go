package bench

import (
	"math"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/search"
)

// The held-out functions: none of the samplers' defaults were chosen on
// them (the defaults of TPE and the GP were tuned on Branin, Hartmann-6,
// Styblinski-Tang-10 and Mixed), so they show whether those choices
// carry over to rugged, multimodal, noisy and differently conditional
// problems.

// Rastrigin6 returns the 6-dimensional Rastrigin function
// 10d + Σ (x² - 10 cos 2πx) on [-5.12, 5.12]^6: a bowl covered by about
// 10^6 regularly spaced local minima. Its minimum 0 is at the origin.
func Rastrigin6() Function {
	names := numberedNames("x", 6)
	ps := make([]search.Param, len(names))
	for i, n := range names {
		ps[i] = floatParam(n, -5.12, 5.12)
	}
	return Function{
		Name:    "rastrigin6",
		HeldOut: true,
		Space:   &search.Space{Params: ps},
		Optimum: 0,
		Eval: func(p dltune.Params) float64 {
			y := 10 * float64(len(names))
			for _, n := range names {
				x := p[n].Num
				y += x*x - 10*math.Cos(2*math.Pi*x)
			}
			return y
		},
	}
}

// schwefelArgmin is where each term of the Schwefel function is lowest.
const schwefelArgmin = 420.9687463

// Schwefel4 returns the 4-dimensional Schwefel function
// 418.9829d - Σ x sin √|x| on [-500, 500]^4: deceptive, its best local
// minima far apart and the global one near a corner, at x ≈ 420.9687 in
// every dimension, where it is 0 (up to 1e-4).
func Schwefel4() Function { return schwefel(4) }

func schwefel(d int) Function {
	names := numberedNames("x", d)
	ps := make([]search.Param, len(names))
	for i, n := range names {
		ps[i] = floatParam(n, -500, 500)
	}
	eval := func(p dltune.Params) float64 {
		y := 0.0
		for _, n := range names {
			x := p[n].Num
			y += 418.9828872724338 - x*math.Sin(math.Sqrt(math.Abs(x)))
		}
		return y
	}
	at := dltune.Params{}
	for _, n := range names {
		at[n] = dltune.Float(schwefelArgmin)
	}
	return Function{
		Name:    "schwefel" + string(rune('0'+d)),
		HeldOut: true,
		Space:   &search.Space{Params: ps},
		Optimum: eval(at),
		Eval:    eval,
	}
}

// NoisyHartmann6 returns Hartmann-6 observed with Gaussian noise of
// standard deviation 0.1 (3% of its range of values); the regret is the
// noiseless value at the point observed best.
func NoisyHartmann6() Function {
	f := Hartmann6()
	f.Name = "hartmann6-noisy"
	f.HeldOut = true
	f.Noise = 0.1
	return f
}

// NoisyBranin returns Branin observed with Gaussian noise of standard
// deviation 1 (about the value of its best 2% of points); the regret is
// the noiseless value at the point observed best.
func NoisyBranin() Function {
	f := Branin()
	f.Name = "branin-noisy"
	f.HeldOut = true
	f.Noise = 1
	return f
}

// Pipeline returns a conditional mixed function unlike Mixed: a choice of
// three models each with its own parameters, one of them nested two
// conditions deep, where the best model is not the one with the fewest
// parameters. Lower is better:
//
//	model = forest:  0.3 + 0.05 (log2 trees - 8)² + 0.5 (features - 0.3)²
//	                 trees int in [8, 1024], log; features in [0.05, 1]
//	model = boosted: 0.02 (depth - 5)² + (log10 eta + 1.5)²
//	                 + {squared: 0.06, huber: 4 (log10 delta)², quantile: 0.12}[loss]
//	                 depth int in [1, 12]; eta in [1e-4, 1], log;
//	                 delta in [0.01, 100], log, only for huber
//	model = linear:  0.6 + 0.1 (log10 l2 + 2)²   l2 in [1e-6, 10], log
//	+ 0.1 (bins/16 - 4)²   bins in [16, 256], step 16
//	+ {none: 0.15, standard: 0, minmax: 0.05}[scale]
//
// Its minimum is 0: boosted, depth 5, eta 10^-1.5, huber with delta 1, 64
// bins, standard scaling.
func Pipeline() Function {
	str := dltune.String
	cond := func(param string, v dltune.Value) *search.Condition {
		return &search.Condition{Param: param, Values: []dltune.Value{v}}
	}
	return Function{
		Name:    "pipeline",
		HeldOut: true,
		Space: &search.Space{Params: []search.Param{
			{Name: "model", Type: search.Choice, Choices: []dltune.Value{str("forest"), str("boosted"), str("linear")}},
			{Name: "trees", Type: search.IntRange, Low: 8, High: 1024, Log: true, When: cond("model", str("forest"))},
			{Name: "features", Type: search.FloatRange, Low: 0.05, High: 1, When: cond("model", str("forest"))},
			{Name: "depth", Type: search.IntRange, Low: 1, High: 12, When: cond("model", str("boosted"))},
			{Name: "eta", Type: search.FloatRange, Low: 1e-4, High: 1, Log: true, When: cond("model", str("boosted"))},
			{Name: "loss", Type: search.Choice, Choices: []dltune.Value{str("squared"), str("huber"), str("quantile")}, When: cond("model", str("boosted"))},
			{Name: "delta", Type: search.FloatRange, Low: 0.01, High: 100, Log: true, When: cond("loss", str("huber"))},
			{Name: "l2", Type: search.FloatRange, Low: 1e-6, High: 10, Log: true, When: cond("model", str("linear"))},
			{Name: "bins", Type: search.FloatRange, Low: 16, High: 256, Step: 16},
			{Name: "scale", Type: search.Choice, Choices: []dltune.Value{str("none"), str("standard"), str("minmax")}},
		}},
		Optimum: 0,
		Eval:    pipeline,
	}
}

func pipeline(p dltune.Params) float64 {
	sq := func(x float64) float64 { return x * x }
	var y float64
	switch p["model"].Str {
	case "forest":
		y = 0.3 + 0.05*sq(math.Log2(p["trees"].Num)-8) + 0.5*sq(p["features"].Num-0.3)
	case "boosted":
		y = 0.02*sq(p["depth"].Num-5) + sq(math.Log10(p["eta"].Num)+1.5)
		switch p["loss"].Str {
		case "squared":
			y += 0.06
		case "huber":
			y += 4 * sq(math.Log10(p["delta"].Num))
		default:
			y += 0.12
		}
	default:
		y = 0.6 + 0.1*sq(math.Log10(p["l2"].Num)+2)
	}
	y += 0.1 * sq(p["bins"].Num/16-4)
	switch p["scale"].Str {
	case "none":
		y += 0.15
	case "minmax":
		y += 0.05
	}
	return y
}

func numberedNames(prefix string, n int) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = prefix + string(rune('0'+i))
	}
	return names
}

// Ackley5 returns the 5-dimensional Ackley function
// -20 exp(-0.2 √(Σx²/d)) - exp(Σ cos(2πx)/d) + 20 + e on [-32.768, 32.768]^5:
// a nearly flat, rugged plateau around one deep funnel, not separable. Its
// minimum 0 is at the origin. It was added after the TPE bandwidth rule
// was chosen, to check that choice on a function it never saw.
func Ackley5() Function {
	names := numberedNames("x", 5)
	ps := make([]search.Param, len(names))
	for i, n := range names {
		ps[i] = floatParam(n, -32.768, 32.768)
	}
	return Function{
		Name:    "ackley5",
		HeldOut: true,
		Space:   &search.Space{Params: ps},
		Optimum: 0,
		Eval: func(p dltune.Params) float64 {
			var sq, cs float64
			for _, n := range names {
				x := p[n].Num
				sq += x * x
				cs += math.Cos(2 * math.Pi * x)
			}
			d := float64(len(names))
			return max(0, -20*math.Exp(-0.2*math.Sqrt(sq/d))-math.Exp(cs/d)+20+math.E)
		},
	}
}

// Levy6 returns the 6-dimensional Levy function on [-10, 10]^6, with
// w = 1 + (x - 1)/4:
//
//	sin²(πw₁) + Σᵢ<d (wᵢ-1)² (1 + 10 sin²(πwᵢ+1)) + (w_d-1)² (1 + sin²(2πw_d))
//
// rugged, with its minimum 0 off-centre at x = 1 in every dimension. It
// was added after the TPE bandwidth rule was chosen, to check that choice
// on a function it never saw.
func Levy6() Function {
	names := numberedNames("x", 6)
	ps := make([]search.Param, len(names))
	for i, n := range names {
		ps[i] = floatParam(n, -10, 10)
	}
	return Function{
		Name:    "levy6",
		HeldOut: true,
		Space:   &search.Space{Params: ps},
		Optimum: 0,
		Eval: func(p dltune.Params) float64 {
			sq := func(x float64) float64 { return x * x }
			w := make([]float64, len(names))
			for i, n := range names {
				w[i] = 1 + (p[n].Num-1)/4
			}
			d := len(w) - 1
			y := sq(math.Sin(math.Pi * w[0]))
			for i := range d {
				y += sq(w[i]-1) * (1 + 10*sq(math.Sin(math.Pi*w[i]+1)))
			}
			return y + sq(w[d]-1)*(1+sq(math.Sin(2*math.Pi*w[d])))
		},
	}
}
