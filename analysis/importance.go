package analysis

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/search"
)

// ErrTooFewTrials: there are too few complete trials to tell what mattered.
var ErrTooFewTrials = errors.New("too few complete trials")

// An Importance is how much of the variation of the loss over the search
// space one parameter explains on its own.
type Importance struct {
	Param string `json:"param"`
	// Importance is the parameter's share of the explained variance: the
	// variance of its main effect over the total, normalized so that the
	// importances of a study sum to 1.
	Importance float64 `json:"importance"`
	// Std is the standard deviation of the share over the forest's trees,
	// on the same scale: how sure the estimate is.
	Std float64 `json:"std"`
}

// ImportanceOptions are the knobs of Importances.
type ImportanceOptions struct {
	// Trees is the number of trees of the random forest; 0 means 64.
	Trees int
	// Seed seeds the forest's bootstrap samples.
	Seed uint64
	// Epochs, if > 0, compares the trials that trained at least that many
	// epochs, whatever their state but failed, by their lowest loss over
	// those epochs: a rung of a halving study (see Rung). 0 compares the
	// complete trials by their loss.
	Epochs int
	// MaxTrials, if positive, fits the forest to a sample of that many of
	// the trials that compare, drawn uniformly without replacement with
	// Seed, when there are more: the time grows a little faster than the
	// trials, and a sample of a few thousand ranks the parameters of a
	// study of 10,000 as all of them do. 0 uses every trial; below
	// MinTrials it means MinTrials.
	MaxTrials int
}

// Compared returns the trials whose losses compare and the loss to compare
// them by: with epochs 0, the complete trials and their lowest validation
// loss; else the trials that trained at least epochs epochs and did not
// fail, and their lowest loss over the first epochs. Trials with no finite
// loss are left out.
func Compared(trials []*dltune.Trial, epochs int) ([]*dltune.Trial, func(*dltune.Trial) float64) {
	loss := (*dltune.Trial).Loss
	if epochs > 0 {
		loss = func(t *dltune.Trial) float64 { return t.LossAt(epochs) }
	}
	var out []*dltune.Trial
	for _, t := range trials {
		if epochs > 0 && (t.State == dltune.Failed || t.Epochs() < epochs) || epochs <= 0 && t.State != dltune.Complete {
			continue
		}
		if l := loss(t); !math.IsInf(l, 0) && !math.IsNaN(l) {
			out = append(out, t)
		}
	}
	return out, loss
}

// MinRungTrials is the fewest trials Rung wants at a rung.
const MinRungTrials = 8

// Rung returns the epochs at which to compare the trials of a halving
// study whose rungs are given: the highest rung that at least
// MinRungTrials trials (not failed) reached, else the lowest rung. Only a
// rung compares many trials of such a study on equal terms; few reach the
// last. It returns 0 when rungs is empty.
func Rung(trials []*dltune.Trial, rungs []int) int {
	if len(rungs) == 0 {
		return 0
	}
	for i := len(rungs) - 1; i >= 0; i-- {
		if n, _ := Compared(trials, rungs[i]); len(n) >= MinRungTrials {
			return rungs[i]
		}
	}
	return rungs[0]
}

// MinTrials is the fewest complete trials Importances works with.
const MinTrials = 4

// Importances ranks the parameters of space by how much the loss of the
// complete trials depends on each, most important first, by fANOVA over a
// random forest (Hutter, Hoos and Leyton-Brown, "An Efficient Approach for
// Assessing Hyperparameter Importance", ICML 2014), as Optuna's default
// evaluator does: a forest of regression trees is fitted to the loss over
// the unit cube (log-scaled ranges in log space, choices as equal cells),
// and each tree's prediction is decomposed into the variance of its main
// effects under the uniform distribution of the space.
//
// Only Complete trials count, or with opt.Epochs the trials that reached
// that rung: a pruned trial's loss was measured after fewer epochs and
// does not compare with a complete one's. Parameters that some trial lacks (a
// conditional parameter) are left out, as Optuna does. The result is the
// same for the same trials and seed. It fails with ErrTooFewTrials below
// MinTrials complete trials.
func Importances(space *search.Space, trials []*dltune.Trial, opt ImportanceOptions) ([]Importance, error) {
	if opt.Trees <= 0 {
		opt.Trees = 64
	}
	done, loss := Compared(trials, opt.Epochs)
	if len(done) < MinTrials {
		what := plural(len(done), "complete trial")
		if opt.Epochs > 0 {
			what = plural(len(done), "trial") + fmt.Sprintf(" that reached epoch %d", opt.Epochs)
		}
		return nil, fmt.Errorf("%w: %s, %d needed", ErrTooFewTrials, what, MinTrials)
	}
	if opt.MaxTrials > 0 {
		done = sample(done, max(opt.MaxTrials, MinTrials), opt.Seed)
	}
	var params []*search.Param
	for i := range space.Params {
		p := &space.Params[i]
		all := true
		for _, t := range done {
			if _, ok := t.Params[p.Name]; !ok {
				all = false
				break
			}
		}
		if all {
			params = append(params, p)
		}
	}
	if len(params) == 0 {
		return nil, errors.New("no parameter is set in every complete trial")
	}
	x := make([][]float64, len(done))
	y := make([]float64, len(done))
	for i, t := range done {
		x[i] = make([]float64, len(params))
		for j, p := range params {
			u := p.ToUnit(t.Params[p.Name])
			if math.IsNaN(u) {
				return nil, fmt.Errorf("trial %d: parameter %s: value %s is not in the space", t.Number, p.Name, t.Params[p.Name])
			}
			x[i][j] = min(max(u, 0), 1)
		}
		y[i] = loss(t)
	}
	forest := growForest(x, y, forestOptions{trees: opt.Trees, maxDepth: 64, seed: opt.Seed})
	shares := make([][]float64, len(params)) // per parameter, per tree
	for _, tr := range forest {
		s, ok := tr.mainEffects(len(params))
		if !ok {
			continue // a constant tree explains nothing
		}
		for j := range params {
			shares[j] = append(shares[j], s[j])
		}
	}
	out := make([]Importance, len(params))
	total := 0.0
	for j, p := range params {
		m, sd := meanStd(shares[j])
		out[j] = Importance{Param: p.Name, Importance: m, Std: sd}
		total += m
	}
	if total > 0 {
		for j := range out {
			out[j].Importance /= total
			out[j].Std /= total
		}
	}
	slices.SortStableFunc(out, func(a, b Importance) int {
		switch {
		case a.Importance > b.Importance:
			return -1
		case a.Importance < b.Importance:
			return 1
		}
		return 0
	})
	return out, nil
}

