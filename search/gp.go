package search

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/dltune/dltune"
)

// GPOptions configure a GP sampler. The zero value asks for the defaults.
type GPOptions struct {
	// Startup is the number of observations below which Sample draws
	// uniformly at random. 0 means 10; a negative value means only the
	// first trial is random.
	Startup int
	// Candidates is the number of points whose acquisition is computed
	// before local search; 0 means 1024.
	Candidates int
	// Restarts is the number of best candidates refined by local search;
	// 0 means 5.
	Restarts int
	// FitPoints caps the observations the kernel hyperparameters are
	// fitted on; 0 means 100. Beyond it, the fit uses the best half of
	// FitPoints by loss and a random draw from the rest.
	FitPoints int
	// ModelPoints caps the observations the model is conditioned on; 0
	// means 256. Beyond it, the model keeps the best half by loss and a
	// random draw from the rest. Pending trials come on top.
	ModelPoints int
	// Seed seeds every random choice, with the trial number.
	Seed uint64
}

// The defaults of GPOptions.
const (
	gpDefaultStartup     = 10
	gpDefaultCandidates  = 1024
	gpDefaultRestarts    = 5
	gpDefaultFitPoints   = 100
	gpDefaultModelPoints = 256
	gpStream             = 0x6770_5f73_616d_706c // "gp_sampl"
)

// GP is a Gaussian-process Bayesian-optimization sampler. It models the
// loss as a function of the encoded parameters with a Matern 5/2 kernel
// (one length scale per coordinate), fitted by maximizing the marginal
// likelihood, and proposes the point that maximizes the log expected
// improvement over the best loss so far.
//
// Parameters are encoded on the unit cube: ranges linearly (log ranges in
// log space), int and step ranges rounded when decoded, choices one-hot; an
// inactive conditional parameter takes a fixed encoding (0.5 for a range,
// all zeros for a choice). Losses are robustly standardized: failed
// trials take the worst finite loss, the scale comes from the better half
// of the trials, and the upper tail is compressed logarithmically and
// capped, so that diverged runs (losses of 1e6 among losses near 1) do not
// flatten the rest.
//
// The prior mean is pessimistic: targets are shifted so that the worst
// observation sits at the GP's zero mean. Far from the data the model
// expects a bad loss, so expected improvement refines good regions instead
// of chasing the variance of empty corners, which matters in more than a
// few dimensions.
//
// Trials in flight are handled as a kriging believer: the model is also
// conditioned on each pending point, as if observed without noise, with
// the loss it predicts there. That leaves the mean alone but removes the
// uncertainty at the pending points, so parallel suggestions spread out
// instead of piling up on the same optimum.
//
// With more than ModelPoints observations the model uses a subset (the
// best half and a random draw of the rest), which keeps a suggestion fast
// at a few thousand trials.
//
// A GP holds no mutable state: Sample is deterministic in its arguments
// and the options, and safe for concurrent use.
type GP struct {
	enc *gpEncoder
	opt GPOptions
}

var _ Sampler = (*GP)(nil)

// NewGP returns a GP sampler over space, which must not be modified
// afterwards. It returns an error if the space is empty or invalid; the
// error wraps Space.Validate's.
func NewGP(space *Space, opt GPOptions) (*GP, error) {
	if space == nil || len(space.Params) == 0 {
		return nil, errors.New("gp: empty search space")
	}
	if err := space.Validate(); err != nil {
		return nil, fmt.Errorf("gp: %w", err)
	}
	enc := newGPEncoder(space)
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	if opt.Startup == 0 {
		opt.Startup = gpDefaultStartup
	}
	def(&opt.Candidates, gpDefaultCandidates)
	def(&opt.Restarts, gpDefaultRestarts)
	def(&opt.FitPoints, gpDefaultFitPoints)
	def(&opt.ModelPoints, gpDefaultModelPoints)
	opt.FitPoints = max(opt.FitPoints, 2)
	opt.ModelPoints = max(opt.ModelPoints, 2)
	return &GP{enc: enc, opt: opt}, nil
}

