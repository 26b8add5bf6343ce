package core

import (
	"math"
	"math/rand/v2"
)

// dropout is inverted dropout (Srivastava et al. 2014): while training each
// element is zeroed with probability p and the survivors are scaled by
// 1/(1-p), so that evaluation is the identity. The mask comes from rng,
// which the trainer seeds for every batch.
type dropout struct {
	name  string
	cols  int
	p     float64
	scale float32
	// threshold: an element is dropped when a uniform 32-bit draw is below
	// it, so p is resolved to 2⁻³².
	threshold uint32
	rng       *rand.PCG

	mask rowBuffer // scale or 0 per element of the last training batch
	y    rowBuffer
	pass bool // the last forward call was the identity
}

func newDropout(name string, cols, maxRows int, p float64, rng *rand.PCG) *dropout {
	return &dropout{
		name: name, cols: cols, p: p, rng: rng,
		scale:     float32(1 / (1 - p)),
		threshold: uint32(p * (1 << 32)),
		mask:      newRowBuffer(maxRows, cols),
		y:         newRowBuffer(maxRows, cols),
	}
}

func (d *dropout) params() []*param { return nil }

func (d *dropout) forward(x *Tensor, train bool) *Tensor {
	checkCols(d.name, x, d.cols)
	d.pass = !train || d.p == 0
	if d.pass {
		return x
	}
	n := x.Rows
	mask := d.mask.view(n).Data
	// Two 32-bit draws per 64-bit random number.
	i := 0
	for ; i+1 < len(mask); i += 2 {
		u := d.rng.Uint64()
		mask[i] = d.keep(uint32(u))
		mask[i+1] = d.keep(uint32(u >> 32))
	}
	if i < len(mask) {
		mask[i] = d.keep(uint32(d.rng.Uint64()))
	}
	return d.apply(x)
}

// keep returns the mask value for the draw u: 0 if u < threshold, else
// the scale, without a branch (the outcome is random, so a branch would
// be mispredicted often).
func (d *dropout) keep(u uint32) float32 {
	drop := uint32((uint64(u) - uint64(d.threshold)) >> 63) // 1 if u < threshold
	return math.Float32frombits(math.Float32bits(d.scale) &^ -drop)
}

// apply returns x times the current mask.
func (d *dropout) apply(x *Tensor) *Tensor {
	y := d.y.view(x.Rows)
	mask := d.mask.view(x.Rows).Data
	yd, xd := y.Data[:len(mask)], x.Data[:len(mask)]
	for i, m := range mask {
		yd[i] = xd[i] * m
	}
	return y
}

func (d *dropout) backward(dy *Tensor, needInput bool) *Tensor {
	if !needInput {
		return nil
	}
	if d.pass {
		return dy
	}
	mask := d.mask.view(dy.Rows).Data
	dd := dy.Data[:len(mask)]
	for i, m := range mask {
		dd[i] *= m
	}
	return dy
}
