package search

import (
	"math"
	"math/rand/v2"

	"github.com/dltune/dltune"
)

// The GP works on the unit cube. gpEncoder maps Params to points of
// [0,1]^dim and back:
//
//   - a range takes one coordinate, linear in the value, or in its logarithm
//     for a Log range;
//   - an int or step range covers half a step beyond each end so that every
//     level owns an equal share of [0,1] (in its scale), and decoding rounds
//     to the nearest level;
//   - a Choice is one-hot: one coordinate per choice, decoded by argmax;
//   - an inactive conditional parameter is encoded at a fixed point: 0.5 for
//     a range (the middle of its interval, so at most half the width away
//     from any active value) and all zeros for a Choice (equally far from
//     every choice). Every trial without the parameter then looks alike in
//     those coordinates, and the parent's coordinates tell them apart from
//     trials that have it.
type gpEncoder struct {
	params []gpParam
	dim    int
}

// Level states of a parameter after snapping (see gpEncoder.snap). A
// non-negative state is the index of a choice or of a discrete level.
const (
	gpContinuous = -1 // an active continuous range
	gpInactive   = -2 // the parameter's condition does not hold
	gpUnknown    = -3 // an encoded value that matches no choice
)

// gpParam is the encoding of one parameter.
type gpParam struct {
	p      *Param
	off    int     // first coordinate
	width  int     // 1 for a range, len(Choices) for a Choice
	lo, hi float64 // interval of a range in its (log) scale
	base   float64 // first level of a discrete range
	step   float64 // distance between levels of a discrete range
	levels int     // number of levels of an int or step range; 0 otherwise
	parent int     // index of the condition's parameter, or -1
	// when[k] reports whether this parameter is active when its parent is
	// at level or choice k; nil if the parent is a continuous range.
	when []bool
}

// newGPEncoder builds the encoding of s, which must be valid (see
// Space.Validate) and not empty.
func newGPEncoder(s *Space) *gpEncoder {
	e := &gpEncoder{params: make([]gpParam, len(s.Params))}
	index := make(map[string]int, len(s.Params))
	for i := range s.Params {
		p := &s.Params[i]
		gp := gpParam{p: p, off: e.dim, width: 1, parent: -1}
		if p.Type == Choice {
			gp.width = len(p.Choices)
		} else {
			gp.initRange()
		}
		if p.When != nil {
			j := index[p.When.Param]
			gp.parent = j
			gp.when = e.params[j].activeLevels(p.When.Values)
		}
		index[p.Name] = i
		e.params[i] = gp
		e.dim += gp.width
	}
	return e
}

// initRange sets the interval and levels of a FloatRange or IntRange, the
// same as Param.ToUnit's: an int or step range widens by half a step at
// each end.
func (gp *gpParam) initRange() {
	p := gp.p
	if p.Type == IntRange || p.Step > 0 {
		gp.step = p.Step
		if gp.step == 0 {
			gp.step = 1
		}
		gp.base = p.Low
		gp.levels = int(math.Round((p.High-p.Low)/gp.step)) + 1
		half := gp.step / 2
		if p.Low == p.High {
			half = 0
		}
		gp.lo, gp.hi = gp.scale(p.Low-half), gp.scale(p.High+half)
		return
	}
	gp.lo, gp.hi = gp.scale(p.Low), gp.scale(p.High)
}

// scale maps a range value to the scale it is encoded in.
func (gp *gpParam) scale(x float64) float64 {
	if gp.p.Log {
		return math.Log(x)
	}
	return x
}

// discrete reports whether the parameter takes finitely many values.
func (gp *gpParam) discrete() bool { return gp.p.Type == Choice || gp.levels > 0 }

// nlevels returns the number of values of a discrete parameter.
func (gp *gpParam) nlevels() int {
	if gp.p.Type == Choice {
		return len(gp.p.Choices)
	}
	return gp.levels
}

// activeLevels returns, for a discrete parameter, which of its values are
// among vals; nil for a continuous range.
func (gp *gpParam) activeLevels(vals []dltune.Value) []bool {
	if !gp.discrete() {
		return nil
	}
	n := gp.nlevels()
	when := make([]bool, n)
	if gp.p.Type == Choice {
		for k, c := range gp.p.Choices {
			when[k] = gpContainsValue(vals, c)
		}
		return when
	}
	for _, v := range vals {
		if !v.IsNumber() {
			continue
		}
		k := math.Round((v.Num - gp.base) / gp.step)
		if k >= 0 && k < float64(n) && gp.levelValue(int(k)).Equal(v) {
			when[int(k)] = true
		}
	}
	return when
}

// gpContainsValue reports whether v is among vals.
func gpContainsValue(vals []dltune.Value, v dltune.Value) bool {
	for _, w := range vals {
		if w.Equal(v) {
			return true
		}
	}
	return false
}

// levelValue returns the value of level k of a discrete range.
func (gp *gpParam) levelValue(k int) dltune.Value {
	return gp.p.FromUnit(gp.levelUnit(k))
}

// unit maps a value in the parameter's scale to [0,1].
func (gp *gpParam) unit(t float64) float64 {
	if gp.hi == gp.lo {
		return 0.5
	}
	return gpClamp01((t - gp.lo) / (gp.hi - gp.lo))
}

// level returns the discrete level nearest to coordinate u.
func (gp *gpParam) level(u float64) int {
	x := gp.value(u)
	k := math.Round((x - gp.base) / gp.step)
	return int(math.Max(0, math.Min(k, float64(gp.levels-1))))
}

