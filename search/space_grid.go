package search

import (
	"fmt"
	"math"

	"github.com/dltune/dltune"
)

// MaxGrid is the largest grid Space.Grid enumerates.
const MaxGrid = 1 << 20

// Grid returns every point of the space's grid in a deterministic order:
// the first parameter varies slowest. A stepped range (or an int range with
// a Step) contributes all its steps; any other range Points values evenly
// spaced from Low to High (log-spaced if Log), or defaultPoints if Points is
// 0, an int range's values rounded and deduplicated; a choice contributes
// all its choices. A conditional parameter is expanded only in the points
// where it is active and is absent from the others.
//
// Grid returns an error if the space is invalid, defaultPoints is below 2
// while some range needs it, or the grid has more than MaxGrid points.
func (s *Space) Grid(defaultPoints int) ([]dltune.Params, error) {
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("grid: %w", err)
	}
	axes := make([][]dltune.Value, len(s.Params))
	for i := range s.Params {
		p := &s.Params[i]
		vals, err := p.gridValues(defaultPoints)
		if err != nil {
			return nil, fmt.Errorf("grid: param %q: %w", p.Name, err)
		}
		axes[i] = vals
	}
	bound := 1.0 // ignoring conditions, which only shrink the grid
	for _, a := range axes {
		bound *= float64(len(a))
	}
	n := 0
	if bound > MaxGrid {
		// Count first (conditions may shrink it enough) before cloning.
		if !s.expand(axes, func(dltune.Params) bool { n++; return n <= MaxGrid }) {
			return nil, fmt.Errorf("grid: more than %d points", MaxGrid)
		}
	}
	out := make([]dltune.Params, 0, n)
	s.expand(axes, func(p dltune.Params) bool {
		out = append(out, p.Clone())
		return true
	})
	return out, nil
}

// expand calls yield with every grid point built from the axes, in order,
// until yield returns false; it reports whether it visited them all. The
// Params passed to yield is reused between calls.
func (s *Space) expand(axes [][]dltune.Value, yield func(dltune.Params) bool) bool {
	cur := make(dltune.Params, len(s.Params))
	var rec func(i int) bool
	rec = func(i int) bool {
		if i == len(s.Params) {
			return yield(cur)
		}
		p := &s.Params[i]
		if p.When != nil && !s.Active(cur, p.Name) {
			return rec(i + 1)
		}
		for _, v := range axes[i] {
			cur[p.Name] = v
			if !rec(i + 1) {
				return false
			}
		}
		delete(cur, p.Name)
		return true
	}
	return rec(0)
}

// gridValues returns the values p takes on a grid.
func (p *Param) gridValues(defaultPoints int) ([]dltune.Value, error) {
	if p.Type == Choice {
		return p.Choices, nil
	}
	if p.Low == p.High {
		return []dltune.Value{p.value(p.Low)}, nil
	}
	if p.Step > 0 {
		n := p.steps()
		if n > MaxGrid {
			return nil, fmt.Errorf("%d steps is more than %d grid points", n, MaxGrid)
		}
		vals := make([]dltune.Value, n)
		for k := range vals {
			vals[k] = p.stepValue(k)
		}
		return vals, nil
	}
	n := p.Points
	if n == 0 {
		n = defaultPoints
	}
	if n < 2 {
		return nil, fmt.Errorf("%d grid points: need at least 2", n)
	}
	if n > MaxGrid {
		return nil, fmt.Errorf("%d points is more than %d grid points", n, MaxGrid)
	}
	lo, hi := p.Low, p.High
	if p.Log { // log10 keeps decades exact: 1e-5, 1e-4, ...
		lo, hi = math.Log10(lo), math.Log10(hi)
	}
	vals := make([]dltune.Value, 0, n)
	for k := range n {
		var x float64
		switch k {
		case 0:
			x = p.Low
		case n - 1:
			x = p.High
		default:
			x = lo + float64(k)*(hi-lo)/float64(n-1)
			if p.Log {
				x = math.Pow(10, x)
			}
			x = clean(x)
		}
		v := p.value(x)
		if len(vals) > 0 && vals[len(vals)-1].Equal(v) {
			continue // int ranges: neighbouring points round alike
		}
		vals = append(vals, v)
	}
	return vals, nil
}
