package search

import (
	"fmt"
	"math"
	"slices"

	"github.com/dltune/dltune"
)

// TPEOptions configure a TPE sampler. The zero value is the recommended
// configuration: multivariate, with the constant liar, kernels sized by
// their neighbours, Optuna's defaults otherwise except for a narrower
// MagicClip.
type TPEOptions struct {
	// Startup is the number of observations below which TPE samples at
	// random, exactly as a RandomSampler with the same seed would; 0 means
	// 10. A group of conditional parameters active in fewer observations
	// is also sampled at random.
	Startup int
	// Candidates is the number of candidates drawn from the good density
	// l(x) for each suggestion; the one maximizing l(x)/g(x) wins. 0 means
	// 24.
	Candidates int
	// Gamma returns how many of n observations (pending trials included
	// when the constant liar is on) form the good group, the rest being
	// bad. nil means DefaultGamma.
	Gamma func(n int) int
	// PriorWeight is the weight of each density's prior kernel (a wide
	// Gaussian centred on each range, a uniform distribution over each
	// choice) relative to an observation's kernel of weight up to 1. It
	// also smooths the choice kernels. 0 means 1.
	PriorWeight float64
	// Bandwidth caps the kernels of multivariate TPE. Each numeric
	// kernel's standard deviation is the distance from its observation to
	// the neighbouring ones along that parameter (as in univariate TPE),
	// at most Bandwidth * n^(-1/(d+4)) times the parameter's range for n
	// observations of d jointly modelled parameters (Scott's rule, which
	// Optuna's multivariate TPE uses with 0.2 for every kernel). 0 means
	// 0.2. Kernels so sized stay wide while the good observations are
	// spread over several basins and narrow as they gather in one.
	Bandwidth float64
	// FixedBandwidth gives every kernel of multivariate TPE the width
	// Bandwidth sets, whatever its neighbours, as Optuna's multivariate
	// TPE does. With Bandwidth 0.05 it was dltune's first default, which
	// on rugged functions keeps proposing points in the basins the random
	// startup found.
	FixedBandwidth bool
	// MagicClip sets the smallest bandwidth of the numeric kernels to the
	// range divided by min(100, MagicClip*(n+1)) for n kernels, so that
	// kernels stay wide while observations are few. 0 means 4; Optuna's
	// (and Hyperopt's) "magic clip" is 1, which keeps the good density
	// wide for much longer.
	MagicClip float64
	// Univariate models every parameter on its own, as Optuna's default
	// TPE does. By default TPE is multivariate: parameters that always
	// occur together (all unconditional ones; the conditional ones with
	// the same condition) are modelled jointly, candidates drawn from the
	// joint good density and scored by the joint ratio.
	Univariate bool
	// IgnorePending turns the constant liar off. By default trials still
	// in flight count as bad observations, which steers parallel
	// suggestions away from each other; with IgnorePending they are
	// absent, as in Goptuna, and parallel workers may propose
	// near-duplicates.
	IgnorePending bool
	// Seed seeds the sampler's randomness: trial n draws from
	// rand.NewPCG(Seed, n).
	Seed uint64
}

// DefaultGamma is TPE's default size of the good group for n observations:
// min(ceil(0.1*n), 25), as in Optuna.
func DefaultGamma(n int) int { return min((n+9)/10, 25) }

// defaultWeights sets w to the weights of n observations in trial order,
// as Optuna does: 1 for the 25 most recent, a ramp from 1/n up to 1 for the
// older ones.
func defaultWeights(w []float64) {
	n := len(w)
	if n < 25 {
		for i := range w {
			w[i] = 1
		}
		return
	}
	ramp := n - 25
	for i := range ramp {
		if ramp == 1 {
			w[i] = 1 / float64(n)
		} else {
			w[i] = 1/float64(n) + (1-1/float64(n))*float64(i)/float64(ramp-1)
		}
	}
	for i := ramp; i < n; i++ {
		w[i] = 1
	}
}

