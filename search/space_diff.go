package search

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/dltune/dltune"
)

// Diff returns the differences between s and t in human-readable form,
// one per line item, in the order of s's parameters and then t's new ones:
//
//	param width added
//	param dropout removed
//	lr: range [0.0001, 0.1] became [0.001, 0.1]
//	opt: choices ["sgd", "adam"] became ["sgd", "adam", "rmsprop"]
//
// Types, ranges, Log, Step, Points, choices, conditions and the order of
// the parameters both spaces have are compared (order matters: it decides
// how random draws map to parameters). Diff returns nil if the spaces are
// the same. A study refuses to resume when its space changed.
func (s *Space) Diff(t *Space) []string {
	var out []string
	for i := range s.Params {
		p := &s.Params[i]
		q, ok := t.Param(p.Name)
		if !ok {
			out = append(out, "param "+p.Name+" removed")
			continue
		}
		out = append(out, p.diff(q)...)
	}
	for i := range t.Params {
		if _, ok := s.Param(t.Params[i].Name); !ok {
			out = append(out, "param "+t.Params[i].Name+" added")
		}
	}
	var sOrder, tOrder []string
	for i := range s.Params {
		if _, ok := t.Param(s.Params[i].Name); ok {
			sOrder = append(sOrder, s.Params[i].Name)
		}
	}
	for i := range t.Params {
		if _, ok := s.Param(t.Params[i].Name); ok {
			tOrder = append(tOrder, t.Params[i].Name)
		}
	}
	if !slices.Equal(sOrder, tOrder) {
		out = append(out, fmt.Sprintf("order [%s] became [%s]", strings.Join(sOrder, ", "), strings.Join(tOrder, ", ")))
	}
	return out
}

// diff returns how q differs from p, which has the same name.
func (p *Param) diff(q *Param) []string {
	var out []string
	add := func(what, was, is string) {
		if was != is {
			out = append(out, fmt.Sprintf("%s: %s %s became %s", p.Name, what, was, is))
		}
	}
	add("type", p.Type.String(), q.Type.String())
	if p.Type != Choice || q.Type != Choice {
		add("range", "["+num(p.Low)+", "+num(p.High)+"]", "["+num(q.Low)+", "+num(q.High)+"]")
		add("log", strconv.FormatBool(p.Log), strconv.FormatBool(q.Log))
		add("step", num(p.Step), num(q.Step))
		add("points", strconv.Itoa(p.Points), strconv.Itoa(q.Points))
	}
	if p.Type == Choice || q.Type == Choice {
		add("choices", values(p.Choices), values(q.Choices))
	}
	add("condition", p.When.String(), q.When.String())
	return out
}

// String returns the parameter type's name: float, int or choice.
func (t ParamType) String() string {
	switch t {
	case FloatRange:
		return "float"
	case IntRange:
		return "int"
	case Choice:
		return "choice"
	}
	return "type(" + strconv.Itoa(int(t)) + ")"
}

// String returns c as "opt in [sgd, adam]", or "none" for a nil condition.
func (c *Condition) String() string {
	if c == nil {
		return "none"
	}
	return c.Param + " in " + values(c.Values)
}

func num(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

func values(vs []dltune.Value) string {
	var sb strings.Builder
	sb.WriteByte('[')
	for i, v := range vs {
		if i > 0 {
			sb.WriteString(", ")
		}
		if v.Kind == dltune.KindString {
			sb.WriteString(strconv.Quote(v.Str))
		} else {
			sb.WriteString(v.String())
		}
	}
	sb.WriteByte(']')
	return sb.String()
}
