package search

import (
	"math"
	"slices"
)

// gpTailKnee is where gpTargets starts to compress the upper tail, in robust
// standard deviations above the median.
const gpTailKnee = 2

// gpTargets turns losses into the regression targets of the GP, written to
// y (len(losses)):
//
//  1. A failed trial (a loss that is +Inf, NaN or otherwise not finite)
//     takes the worst finite loss: it counts as bad, never as absent, so
//     the model learns to avoid the region where it failed.
//  2. The losses are centred on their median and scaled by a robust spread
//     (the interquartile range over 1.349, or the standard deviation when
//     more than half the losses tie).
//  3. Values more than gpTailKnee spreads above the median are compressed
//     logarithmically: z -> knee + log(1 + z - knee). Order is kept, the
//     good end (low losses, where the minimum is) keeps its scale, and a
//     few diverged runs (loss 1e6 among losses near 1) or a heavy-tailed
//     function such as Styblinski-Tang cannot flatten the rest of the data
//     to a constant after standardization.
//  4. The result is standardized to mean 0 and variance 1.
//
// If fewer than two distinct finite losses exist, every target is 0.
func gpTargets(losses, y []float64) {
	worst := math.Inf(-1)
	for _, l := range losses {
		if gpIsFinite(l) && l > worst {
			worst = l
		}
	}
	if math.IsInf(worst, -1) {
		clear(y)
		return
	}
	for i, l := range losses {
		if !gpIsFinite(l) {
			l = worst
		}
		y[i] = l
	}
	sorted := slices.Clone(y)
	slices.Sort(sorted)
	med := gpQuantile(sorted, 0.5)
	spread := (gpQuantile(sorted, 0.75) - gpQuantile(sorted, 0.25)) / 1.349
	if !(spread > 0) {
		_, spread = gpMeanStd(y)
	}
	if !(spread > 0) {
		clear(y)
		return
	}
	for i := range y {
		z := (y[i] - med) / spread
		if z > gpTailKnee {
			z = gpTailKnee + math.Log1p(z-gpTailKnee)
		}
		y[i] = z
	}
	mean, std := gpMeanStd(y)
	if !(std > 0) {
		clear(y)
		return
	}
	for i := range y {
		y[i] = (y[i] - mean) / std
	}
}

func gpIsFinite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// gpQuantile returns the q-quantile of sorted values, interpolating linearly.
func gpQuantile(sorted []float64, q float64) float64 {
	pos := q * float64(len(sorted)-1)
	i := int(pos)
	if i+1 >= len(sorted) {
		return sorted[len(sorted)-1]
	}
	f := pos - float64(i)
	return sorted[i]*(1-f) + sorted[i+1]*f
}

// gpMeanStd returns the mean and the (population) standard deviation of x.
func gpMeanStd(x []float64) (mean, std float64) {
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	for _, v := range x {
		std += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(std / float64(len(x)))
}
