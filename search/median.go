package search

import (
	"math"
	"slices"
)

// MedianPruner is the median stopping rule (Golovin et al., "Google
// Vizier", KDD 2017; Optuna's MedianPruner): after epoch k, a trial whose
// best validation loss over its first k epochs is worse (greater) than the
// median of the other trials' validation losses at epoch k is stopped.
//
// It prunes nothing during the first warmupEpochs epochs of a trial, nor at
// an epoch that fewer than minTrials other trials have reached. The other
// trials are all trials of the history but t that trained at least k
// epochs, whatever their state (running, paused, finished, pruned or
// failed); a NaN loss counts as +Inf. The median of an even number of
// values is the mean of the middle two. It works with any strategy.
//
// A MedianPruner keeps a scratch buffer and is not safe for concurrent use.
type MedianPruner struct {
	warmup, minTrials int
	buf               []float64
}

var _ Pruner = (*MedianPruner)(nil)

// NewMedianPruner returns a median pruner that waits warmupEpochs epochs
// and for minTrials other trials at an epoch before it prunes. A negative
// warmupEpochs counts as 0 and a minTrials below 1 as 1.
func NewMedianPruner(warmupEpochs, minTrials int) *MedianPruner {
	return &MedianPruner{warmup: max(warmupEpochs, 0), minTrials: max(minTrials, 1)}
}

// Prune reports whether t, which has just finished epoch t.Epochs(),
// should stop now.
func (p *MedianPruner) Prune(h *History, t *Record) bool {
	k := len(t.Losses)
	if k == 0 || k <= p.warmup {
		return false
	}
	vals := p.buf[:0]
	for _, o := range h.Trials {
		if o.Number == t.Number || len(o.Losses) < k {
			continue
		}
		v := o.Losses[k-1]
		if math.IsNaN(v) {
			v = math.Inf(1)
		}
		vals = append(vals, v)
	}
	p.buf = vals
	if len(vals) < p.minTrials {
		return false
	}
	return t.LossAt(k) > pruneMedian(vals)
}

// pruneMedian returns the median of vals, which it sorts; vals must not be empty.
func pruneMedian(vals []float64) float64 {
	slices.Sort(vals)
	n := len(vals)
	if n%2 == 1 {
		return vals[n/2]
	}
	a, b := vals[n/2-1], vals[n/2]
	if a == b { // also +Inf == +Inf
		return a
	}
	return a + (b-a)/2
}
