package search

import (
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/optimize"
)

// The acquisition maximizer scores Candidates points, a quarter of them
// perturbations of the best observations and the rest uniform, and refines
// the Restarts best by local search. A local search alternates, for up to
// gpLocalRounds rounds:
//
//   - L-BFGS over the active continuous coordinates (and the discrete ranges
//     with more than gpSweepLevels levels, relaxed to continuous), all others
//     held fixed, with u = (1 + sin t)/2 keeping each coordinate in [0,1];
//     the result is then snapped (rounded) to a valid point;
//   - a sweep over the active discrete parameters: each choice and each
//     discrete range with at most gpSweepLevels levels tries all its
//     values, a larger range tries its neighbours at ±1, ±2 and ±4 levels.
//
// Every point is scored after snapping, so the score is that of the Params
// it decodes to.
const (
	gpLocalRounds  = 3
	gpSweepLevels  = 16
	gpLocalIters   = 25 // L-BFGS major iterations per round
	gpLocalEvals   = 50 // acquisition evaluations per L-BFGS run
	gpIncumbents   = 5  // observations perturbed for candidates
	gpMinImprove   = 1e-9
	gpPerturbShare = 4 // 1/gpPerturbShare of the candidates are perturbations
)

// gpAcq maximizes log EI under a model.
type gpAcq struct {
	m     *gpModel
	enc   *gpEncoder
	best  float64 // incumbent target
	state []int   // level states of the point being improved

	// scratch
	tmpState    []int
	free        []int
	dmean, dvar []float64
	tmp, trial  []float64
}

func newGPAcq(m *gpModel, enc *gpEncoder, best float64) *gpAcq {
	return &gpAcq{
		m: m, enc: enc, best: best,
		state: make([]int, len(enc.params)), tmpState: make([]int, len(enc.params)),
		dmean: make([]float64, enc.dim), dvar: make([]float64, enc.dim),
		tmp: make([]float64, enc.dim), trial: make([]float64, enc.dim),
	}
}

// value returns log EI at u.
func (a *gpAcq) value(u []float64) float64 {
	mu, v := a.m.predictGrad(u, nil, nil, nil)
	lei, _, _ := gpLogEI(mu, v, a.best)
	return lei
}

// valueGrad returns log EI at u and writes its gradient with respect to the
// coordinates in free to grad.
func (a *gpAcq) valueGrad(u []float64, free []int, grad []float64) float64 {
	mu, v := a.m.predictGrad(u, free, a.dmean, a.dvar)
	lei, dmu, dv := gpLogEI(mu, v, a.best)
	for f := range free {
		grad[f] = dmu*a.dmean[f] + dv*a.dvar[f]
	}
	return lei
}

// maximize returns the best point found (snapped) and its log EI.
// incumbents are encoded observations, best first.
func (a *gpAcq) maximize(r *rand.Rand, candidates, restarts int, incumbents [][]float64) ([]float64, float64) {
	dim := a.enc.dim
	xs := make([]float64, candidates*dim)
	local := 0
	if len(incumbents) > 0 {
		local = candidates / gpPerturbShare
	}
	for c := 0; c < candidates; c++ {
		u := xs[c*dim : (c+1)*dim]
		if c < local {
			a.perturb(r, incumbents[c%len(incumbents)], u, c/len(incumbents))
			continue
		}
		a.enc.random(r, u, a.state)
	}
	mean := make([]float64, candidates)
	variance := make([]float64, candidates)
	a.m.predict(xs, mean, variance)
	score := make([]float64, candidates)
	order := make([]int, candidates)
	for c := range score {
		score[c], _, _ = gpLogEI(mean[c], variance[c], a.best)
		order[c] = c
	}
	slices.SortStableFunc(order, func(i, j int) int {
		switch {
		case score[i] > score[j]:
			return -1
		case score[i] < score[j]:
			return 1
		}
		return 0
	})
	var (
		best    []float64
		bestVal = math.Inf(-1)
		starts  [][]float64
	)
	for _, c := range order {
		if len(starts) == restarts {
			break
		}
		u := xs[c*dim : (c+1)*dim]
		if slices.ContainsFunc(starts, func(s []float64) bool { return slices.Equal(s, u) }) {
			continue
		}
		starts = append(starts, u)
	}
	for _, u := range starts {
		val := a.local(u)
		if val > bestVal {
			best, bestVal = u, val
		}
	}
	return best, bestVal
}

