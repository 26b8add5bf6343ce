package search

import (
	"errors"
	"fmt"
	"math"

	"github.com/dltune/dltune"
)

// A ParamError reports one invalid field of one parameter of a Space.
// Validate returns them (joined with errors.Join when there are several);
// find the first with errors.As.
type ParamError struct {
	// Param is the parameter's name; it may be empty if the name is what
	// is wrong.
	Param string
	// Index is the parameter's position in Space.Params.
	Index int
	// Field is the offending field, named as in study files: "name",
	// "type", "low", "high", "log", "step", "points", "choices" or "when".
	Field string
	// Msg says what is wrong.
	Msg string
}

// Error returns e as `param "lr": low: ...`.
func (e *ParamError) Error() string {
	if e.Param == "" {
		return fmt.Sprintf("param #%d: %s: %s", e.Index+1, e.Field, e.Msg)
	}
	return fmt.Sprintf("param %q: %s: %s", e.Param, e.Field, e.Msg)
}

// stepTolerance is the relative slack allowed when checking that a value
// or a range is a whole number of steps, to absorb decimal rounding
// (0.1 is not exactly representable).
const stepTolerance = 1e-9

// Validate reports every problem of the space: empty or duplicate names,
// unknown types, ranges with low > high or non-finite bounds, log ranges
// reaching zero or below, steps that are not positive or do not divide the
// range, integer ranges with non-integer bounds or steps, empty or
// duplicated choices, fields that do not apply to the parameter's type, and
// conditions naming an unknown or later parameter or a value outside that
// parameter's domain. Choices may mix strings, numbers and bools.
//
// Each problem is a *ParamError; several are joined with errors.Join.
// Validate returns nil for a valid space. The other methods of Space assume
// a valid space.
func (s *Space) Validate() error {
	var errs []error
	seen := make(map[string]int, len(s.Params))
	for i := range s.Params {
		p := &s.Params[i]
		bad := func(field, format string, args ...any) {
			errs = append(errs, &ParamError{Param: p.Name, Index: i, Field: field, Msg: fmt.Sprintf(format, args...)})
		}
		if p.Name == "" {
			bad("name", "empty name")
		} else if j, dup := seen[p.Name]; dup {
			bad("name", "duplicate name (also param #%d)", j+1)
		} else {
			seen[p.Name] = i
		}
		switch p.Type {
		case FloatRange, IntRange:
			p.validateRange(bad)
		case Choice:
			p.validateChoice(bad)
		default:
			bad("type", "unknown parameter type %d", p.Type)
		}
		if p.When != nil {
			s.validateCondition(i, seen, bad)
		}
	}
	return errors.Join(errs...)
}

func (p *Param) validateRange(bad func(field, format string, args ...any)) {
	finite := func(field string, x float64) bool {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			bad(field, "%v is not a finite number", x)
			return false
		}
		return true
	}
	lowOK, highOK := finite("low", p.Low), finite("high", p.High)
	if p.Type == IntRange {
		if lowOK && p.Low != math.Trunc(p.Low) {
			bad("low", "%v is not an integer", p.Low)
		}
		if highOK && p.High != math.Trunc(p.High) {
			bad("high", "%v is not an integer", p.High)
		}
	}
	if !lowOK || !highOK {
		return
	}
	if p.Low > p.High {
		bad("low", "low %v is greater than high %v", p.Low, p.High)
		return
	}
	if p.Log && p.Low <= 0 {
		bad("low", "a log range must be positive, got low %v", p.Low)
	}
	switch {
	case math.IsNaN(p.Step) || math.IsInf(p.Step, 0):
		bad("step", "%v is not a finite number", p.Step)
	case p.Step < 0:
		bad("step", "step %v is not positive", p.Step)
	case p.Step > 0:
		if p.Log {
			bad("step", "step %v cannot be combined with log", p.Step)
		}
		if p.Type == IntRange && p.Step != math.Trunc(p.Step) {
			bad("step", "step %v of an int range is not an integer", p.Step)
		} else if n := (p.High - p.Low) / p.Step; math.Abs(n-math.Round(n)) > stepTolerance*math.Max(1, n) {
			bad("step", "step %v does not divide the range [%v, %v]", p.Step, p.Low, p.High)
		}
		if p.Points != 0 {
			bad("points", "points cannot be combined with step")
		}
	}
	if p.Points < 0 || p.Points == 1 {
		bad("points", "points must be at least 2, got %d", p.Points)
	}
	if len(p.Choices) > 0 {
		bad("choices", "a range has no choices")
	}
}