// TPE is the tree-structured Parzen estimator sampler (Bergstra et al.
// 2011; Optuna's variant). After a random startup, it ranks the
// observations by loss, splits them into a good group (the Gamma best) and
// a bad one, fits a Parzen density to each, l(x) and g(x), draws
// Candidates points from l and proposes the one with the highest l(x)/g(x).
//
// Each numeric parameter is modelled with Gaussian kernels truncated to
// its range, in log space if Log; int and stepped ranges as the kernels'
// mass over the interval each value owns (see Param.ToUnit). Bandwidths
// come from the distance to neighbouring observations, capped by Scott's
// rule when multivariate (see TPEOptions.Bandwidth), clipped to
// [range/min(100, MagicClip*(n+1)), range]; the prior kernel is centred on
// the range with the whole range as bandwidth. A choice is modelled by
// categorical kernels smoothed by the prior weight. A conditional
// parameter is modelled over the trials where it is active. Failed trials
// (loss +Inf) are bad; the 25 most recent observations of each group weigh
// 1 and older ones less, down to 1/n.
//
// The differences from Optuna 3's TPE are the defaults: multivariate with
// kernels sized by their neighbours (Optuna's multivariate kernels all
// take Scott's width), the constant liar on, a narrower clip (4 instead of
// 1), and failed trials counted as bad rather than ignored. Without failed
// trials, with FixedBandwidth, MagicClip 1 and IgnorePending it is
// Optuna's multivariate TPE (with group=True); with Univariate instead of
// FixedBandwidth, Optuna's default TPE.
//
// Sample is deterministic in its arguments. A TPE keeps scratch buffers
// between calls, so it allocates little, and is not safe for concurrent
// use.
type TPE struct {
	space  *Space
	opt    TPEOptions
	groups []tpeGroup

	// Scratch, reused between calls.
	losses  []float64
	order   []int
	good    []bool
	weights []float64
	pts     []float64 // collected points of a group, row-major
	sel     []float64 // the good or bad ones
	l, g    parzen
	cands   tpeCands
	sortIdx []muIndex
	mc      massCache
}

var _ Sampler = (*TPE)(nil)

// NewTPE returns a TPE sampler over space. It returns an error if the space
// is invalid or an option is negative.
func NewTPE(space *Space, opt TPEOptions) (*TPE, error) {
	if err := space.Validate(); err != nil {
		return nil, fmt.Errorf("tpe: %w", err)
	}
	switch {
	case opt.Startup < 0:
		return nil, fmt.Errorf("tpe: startup %d is negative", opt.Startup)
	case opt.Candidates < 0:
		return nil, fmt.Errorf("tpe: candidates %d is negative", opt.Candidates)
	case !(opt.PriorWeight >= 0) || math.IsInf(opt.PriorWeight, 0):
		return nil, fmt.Errorf("tpe: prior weight %v is not a positive number", opt.PriorWeight)
	case !(opt.Bandwidth >= 0) || math.IsInf(opt.Bandwidth, 0):
		return nil, fmt.Errorf("tpe: bandwidth %v is not a positive number", opt.Bandwidth)
	case !(opt.MagicClip >= 0) || math.IsInf(opt.MagicClip, 0):
		return nil, fmt.Errorf("tpe: magic clip %v is not a positive number", opt.MagicClip)
	}
	if opt.Startup == 0 {
		opt.Startup = 10
	}
	if opt.Candidates == 0 {
		opt.Candidates = 24
	}
	if opt.Gamma == nil {
		opt.Gamma = DefaultGamma
	}
	if opt.PriorWeight == 0 {
		opt.PriorWeight = 1
	}
	if opt.Bandwidth == 0 {
		opt.Bandwidth = 0.2
	}
	if opt.MagicClip == 0 {
		opt.MagicClip = 4
	}
	return &TPE{space: space, opt: opt, groups: tpeGroups(space, opt.Univariate)}, nil
}

