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
	axes, n, err := s.gridAxes(defaultPoints)
	if err != nil {
		return nil, err
	}
	out := make([]dltune.Params, 0, n)
	s.expand(axes, func(p dltune.Params) bool {
		out = append(out, p.Clone())
		return true
	})
	return out, nil
}

// GridSize returns the number of points Grid would return, or Grid's
// error, without building the points. Its cost grows with the values of
// each parameter, not with their product.
func (s *Space) GridSize(defaultPoints int) (int, error) {
	_, n, err := s.gridAxes(defaultPoints)
	return n, err
}

// gridAxes returns the values of each parameter on the grid and the
// number of grid points, or an error if there are more than MaxGrid.
func (s *Space) gridAxes(defaultPoints int) ([][]dltune.Value, int, error) {
	if err := s.Validate(); err != nil {
		return nil, 0, fmt.Errorf("grid: %w", err)
	}
	axes := make([][]dltune.Value, len(s.Params))
	for i := range s.Params {
		p := &s.Params[i]
		vals, err := p.gridValues(defaultPoints)
		if err != nil {
			return nil, 0, fmt.Errorf("grid: param %q: %w", p.Name, err)
		}
		axes[i] = vals
	}
	n := s.gridCount(axes)
	if n > MaxGrid {
		return nil, 0, fmt.Errorf("grid: more than %d points", MaxGrid)
	}
	return axes, int(n), nil
}

// gridCount returns the number of points expand visits, without visiting
// them. A parameter with its dependents counts, summed over its values,
// the product of the counts of the dependents that value activates; the
// grid is the product of the counts of the unconditional parameters.
// Conditions name earlier parameters, so one backward pass does it.
func (s *Space) gridCount(axes [][]dltune.Value) float64 {
	type key struct {
		kind dltune.Kind
		num  float64
		str  string
	}
	keyOf := func(v dltune.Value) key {
		if v.IsNumber() {
			return key{kind: dltune.KindFloat, num: v.Num}
		}
		return key{v.Kind, v.Num, v.Str}
	}
	index := make(map[string]int, len(s.Params))
	children := make([][]int, len(s.Params))
	when := make([]map[key]bool, len(s.Params))
	for i := range s.Params {
		p := &s.Params[i]
		index[p.Name] = i
		if p.When == nil {
			continue
		}
		j := index[p.When.Param] // earlier, in a valid space
		children[j] = append(children[j], i)
		when[i] = make(map[key]bool, len(p.When.Values))
		for _, v := range p.When.Values {
			when[i][keyOf(v)] = true
		}
	}
	count := make([]float64, len(s.Params))
	total := 1.0
	for i := len(s.Params) - 1; i >= 0; i-- {
		for _, v := range axes[i] {
			prod := 1.0
			for _, c := range children[i] {
				if when[c][keyOf(v)] {
					prod *= count[c]
				}
			}
			count[i] += prod
		}
		if s.Params[i].When == nil {
			total *= count[i]
		}
	}
	return total
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
