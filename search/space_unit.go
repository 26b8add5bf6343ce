package search

import (
	"math"

	"github.com/dltune/dltune"
)

// ToUnit maps a value of p to [0, 1], the normalized encoding that
// model-based samplers work in. A range maps linearly, in log space if Log;
// an int or stepped range first widens by half a step at each end (half a
// unit around each end in log space for a log int range), so that every
// value owns an interval of equal width (in log space, equal ratio) and its
// image is that interval's centre. A choice with n choices maps choice i to
// (i+0.5)/n; model-based samplers usually prefer a one-hot encoding of
// choices instead. A range whose Low equals High maps to 0.5.
//
// A number outside a range maps outside [0, 1]; a value that is not one of
// a choice's choices (or is not a number for a range) maps to NaN.
func (p *Param) ToUnit(v dltune.Value) float64 {
	if p.Type == Choice {
		for i, c := range p.Choices {
			if c.Equal(v) {
				return (float64(i) + 0.5) / float64(len(p.Choices))
			}
		}
		return math.NaN()
	}
	if !v.IsNumber() {
		return math.NaN()
	}
	lo, hi := p.bounds()
	if lo == hi {
		return 0.5
	}
	return (p.transform(v.Num) - lo) / (hi - lo)
}

// FromUnit maps u in [0, 1] back to a value of p, the inverse of ToUnit:
// an int or stepped range rounds to the nearest step, a choice takes the
// choice whose interval holds u. u is clamped to [0, 1] first, and the
// result is always in p's domain.
func (p *Param) FromUnit(u float64) dltune.Value {
	if math.IsNaN(u) {
		u = 0.5
	}
	u = min(max(u, 0), 1)
	if p.Type == Choice {
		n := len(p.Choices)
		return p.Choices[min(int(u*float64(n)), n-1)]
	}
	lo, hi := p.bounds()
	return p.untransform(lo + u*(hi-lo))
}

// bounds returns the interval p's values occupy in the space where a model
// works: [Low, High], in log space if Log, widened by half a step at each
// end for an int or stepped range.
func (p *Param) bounds() (lo, hi float64) {
	step := p.step()
	switch {
	case p.Low == p.High:
		lo, hi = p.transform(p.Low), p.transform(p.High)
	case p.Log && step > 0: // a log int range
		lo, hi = math.Log(p.Low-step/2), math.Log(p.High+step/2)
	case p.Log:
		lo, hi = math.Log(p.Low), math.Log(p.High)
	default:
		lo, hi = p.Low-step/2, p.High+step/2
	}
	return lo, hi
}

// transform maps a number to the space bounds works in.
func (p *Param) transform(x float64) float64 {
	if p.Log {
		return math.Log(x)
	}
	return x
}

// untransform maps t from the space bounds works in to the nearest value
// of p's domain.
func (p *Param) untransform(t float64) dltune.Value {
	x := t
	if p.Log {
		x = math.Exp(t)
	}
	if step := p.step(); step > 0 {
		k := math.Round((x - p.Low) / step)
		k = min(max(k, 0), float64(p.steps()-1))
		return p.stepValue(int(k))
	}
	return p.value(x)
}