// A tpeDim is one modelled parameter.
type tpeDim struct {
	p      *Param
	cat    bool    // a choice: values are choice indices
	nc     int     // number of choices
	disc   bool    // an int or stepped range: values own intervals
	lo, hi float64 // the model interval (see Param.bounds)
}

// A tpeGroup is a set of parameters modelled jointly: they are active in
// the same trials.
type tpeGroup struct {
	first  string   // name of the first parameter, for Space.Active
	dims   []tpeDim // modelled parameters
	consts []*Param // ranges with Low == High: nothing to model
}

// tpeGroups partitions the space's parameters into groups: one per
// parameter if univariate, else one per distinct chain of conditions,
// ordered by their first parameter (so a group's conditions are decided by
// earlier groups).
func tpeGroups(s *Space, univariate bool) []tpeGroup {
	var groups []tpeGroup
	byKey := map[string]int{}
	for i := range s.Params {
		p := &s.Params[i]
		key := p.Name
		if !univariate {
			key = conditionKey(s, p)
		}
		gi, ok := byKey[key]
		if !ok {
			gi = len(groups)
			byKey[key] = gi
			groups = append(groups, tpeGroup{first: p.Name})
		}
		g := &groups[gi]
		switch {
		case p.Type == Choice:
			g.dims = append(g.dims, tpeDim{p: p, cat: true, nc: len(p.Choices)})
		case p.Low == p.High:
			g.consts = append(g.consts, p)
		default:
			lo, hi := p.bounds()
			g.dims = append(g.dims, tpeDim{p: p, disc: p.step() > 0, lo: lo, hi: hi})
		}
	}
	return groups
}

// conditionKey returns a string that two parameters share if and only if
// their chains of conditions are the same, so that they are always active
// together.
func conditionKey(s *Space, p *Param) string {
	key := ""
	for p.When != nil {
		key = p.When.String() + ";" + key
		q, ok := s.Param(p.When.Param)
		if !ok || q == p {
			break
		}
		p = q
	}
	return key
}

// encode returns v as the model sees it: a choice index, or the transformed
// number (snapped to its step, clamped to the range); ok is false if v is
// not in the parameter's domain and cannot be modelled.
func (d *tpeDim) encode(v dltune.Value) (float64, bool) {
	p := d.p
	if d.cat {
		for i, c := range p.Choices {
			if c.Equal(v) {
				return float64(i), true
			}
		}
		return 0, false
	}
	if !v.IsNumber() || math.IsNaN(v.Num) {
		return 0, false
	}
	x := min(max(v.Num, p.Low), p.High)
	if d.disc {
		x = p.Low + math.Round((x-p.Low)/p.step())*p.step()
	}
	return p.transform(x), true
}

// cell returns the interval of the model space that the value at model
// coordinate t of a discrete dimension owns.
func (d *tpeDim) cell(t float64) (a, b float64) {
	if d.p.Log { // a log int range: t = log(x)
		x := math.Round(math.Exp(t))
		a, b = math.Log(x-0.5), math.Log(x+0.5)
	} else {
		h := d.p.step() / 2
		a, b = t-h, t+h
	}
	return max(a, d.lo), min(b, d.hi)
}

