package analysis

import (
	"math/rand/v2"
	"slices"
)

// A tree is a regression tree over points of the unit cube. Node 0 is the
// root; a leaf has feature -1.
type tree struct{ nodes []node }

type node struct {
	feature     int     // the feature a split tests, or -1 for a leaf
	threshold   float64 // points with x[feature] <= threshold go left
	left, right int32
	value       float64 // the mean target of the node's training points
}

// forestOptions are the random forest's knobs, as Optuna's fANOVA sets
// scikit-learn's: 64 trees, depth up to 64, leaves of one point, every
// feature tried at every split, each tree on a bootstrap sample.
type forestOptions struct {
	trees    int
	maxDepth int
	seed     uint64
}

// growForest fits opt.trees regression trees to the rows of x (each a
// point in [0, 1]^d) and targets y. It is deterministic for a given seed.
func growForest(x [][]float64, y []float64, opt forestOptions) []tree {
	forest := make([]tree, opt.trees)
	n := len(y)
	for t := range forest {
		rng := rand.New(rand.NewPCG(opt.seed, uint64(t)))
		idx := make([]int, n)
		for i := range idx {
			idx[i] = rng.IntN(n)
		}
		g := grower{x: x, y: y, maxDepth: opt.maxDepth}
		g.grow(idx, 0)
		forest[t] = tree{nodes: g.nodes}
	}
	return forest
}

type grower struct {
	x        [][]float64
	y        []float64
	maxDepth int
	nodes    []node
}

// grow adds the subtree fitted to the points idx and returns its root.
func (g *grower) grow(idx []int, depth int) int32 {
	mean := 0.0
	for _, i := range idx {
		mean += g.y[i]
	}
	mean /= float64(len(idx))
	me := int32(len(g.nodes))
	g.nodes = append(g.nodes, node{feature: -1, value: mean})
	if len(idx) < 2 || depth >= g.maxDepth {
		return me
	}
	f, thr, ok := g.bestSplit(idx)
	if !ok {
		return me
	}
	var left, right []int
	for _, i := range idx {
		if g.x[i][f] <= thr {
			left = append(left, i)
		} else {
			right = append(right, i)
		}
	}
	l := g.grow(left, depth+1)
	r := g.grow(right, depth+1)
	g.nodes[me] = node{feature: f, threshold: thr, left: l, right: r, value: mean}
	return me
}

// bestSplit returns the split of idx that most reduces the squared error,
// its threshold halfway between two neighbouring distinct values; ok is
// false when no split reduces it (all targets or all points equal).
func (g *grower) bestSplit(idx []int) (feature int, threshold float64, ok bool) {
	n := float64(len(idx))
	var sum, sumSq float64
	for _, i := range idx {
		sum += g.y[i]
		sumSq += g.y[i] * g.y[i]
	}
	parent := sumSq - sum*sum/n
	if parent <= 1e-12*max(1, sumSq) {
		return 0, 0, false
	}
	best := parent
	order := slices.Clone(idx)
	for f := range g.x[idx[0]] {
		slices.SortStableFunc(order, func(a, b int) int {
			switch xa, xb := g.x[a][f], g.x[b][f]; {
			case xa < xb:
				return -1
			case xa > xb:
				return 1
			}
			return 0
		})
		var ls, lsq float64
		for k := 0; k < len(order)-1; k++ {
			yi := g.y[order[k]]
			ls += yi
			lsq += yi * yi
			a, b := g.x[order[k]][f], g.x[order[k+1]][f]
			if a == b {
				continue
			}
			nl := float64(k + 1)
			rs, rsq := sum-ls, sumSq-lsq
			sse := lsq - ls*ls/nl + rsq - rs*rs/(n-nl)
			if sse < best-1e-12*max(1, sumSq) {
				best, feature, threshold, ok = sse, f, (a+b)/2, true
			}
		}
	}
	return feature, threshold, ok
}