func (p *Param) validateChoice(bad func(field, format string, args ...any)) {
	if len(p.Choices) == 0 {
		bad("choices", "no choices")
	}
	for i, v := range p.Choices {
		switch v.Kind {
		case dltune.KindFloat, dltune.KindInt:
			if math.IsNaN(v.Num) || math.IsInf(v.Num, 0) {
				bad("choices", "choice %d: %v is not a finite number", i+1, v.Num)
			}
		case dltune.KindString, dltune.KindBool:
		default:
			bad("choices", "choice %d: invalid value", i+1)
			continue
		}
		for j := range i {
			if p.Choices[j].Equal(v) {
				bad("choices", "choice %d: %v repeats choice %d", i+1, v, j+1)
				break
			}
		}
	}
	if p.Low != 0 || p.High != 0 {
		bad("low", "a choice has no range")
	}
	if p.Log {
		bad("log", "a choice cannot be log-scaled")
	}
	if p.Step != 0 {
		bad("step", "a choice has no step")
	}
	if p.Points != 0 {
		bad("points", "a choice has no points")
	}
}

// validateCondition checks the condition of param i; seen holds the names
// of params 0..i.
func (s *Space) validateCondition(i int, seen map[string]int, bad func(field, format string, args ...any)) {
	c := s.Params[i].When
	j, ok := seen[c.Param]
	switch {
	case c.Param == "":
		bad("when", "condition names no parameter")
		return
	case c.Param == s.Params[i].Name:
		bad("when", "condition on the parameter itself")
		return
	case !ok || j >= i:
		if _, later := s.Param(c.Param); later {
			bad("when", "condition on %q, which must come earlier in the space", c.Param)
		} else {
			bad("when", "condition on unknown parameter %q", c.Param)
		}
		return
	}
	if len(c.Values) == 0 {
		bad("when", "condition on %q lists no values", c.Param)
	}
	parent := &s.Params[j]
	for _, v := range c.Values {
		if err := parent.contains(v); err != nil {
			bad("when", "condition value %v: not in the domain of %q: %v", v, c.Param, err)
		}
	}
}

// contains reports why v is not in p's domain, or nil if it is.
func (p *Param) contains(v dltune.Value) error {
	switch p.Type {
	case Choice:
		for _, c := range p.Choices {
			if c.Equal(v) {
				return nil
			}
		}
		return fmt.Errorf("%v is not one of the choices %v", v, p.Choices)
	case FloatRange, IntRange:
		if !v.IsNumber() {
			return fmt.Errorf("%v is not a number", v)
		}
		x := v.Num
		if math.IsNaN(x) || x < p.Low || x > p.High {
			return fmt.Errorf("%v is outside [%v, %v]", x, p.Low, p.High)
		}
		if p.Type == IntRange && x != math.Trunc(x) {
			return fmt.Errorf("%v is not an integer", x)
		}
		if p.Step > 0 {
			k := (x - p.Low) / p.Step
			if math.Abs(k-math.Round(k)) > stepTolerance*math.Max(1, k) {
				return fmt.Errorf("%v is not on a step of %v from %v", x, p.Step, p.Low)
			}
		}
		return nil
	}
	return fmt.Errorf("unknown parameter type %d", p.Type)
}
