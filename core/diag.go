package core

import "math"

// LayerStats are the learning diagnostics of one dense or convolution
// layer for an epoch,
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
	// Name is the layer's name: conv1, ..., dense1, dense2, ... from the
	// input side (see ConvConfig for the names inside residual blocks).
	Name string
	// WeightNorm is the Frobenius norm of the weight matrix at the end of
	// the epoch.
	WeightNorm float64
	// GradRMS and GradMax are the root mean square and the largest
	// absolute value of the weight gradient.
	GradRMS, GradMax float64
	// DeadFraction is the fraction of the layer's ReLU units that were zero
	// for every sample of the batch (a convolution's units are its
	// channels, dead when zero at every pixel); 0 for other activations,
	// the output layer and projection shortcuts.
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
// comparison with it, done without a branch, corrects the table's guess.
// Four histograms and four sums, one for each of four neighbouring values,
// keep the increments and additions from waiting for each other. With one
// of each, and a branch, the pass took 2.4 to 2.8 times as long
// (benchmarks/README.md).
func gradHist(g []float32, h *[histBuckets]int) (sq float64, maxBits uint32) {
	var h0, h1, h2, h3 [histBuckets]int
	var s0, s1, s2, s3 float64
	var m0, m1, m2, m3 uint32
	i := 0
	for ; i+4 <= len(g); i += 4 {
		v := g[i : i+4 : i+4]
		b0, b1 := math.Float32bits(v[0])&0x7fffffff, math.Float32bits(v[1])&0x7fffffff
		b2, b3 := math.Float32bits(v[2])&0x7fffffff, math.Float32bits(v[3])&0x7fffffff
		m0, m1, m2, m3 = max(m0, b0), max(m1, b1), max(m2, b2), max(m3, b3)
		s0 += float64(v[0]) * float64(v[0])
		s1 += float64(v[1]) * float64(v[1])
		s2 += float64(v[2]) * float64(v[2])
		s3 += float64(v[3]) * float64(v[3])
		h0[histBucket(b0)]++
		h1[histBucket(b1)]++
		h2[histBucket(b2)]++
		h3[histBucket(b3)]++
	}
	for ; i < len(g); i++ {
		b := math.Float32bits(g[i]) & 0x7fffffff
		m0 = max(m0, b)
		s0 += float64(g[i]) * float64(g[i])
		h0[histBucket(b)]++
	}
	for k := range h {
		h[k] += (h0[k] + h1[k]) + (h2[k] + h3[k])
	}
	return (s0 + s1) + (s2 + s3), max(m0, m1, m2, m3)
}

// histBucket returns the bucket of the value whose |bits| are b.
func histBucket(b uint32) uint {
	o := histOctave[b>>23]
	// 1 if b < o.edge (the sign of the difference), else 0.
	below := uint((uint64(b) - uint64(o.edge)) >> 63)
	return uint(o.k) + 1 - below
}

// histOctave[e] describes the float32 values with biased binary exponent
// e: k is the bucket of the octave's smallest value, and edge the bit
// pattern of the power of ten in the octave that starts bucket k+1, or
// 1<<31 (above every |g|) when there is none or k is the last bucket. It
// is computed once and only read.
var histOctave = func() (oct [256]struct {
	edge uint32
	k    uint8
}) {
	var edges [histBuckets - 1]uint32 // edges[k]: 10^(histLow+k+1), the upper edge of bucket k
	for k := range edges {
		edges[k] = math.Float32bits(float32(math.Pow(10, float64(histLow+k+1))))
	}
	for e := range oct {
		lo := uint32(e) << 23 // the bits of 2^(e-127), 0 for e = 0
		hi := lo + 1<<23      // the next octave's
		k := 0
		for k < len(edges) && lo >= edges[k] {
			k++
		}
		oct[e].k, oct[e].edge = uint8(k), 1<<31
		if k < len(edges) && edges[k] < hi {
			oct[e].edge = edges[k]
		}
	}
	return oct
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
	for i, wl := range m.weighted {
		ld := &t.diag[i]
		g := wl.w.g
		ld.hist = [histBuckets]int{}
		sq, mx := gradHist(g, &ld.hist)
		ld.gradRMS = math.Sqrt(sq / float64(len(g)))
		ld.gradMax = float64(math.Float32frombits(mx))
		ld.dead = 0
		if u := wl.units; u != nil && m.actKind == actReLU {
			if wl.plane == 1 {
				ld.dead = deadFraction(&u.t, t.alive)
			} else {
				ld.dead = deadChannels(&u.t, wl.plane, t.alive)
			}
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
			alive[j] = alive[j] || v != 0 // no branch on v: ReLU outputs are 0 about half the time
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

// deadChannels returns the fraction of the channels of y, an NCHW batch
// with planes of plane values, that are zero at every pixel of every
// sample, using alive (at least one per channel) as scratch.
func deadChannels(y *Tensor, plane int, alive []bool) float64 {
	c := y.Cols / plane
	alive = alive[:c]
	clear(alive)
	for s := range y.Rows {
		for ch := range c {
			if alive[ch] {
				continue
			}
			o := s*y.Cols + ch*plane
			for _, v := range y.Data[o : o+plane] {
				if v != 0 {
					alive[ch] = true
					break
				}
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
	out := make([]LayerStats, len(m.weighted))
	for i, wl := range m.weighted {
		s := LayerStats{Name: wl.name, WeightNorm: math.Sqrt(sumSquares(wl.w.w)), HistLow: histLow}
		if t.hasDiag {
			ld := &t.diag[i]
			s.GradRMS, s.GradMax, s.DeadFraction = ld.gradRMS, ld.gradMax, ld.dead
			s.GradHist = append([]int(nil), ld.hist[:]...)
		}
		out[i] = s
	}
	return out
}