// sample returns n of trials drawn uniformly without replacement with
// seed, in their order, or trials itself if n <= 0 or there are no more.
func sample(trials []*dltune.Trial, n int, seed uint64) []*dltune.Trial {
	if n <= 0 || len(trials) <= n {
		return trials
	}
	// A stream of its own, apart from the bootstrap samples' (seed, tree).
	rng := rand.New(rand.NewPCG(seed, math.MaxUint64))
	pick := make([]int, len(trials))
	for i := range pick {
		pick[i] = i
	}
	for i := range n { // a partial Fisher-Yates shuffle
		j := i + rng.IntN(len(pick)-i)
		pick[i], pick[j] = pick[j], pick[i]
	}
	pick = pick[:n]
	slices.Sort(pick)
	out := make([]*dltune.Trial, n)
	for i, k := range pick {
		out[i] = trials[k]
	}
	return out
}

func meanStd(v []float64) (mean, std float64) {
	if len(v) == 0 {
		return 0, 0
	}
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	for _, x := range v {
		std += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(std / float64(len(v)))
}

// A box is a leaf's region of the unit cube and its prediction.
type box struct {
	lo, hi []float64
	value  float64
}

// leaves returns the tree's leaves as boxes of [0, 1]^d.
func (t *tree) leaves(d int) []box {
	var out []box
	var walk func(n int32, lo, hi []float64)
	walk = func(n int32, lo, hi []float64) {
		nd := t.nodes[n]
		if nd.feature < 0 {
			out = append(out, box{slices.Clone(lo), slices.Clone(hi), nd.value})
			return
		}
		f := nd.feature
		h := hi[f]
		hi[f] = min(h, nd.threshold)
		walk(nd.left, lo, hi)
		hi[f] = h
		l := lo[f]
		lo[f] = max(l, nd.threshold)
		walk(nd.right, lo, hi)
		lo[f] = l
	}
	lo, hi := make([]float64, d), make([]float64, d)
	for i := range hi {
		hi[i] = 1
	}
	walk(0, lo, hi)
	return out
}

// mainEffects returns, for each of the d features, the variance of the
// tree's main effect in that feature over its total variance, both under
// the uniform distribution on [0, 1]^d. ok is false for a constant tree.
//
// The main effect of feature f at x is the mean prediction over the other
// features with f fixed at x: the sum over the leaves holding x in f of
// value × (volume / width in f). It is constant between the tree's split
// points in f, so its variance is a sum over those intervals.
func (t *tree) mainEffects(d int) ([]float64, bool) {
	leaves := t.leaves(d)
	vol := make([]float64, len(leaves))
	mean := 0.0
	for i, b := range leaves {
		v := 1.0
		for k := range d {
			v *= b.hi[k] - b.lo[k]
		}
		vol[i] = v
		mean += v * b.value
	}
	total := 0.0
	for i, b := range leaves {
		total += vol[i] * (b.value - mean) * (b.value - mean)
	}
	if total <= 0 {
		return nil, false
	}
	out := make([]float64, d)
	for f := range d {
		cuts := []float64{0, 1}
		for _, b := range leaves {
			cuts = append(cuts, b.lo[f], b.hi[f])
		}
		slices.Sort(cuts)
		cuts = slices.Compact(cuts)
		// effect[j] accumulates the main effect on [cuts[j], cuts[j+1]),
		// each leaf adding to its run of intervals through a difference
		// array.
		diff := make([]float64, len(cuts))
		for i, b := range leaves {
			w := b.hi[f] - b.lo[f]
			if w <= 0 {
				continue
			}
			a, _ := slices.BinarySearch(cuts, b.lo[f])
			z, _ := slices.BinarySearch(cuts, b.hi[f])
			c := b.value * vol[i] / w
			diff[a] += c
			diff[z] -= c
		}
		v, run := 0.0, 0.0
		for j := 0; j+1 < len(cuts); j++ {
			run += diff[j]
			w := cuts[j+1] - cuts[j]
			v += w * (run - mean) * (run - mean)
		}
		out[f] = v / total
	}
	return out, true
}

// plural formats n things: "1 trial", "2 trials". (cmd/dltune and plot
// keep the same few lines: no package of ours is the natural home of an
// exported string helper.)
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}
