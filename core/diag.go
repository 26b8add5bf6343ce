package core

import "math"

// LayerStats are the learning diagnostics of one dense layer for an epoch,
// in the spirit of Glorot and Bengio (2010): how large the weights are, how
// large and how spread the gradients reaching them are, and how many ReLU
// units have died.
//
// The gradient figures describe the weight gradient (not the bias) of the
// epoch's last full-size batch (the last batch when every batch is full or
// there is only one), as computed by backpropagation before clipping and
// weight decay. Computing them on one batch per epoch keeps them free for
// the other batches.
type LayerStats struct {
	// Name is the layer's name: dense1, dense2, ... from the input side.
	Name string
	// WeightNorm is the Frobenius norm of the weight matrix at the end of
	// the epoch.
	WeightNorm float64
	// GradRMS and GradMax are the root mean square and the largest
	// absolute value of the weight gradient.
	GradRMS, GradMax float64
	// DeadFraction is the fraction of the layer's ReLU units that were zero
	// for every sample of the batch; 0 for other activations and for the
	// output layer.
	DeadFraction float64
	// GradHist counts weight gradients by decade of |g|: bucket i holds
	// 10^(HistLow+i) <= |g| < 10^(HistLow+i+1), the first bucket also
	// everything smaller (zeros included), the last everything larger.
	GradHist []int
	HistLow  int
}

// The gradient histogram has one bucket per decade from 1e-9 (and below)
// to 1 (and above).
const (
	histLow     = -9
	histBuckets = 10
)

// gradHist adds the decade histogram of |g| to h and returns Σg² and the
// bits of the largest |g|. It makes one pass over the float32 bit patterns.
// A table maps the binary exponent to the decade of the octave's smallest
// value. A binary octave crosses at most one power of ten, so one
// comparison with the next power corrects the table's guess.
func gradHist(g []float32, h *[histBuckets]int) (sq float64, maxBits uint32) {
	for _, v := range g {
		b := math.Float32bits(v) & 0x7fffffff
		maxBits = max(maxBits, b)
		sq += float64(v) * float64(v)
		k := histOctave[b>>23]
		if k < histBuckets-1 && b >= histEdgeBits[k] {
			k++
		}
		h[k]++
	}
	return sq, maxBits
}

// histOctave[e] is the bucket of the smallest float32 with biased binary
// exponent e; histEdgeBits[k] is the bit pattern of 10^(histLow+k+1), the
// upper edge of bucket k. Both are computed once and only read.
var histOctave, histEdgeBits = func() (oct [256]uint8, edges [histBuckets - 1]uint32) {
	for k := range edges {
		edges[k] = math.Float32bits(float32(math.Pow(10, float64(histLow+k+1))))
	}
	for e := range oct {
		lo := math.Float32bits(math.Float32frombits(uint32(e) << 23)) // 2^(e-127), 0 for e = 0
		k := 0
		for k < len(edges) && lo >= edges[k] {
			k++
		}
		oct[e] = uint8(k)
	}
	return oct, edges
}()

// layerDiag holds the diagnostics of one dense layer while an epoch runs;
// it is preallocated so that the training step allocates nothing.
type layerDiag struct {
	gradRMS, gradMax, dead float64
	hist                   [histBuckets]int
}

// captureDiag records the gradient diagnostics of the current batch (after
// backward, before or after the update: the update reads the gradients
// but leaves them as they are).
func (t *Trainer) captureDiag() {
	m := t.model
	for i, d := range m.denses {
		ld := &t.diag[i]
		g := d.w.g
		ld.hist = [histBuckets]int{}
		sq, mx := gradHist(g, &ld.hist)
		ld.gradRMS = math.Sqrt(sq / float64(len(g)))
		ld.gradMax = float64(math.Float32frombits(mx))
		ld.dead = 0
		if u := m.units[i]; u != nil && m.actKind == actReLU {
			ld.dead = deadFraction(&u.t, t.alive)
		}
	}
	t.hasDiag = true
}

// deadFraction returns the fraction of y's columns that are zero in every
// row, using alive (at least y.Cols long) as scratch.
func deadFraction(y *Tensor, alive []bool) float64 {
	c := y.Cols
	alive = alive[:c]
	clear(alive)
	for r := 0; r < y.Rows*c; r += c {
		for j, v := range y.Data[r : r+c] {
			if v != 0 {
				alive[j] = true
			}
		}
	}
	dead := 0
	for _, a := range alive {
		if !a {
			dead++
		}
	}
	return float64(dead) / float64(c)
}

// layerStats returns the diagnostics of the epoch just finished.
func (t *Trainer) layerStats() []LayerStats {
	m := t.model
	out := make([]LayerStats, len(m.denses))
	for i, d := range m.denses {
		s := LayerStats{Name: d.name, WeightNorm: math.Sqrt(sumSquares(d.w.w)), HistLow: histLow}
		if t.hasDiag {
			ld := &t.diag[i]
			s.GradRMS, s.GradMax, s.DeadFraction = ld.gradRMS, ld.gradMax, ld.dead
			s.GradHist = append([]int(nil), ld.hist[:]...)
		}
		out[i] = s
	}
	return out
}