// value maps coordinate u of a range back to a number in [Low, High].
func (gp *gpParam) value(u float64) float64 {
	t := gp.lo + gpClamp01(u)*(gp.hi-gp.lo)
	if gp.p.Log {
		t = math.Exp(t)
	}
	return t
}

// levelUnit returns the coordinate of level k of a discrete range.
func (gp *gpParam) levelUnit(k int) float64 {
	return gp.unit(gp.scale(gp.base + float64(k)*gp.step))
}

func gpClamp01(u float64) float64 {
	switch {
	case u > 1:
		return 1
	case u >= 0:
		return u
	}
	return 0 // u < 0 or NaN
}

// active reports whether parameter i is active, given the states of the
// parameters before it and the coordinates u.
func (e *gpEncoder) active(i int, u []float64, state []int) bool {
	gp := &e.params[i]
	if gp.parent < 0 {
		return true
	}
	ps := state[gp.parent]
	switch {
	case ps == gpInactive || ps == gpUnknown:
		return false
	case gp.when != nil:
		return gp.when[ps]
	}
	// Condition on a continuous range: compare the decoded number.
	parent := &e.params[gp.parent]
	return gpContainsValue(gp.p.When.Values, parent.decode(u, ps))
}

// setInactive writes the fixed encoding of an inactive parameter.
func (gp *gpParam) setInactive(u []float64) {
	if gp.p.Type == Choice {
		clear(u[gp.off : gp.off+gp.width])
		return
	}
	u[gp.off] = 0.5
}

// setLevel writes level or choice k of a discrete parameter.
func (gp *gpParam) setLevel(u []float64, k int) {
	if gp.p.Type == Choice {
		c := u[gp.off : gp.off+gp.width]
		clear(c)
		c[k] = 1
		return
	}
	u[gp.off] = gp.levelUnit(k)
}

// snap moves u, in place, to the encoding of the Params it decodes to:
// choices become one-hot, discrete ranges move to their nearest level,
// continuous ranges are clamped to [0,1] and inactive parameters take their
// fixed encoding. state receives each parameter's level state. Snapping is
// idempotent.
func (e *gpEncoder) snap(u []float64, state []int) {
	for i := range e.params {
		gp := &e.params[i]
		if !e.active(i, u, state) {
			gp.setInactive(u)
			state[i] = gpInactive
			continue
		}
		switch {
		case gp.p.Type == Choice:
			c := u[gp.off : gp.off+gp.width]
			k := 0
			for j := 1; j < len(c); j++ {
				if c[j] > c[k] {
					k = j
				}
			}
			gp.setLevel(u, k)
			state[i] = k
		case gp.levels > 0:
			k := gp.level(u[gp.off])
			gp.setLevel(u, k)
			state[i] = k
		default:
			u[gp.off] = gpClamp01(u[gp.off])
			state[i] = gpContinuous
		}
	}
}

// decode returns the value of an active parameter at state s and
// coordinates u.
func (gp *gpParam) decode(u []float64, s int) dltune.Value {
	switch {
	case gp.p.Type == Choice:
		return gp.p.Choices[s]
	case gp.levels > 0:
		return gp.levelValue(s)
	}
	return gp.p.FromUnit(u[gp.off])
}

// decode snaps u in place and returns the Params it encodes.
func (e *gpEncoder) decode(u []float64) dltune.Params {
	state := make([]int, len(e.params))
	e.snap(u, state)
	p := make(dltune.Params, len(e.params))
	for i := range e.params {
		if state[i] == gpInactive {
			continue
		}
		gp := &e.params[i]
		p[gp.p.Name] = gp.decode(u, state[i])
	}
	return p
}

// encode writes the encoding of p to u (len e.dim). It never fails: a
// missing active value encodes as the middle of its range (or no choice),
// numbers are clamped to their range, an unknown choice encodes as no
// choice, and a parameter whose condition fails is encoded as inactive
// whether or not p holds it.
func (e *gpEncoder) encode(p dltune.Params, u []float64, state []int) {
	for i := range e.params {
		gp := &e.params[i]
		if !e.active(i, u, state) {
			gp.setInactive(u)
			state[i] = gpInactive
			continue
		}
		v, ok := p[gp.p.Name]
		switch {
		case gp.p.Type == Choice:
			k := -1
			if ok {
				for j, c := range gp.p.Choices {
					if c.Equal(v) {
						k = j
						break
					}
				}
			}
			if k < 0 {
				gp.setInactive(u)
				state[i] = gpUnknown
				continue
			}
			gp.setLevel(u, k)
			state[i] = k
		case !ok || !v.IsNumber() || math.IsNaN(v.Num):
			u[gp.off] = 0.5
			state[i] = gpContinuous
			if gp.levels > 0 {
				state[i] = gp.level(0.5)
				gp.setLevel(u, state[i])
			}
		case gp.levels > 0:
			k := math.Round((v.Num - gp.base) / gp.step)
			state[i] = int(math.Max(0, math.Min(k, float64(gp.levels-1))))
			gp.setLevel(u, state[i])
		default:
			x := v.Num
			if gp.p.Log && x <= 0 {
				x = gp.p.Low
			}
			u[gp.off] = gp.unit(gp.scale(x))
			state[i] = gpContinuous
		}
	}
}

// random writes a uniformly random point to u and snaps it: ranges are
// uniform in their (log) scale, choices uniform among the choices.
func (e *gpEncoder) random(r *rand.Rand, u []float64, state []int) {
	for i := range e.params {
		gp := &e.params[i]
		if gp.p.Type == Choice {
			gp.setLevel(u, r.IntN(gp.width))
			continue
		}
		u[gp.off] = r.Float64()
	}
	e.snap(u, state)
}