// Sample proposes the parameters of trial number. Below Startup
// observations it samples at random. Otherwise, for each group of
// parameters active in the proposal so far, it ranks the observations in
// which the group is active (and, with the constant liar, the pending
// trials as worst), fits the good and bad densities and takes the best of
// its candidates; a group active in fewer than Startup observations is
// sampled at random. It never fails on a valid space; observations whose
// values lie outside the space are clamped into it or, for an unknown
// choice, left out of that group's model.
func (t *TPE) Sample(obs []Observation, pending []dltune.Params, number int) (dltune.Params, error) {
	r := trialRand(t.opt.Seed, number)
	if len(obs) < t.opt.Startup {
		return t.space.Sample(r), nil
	}
	if t.opt.IgnorePending {
		pending = nil
	}
	out := make(dltune.Params, len(t.space.Params))
	for gi := range t.groups {
		g := &t.groups[gi]
		if !t.space.Active(out, g.first) {
			continue
		}
		for _, p := range g.consts {
			out[p.Name] = p.value(p.Low)
		}
		if len(g.dims) == 0 {
			continue
		}
		if t.collect(g, obs, pending) < t.opt.Startup {
			for d := range g.dims {
				out[g.dims[d].p.Name] = g.dims[d].p.sample(r)
			}
			continue
		}
		t.split()
		t.fit(&t.l, g, true)
		t.fit(&t.g, g, false)
		t.cands.draw(r, &t.l, g, t.opt.Candidates)
		best := t.cands.best(&t.l, &t.g, g)
		for d := range g.dims {
			out[g.dims[d].p.Name] = t.cands.vals[best*len(g.dims)+d]
		}
	}
	return out, nil
}

// collect gathers into t.pts, t.losses the encoded points and losses of
// the observations, then the pending trials (loss +Inf), in which group g
// is active, in trial order. It returns how many observations it took.
func (t *TPE) collect(g *tpeGroup, obs []Observation, pending []dltune.Params) int {
	t.pts, t.losses = t.pts[:0], t.losses[:0]
	nObs := 0
	for i := range len(obs) + len(pending) {
		var ps dltune.Params
		loss := math.Inf(1)
		if i < len(obs) {
			ps, loss = obs[i].Params, obs[i].Loss
			if math.IsNaN(loss) {
				loss = math.Inf(1)
			}
		} else {
			ps = pending[i-len(obs)]
		}
		base := len(t.pts)
		for d := range g.dims {
			x, ok := g.dims[d].encode(ps[g.dims[d].p.Name])
			if !ok {
				t.pts = t.pts[:base]
				break
			}
			t.pts = append(t.pts, x)
		}
		if len(t.pts) == base {
			continue
		}
		t.losses = append(t.losses, loss)
		if i < len(obs) {
			nObs++
		}
	}
	return nObs
}

// split marks in t.good the Gamma best of the collected points, ties going
// to the earlier one.
func (t *TPE) split() {
	n := len(t.losses)
	k := min(max(t.opt.Gamma(n), 0), n)
	t.good = resize(t.good, n)
	clear(t.good)
	less := func(i, j int) bool { // i ranks before j
		return t.losses[i] < t.losses[j] || t.losses[i] == t.losses[j] && i < j
	}
	top := t.order[:0]
	if k <= 64 {
		// Keep the k best seen so far, sorted: O(n) for the usual k <= 25.
		for i := range n {
			if len(top) == k && (k == 0 || !less(i, top[k-1])) {
				continue
			}
			if len(top) < k {
				top = append(top, i)
			}
			j := len(top) - 1
			for ; j > 0 && less(i, top[j-1]); j-- {
				top[j] = top[j-1]
			}
			top[j] = i
		}
	} else {
		top = resize(top, n)
		for i := range top {
			top[i] = i
		}
		slices.SortFunc(top, func(i, j int) int {
			switch {
			case i == j:
				return 0
			case less(i, j):
				return -1
			}
			return 1
		})
		top = top[:k]
	}
	t.order = top
	for _, i := range top {
		t.good[i] = true
	}
}

// fit fits p to the good (or bad) collected points of group g, in trial
// order.
func (t *TPE) fit(p *parzen, g *tpeGroup, good bool) {
	D := len(g.dims)
	t.sel, t.weights = t.sel[:0], t.weights[:0]
	for i, isGood := range t.good {
		if isGood == good {
			t.sel = append(t.sel, t.pts[i*D:(i+1)*D]...)
			t.weights = append(t.weights, 0)
		}
	}
	defaultWeights(t.weights)
	p.fit(g.dims, t.sel, t.weights, &t.opt, &t.sortIdx, &t.mc)
}

// resize returns s with length n, reusing its storage when it can.
func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n, n+n/4)
	}
	return s[:n]
}
