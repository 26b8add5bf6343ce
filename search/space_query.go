package search

import (
	"fmt"
	"math"
	"strconv"

	"github.com/dltune/dltune"
)

// Param returns the parameter with the given name and true, or nil and
// false if the space has none. The pointer points into s.Params.
func (s *Space) Param(name string) (*Param, bool) {
	for i := range s.Params {
		if s.Params[i].Name == name {
			return &s.Params[i], true
		}
	}
	return nil, false
}

// Active reports whether the named parameter exists in a trial whose other
// parameters are p: an unconditional parameter always does, a conditional
// one when its condition's parameter is itself active and p holds one of
// the condition's values for it. Active is false for an unknown name.
func (s *Space) Active(p dltune.Params, name string) bool {
	// Conditions point to earlier parameters, so a valid space has chains
	// shorter than len(s.Params); the bound stops a cycle in an invalid one.
	for range len(s.Params) + 1 {
		q, ok := s.Param(name)
		if !ok {
			return false
		}
		if q.When == nil {
			return true
		}
		if !q.When.holds(p) {
			return false
		}
		name = q.When.Param
	}
	return false
}

// holds reports whether p gives c's parameter one of c's values.
func (c *Condition) holds(p dltune.Params) bool {
	v, ok := p[c.Param]
	if !ok {
		return false
	}
	for _, w := range c.Values {
		if v.Equal(w) {
			return true
		}
	}
	return false
}

// Contains returns nil if p is a point of the space: it holds exactly the
// parameters that are active given its values, each in its domain (a range
// takes a number within its bounds and on its step, an int range an
// integer; a choice one of its choices). Otherwise the error names the
// first offending parameter.
func (s *Space) Contains(p dltune.Params) error {
	for i := range s.Params {
		q := &s.Params[i]
		v, present := p[q.Name]
		active := s.Active(p, q.Name)
		switch {
		case active && !present:
			return fmt.Errorf("param %q: missing", q.Name)
		case !active && present:
			return fmt.Errorf("param %q: present but its condition on %q does not hold", q.Name, q.When.Param)
		case active:
			if err := q.contains(v); err != nil {
				return fmt.Errorf("param %q: %w", q.Name, err)
			}
		}
	}
	for _, n := range p.Names() {
		if _, ok := s.Param(n); !ok {
			return fmt.Errorf("param %q: not in the space", n)
		}
	}
	return nil
}

// value returns x as a value of p's type: an int for an int range, a float
// otherwise. A stepped value is snapped to 15 significant digits, so that
// 0.1+2*0.1 is 0.3 and a grid point equals the value sampled for it.
func (p *Param) value(x float64) dltune.Value {
	if p.Type == IntRange {
		return dltune.Int(int(math.Round(x)))
	}
	if p.Step > 0 {
		x = clean(x)
	}
	return dltune.Float(min(max(x, p.Low), p.High))
}

// clean rounds x to 15 significant digits.
func clean(x float64) float64 {
	var buf [32]byte
	y, err := strconv.ParseFloat(string(strconv.AppendFloat(buf[:0], x, 'g', 15, 64)), 64)
	if err != nil {
		return x
	}
	return y
}

// step returns the distance between neighbouring values of a range: Step,
// or 1 for an int range without one, or 0 for a continuous range.
func (p *Param) step() float64 {
	if p.Step == 0 && p.Type == IntRange {
		return 1
	}
	return p.Step
}

// stepValue returns the value of the k-th step of a stepped or int range.
func (p *Param) stepValue(k int) dltune.Value {
	return p.value(p.Low + float64(k)*p.step())
}

// steps returns the number of values of a stepped range or an int range;
// 0 for a continuous range.
func (p *Param) steps() int {
	step := p.step()
	if step == 0 {
		return 0
	}
	return int(math.Round((p.High-p.Low)/step)) + 1
}