// perturb writes to u a random neighbour of inc: one parameter, and each
// other with probability 3/len(params), moves; a range by a Gaussian step
// of 0.02, 0.08 or 0.25 (by k), a choice to a random value.
func (a *gpAcq) perturb(r *rand.Rand, inc, u []float64, k int) {
	copy(u, inc)
	scale := [...]float64{0.02, 0.08, 0.25}[k%3]
	ps := a.enc.params
	must := r.IntN(len(ps))
	prob := 3 / float64(len(ps))
	for i := range ps {
		if i != must && r.Float64() >= prob {
			continue
		}
		gp := &ps[i]
		if gp.p.Type == Choice {
			gp.setLevel(u, r.IntN(gp.width))
			continue
		}
		u[gp.off] += scale * r.NormFloat64()
	}
	a.enc.snap(u, a.state)
}

// local improves u in place by local search and returns its log EI.
func (a *gpAcq) local(u []float64) float64 {
	a.enc.snap(u, a.state)
	val := a.value(u)
	for round := 0; round < gpLocalRounds; round++ {
		improved := false
		if v := a.continuous(u, val); v > val+gpMinImprove {
			val, improved = v, true
		}
		if v := a.sweep(u, val); v > val+gpMinImprove {
			val, improved = v, true
		}
		if !improved {
			break
		}
	}
	return val
}

// relaxed lists the coordinates local search moves by L-BFGS at the
// current state: active continuous ranges and active discrete ranges with
// more than gpSweepLevels levels.
func (a *gpAcq) relaxed() []int {
	a.free = a.free[:0]
	for i := range a.enc.params {
		gp := &a.enc.params[i]
		s := a.state[i]
		if s == gpContinuous || (s >= 0 && gp.p.Type != Choice && gp.levels > gpSweepLevels) {
			a.free = append(a.free, gp.off)
		}
	}
	return a.free
}

// continuous runs L-BFGS over the relaxed coordinates of u, whose score is
// val. If the snapped result scores better, it replaces u; continuous
// returns the score of u.
func (a *gpAcq) continuous(u []float64, val float64) float64 {
	free := a.relaxed()
	if len(free) == 0 {
		return val
	}
	nf := len(free)
	x := a.trial
	copy(x, u)
	t0 := make([]float64, nf)
	for f, j := range free {
		// Start off the bounds, where dt/du vanishes.
		t0[f] = math.Asin(math.Max(-0.999, math.Min(2*u[j]-1, 0.999)))
	}
	grad := make([]float64, nf)
	var (
		lastT   = make([]float64, nf)
		lastVal float64
		lastOK  bool
	)
	eval := func(t []float64) {
		if lastOK && gpEqualFloats(lastT, t) {
			return
		}
		for f, j := range free {
			x[j] = 0.5 + 0.5*math.Sin(t[f])
		}
		lastVal = a.valueGrad(x, free, grad)
		for f := range free {
			grad[f] *= 0.5 * math.Cos(t[f])
		}
		copy(lastT, t)
		lastOK = true
	}
	prob := optimize.Problem{
		Func: func(t []float64) float64 {
			eval(t)
			if math.IsNaN(lastVal) {
				return math.Inf(1)
			}
			return -lastVal
		},
		Grad: func(g, t []float64) {
			eval(t)
			for f := range g {
				g[f] = -grad[f]
			}
		},
	}
	settings := &optimize.Settings{
		MajorIterations: gpLocalIters,
		FuncEvaluations: gpLocalEvals,
		Converger:       &optimize.FunctionConverge{Absolute: 1e-6, Relative: 1e-6, Iterations: 3},
	}
	res, _ := optimize.Minimize(prob, t0, settings, &optimize.LBFGS{})
	if res == nil || res.X == nil {
		return val
	}
	copy(x, u)
	for f, j := range free {
		x[j] = 0.5 + 0.5*math.Sin(res.X[f])
	}
	a.enc.snap(x, a.tmpState)
	v := a.value(x)
	if !(v > val) {
		return val
	}
	copy(u, x)
	copy(a.state, a.tmpState)
	return v
}

// sweep tries other values of each active discrete parameter of u, whose
// score is val, one parameter at a time, keeping the best. It returns the
// final score.
func (a *gpAcq) sweep(u []float64, val float64) float64 {
	for i := range a.enc.params {
		gp := &a.enc.params[i]
		cur := a.state[i]
		if cur < 0 {
			continue // inactive, unknown or continuous
		}
		n := gp.nlevels()
		try := func(k int) {
			if k < 0 || k >= n || k == cur {
				return
			}
			copy(a.tmp, u)
			gp.setLevel(a.tmp, k)
			a.enc.snap(a.tmp, a.tmpState)
			if v := a.value(a.tmp); v > val+gpMinImprove {
				val = v
				copy(u, a.tmp)
				copy(a.state, a.tmpState)
			}
		}
		if n <= gpSweepLevels || gp.p.Type == Choice {
			for k := 0; k < n; k++ {
				try(k)
			}
			continue
		}
		for _, d := range [...]int{1, -1, 2, -2, 4, -4} {
			try(cur + d)
		}
	}
	return val
}