// Sample proposes the parameters of trial number. Below Startup
// observations (or with none) it samples uniformly at random; after that it
// maximizes log expected improvement under the GP conditioned on obs and,
// as a kriging believer, on pending. Observations may hold failed trials
// (Loss +Inf or NaN); parameters outside the space are clamped into it.
// Sample never returns an error: numerical trouble that jitter cannot fix
// falls back to a random point.
func (g *GP) Sample(obs []Observation, pending []dltune.Params, number int) (dltune.Params, error) {
	r := rand.New(rand.NewPCG(g.opt.Seed, uint64(number)^gpStream))
	enc, dim := g.enc, g.enc.dim
	u := make([]float64, dim)
	state := make([]int, len(enc.params))
	if len(obs) == 0 || len(obs) < g.opt.Startup {
		enc.random(r, u, state)
		return enc.decode(u), nil
	}

	n := len(obs)
	x := make([]float64, n*dim)
	losses := make([]float64, n)
	for i, o := range obs {
		enc.encode(o.Params, x[i*dim:(i+1)*dim], state)
		losses[i] = o.Loss
	}
	y := make([]float64, n)
	gpTargets(losses, y)
	order := make([]int, n) // best first, ties by index
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(i, j int) int {
		switch {
		case y[i] < y[j]:
			return -1
		case y[i] > y[j]:
			return 1
		}
		return 0
	})

	// A pessimistic prior: shift the targets so that the worst is 0, the
	// GP's prior mean. Far from the data the model then expects a bad loss
	// rather than an average one, and expected improvement looks for gains
	// near good points instead of in empty corners of the space.
	worst := y[order[n-1]]
	for i := range y {
		y[i] -= worst
	}
	var h gpHyper
	if y[order[0]] == y[order[n-1]] {
		h = gpPriorHyper(dim) // nothing to learn from
	} else {
		fx, fy := gpGather(x, y, dim, gpSubset(order, g.opt.FitPoints, r))
		h = gpFit(fx, fy, dim, r, gpFitStarts(len(fy)))
	}
	mx, my := gpGather(x, y, dim, gpSubset(order, g.opt.ModelPoints, r))
	m, err := newGPModel(mx, my, dim, h, 0)
	if err == nil && len(pending) > 0 {
		px := make([]float64, len(pending)*dim)
		for i, p := range pending {
			enc.encode(p, px[i*dim:(i+1)*dim], state)
		}
		pm := make([]float64, len(pending))
		m.predict(px, pm, make([]float64, len(pending)))
		m, err = newGPModel(append(mx, px...), append(my, pm...), dim, h, len(pending))
	}
	if err != nil {
		enc.random(r, u, state)
		return enc.decode(u), nil
	}

	incumbents := make([][]float64, 0, gpIncumbents)
	for _, i := range order[:min(n, gpIncumbents)] {
		incumbents = append(incumbents, x[i*dim:(i+1)*dim])
	}
	acq := newGPAcq(m, enc, y[order[0]])
	best, _ := acq.maximize(r, g.opt.Candidates, g.opt.Restarts, incumbents)
	return enc.decode(best), nil
}

// gpFitStarts returns the number of hyperparameter searches on n points:
// two while they are cheap, one beyond.
func gpFitStarts(n int) int {
	if n <= 50 {
		return 2
	}
	return 1
}

// gpSubset returns the indices of at most size points, in ascending order:
// all of them if there are few enough, else the best size/2 by order and a
// uniform draw from the rest.
func gpSubset(order []int, size int, r *rand.Rand) []int {
	n := len(order)
	if n <= size {
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		return idx
	}
	half := size / 2
	rest := slices.Clone(order[half:])
	for k := 0; k < size-half; k++ { // partial Fisher-Yates
		j := k + r.IntN(len(rest)-k)
		rest[k], rest[j] = rest[j], rest[k]
	}
	idx := append(slices.Clone(order[:half]), rest[:size-half]...)
	slices.Sort(idx)
	return idx
}

// gpGather returns the rows idx of x (dim columns) and the entries idx of y.
func gpGather(x, y []float64, dim int, idx []int) (gx, gy []float64) {
	gx = make([]float64, 0, len(idx)*dim)
	gy = make([]float64, 0, len(idx))
	for _, i := range idx {
		gx = append(gx, x[i*dim:(i+1)*dim]...)
		gy = append(gy, y[i])
	}
	return gx, gy
}
