package studyfile

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/search"
)

// fieldType is the type of value a study-file field takes.
type fieldType uint8

const (
	tInt fieldType = iota + 1
	tFloat
	tString
	tBool
)

// A fieldRule says which values a field accepts: its type, the names of
// an enumeration, or the interval of a number.
type fieldRule struct {
	typ  fieldType
	what string   // noun for enumerations: "optimizer"
	enum []string // the accepted strings, for tString
	// lo and hi bound numbers; loOpen and hiOpen make the bounds exclusive.
	lo, hi         float64
	loOpen, hiOpen bool
}

// intRule returns a rule for integers in [lo, hi].
func intRule(lo, hi float64) *fieldRule { return &fieldRule{typ: tInt, lo: lo, hi: hi} }

// floatRule returns a rule for numbers from lo to hi.
func floatRule(lo, hi float64, loOpen, hiOpen bool) *fieldRule {
	return &fieldRule{typ: tFloat, lo: lo, hi: hi, loOpen: loOpen, hiOpen: hiOpen}
}

// enumRule returns a rule for one of names.
func enumRule(what string, names []string) *fieldRule {
	return &fieldRule{typ: tString, what: what, enum: names}
}

var boolRule = &fieldRule{typ: tBool}

// describe says what the rule accepts: "an integer >= 1".
func (r *fieldRule) describe() string {
	switch r.typ {
	case tBool:
		return "true or false"
	case tString:
		return "one of " + oneOf(r.enum)
	}
	noun := "a number"
	if r.typ == tInt {
		noun = "an integer"
	}
	return noun + " " + r.interval()
}

// interval formats the rule's bounds: ">= 1", "in (0, 1)".
func (r *fieldRule) interval() string {
	lo, hi := fmtNum(r.lo), fmtNum(r.hi)
	switch {
	case r.hi >= maxRate && r.loOpen:
		return "> " + lo
	case r.hi >= maxRate:
		return ">= " + lo
	}
	l, h := "[", "]"
	if r.loOpen {
		l = "("
	}
	if r.hiOpen {
		h = ")"
	}
	return "in " + l + lo + ", " + hi + h
}

// inBounds reports whether x lies in the rule's interval.
func (r *fieldRule) inBounds(x float64) bool {
	if x < r.lo || (r.loOpen && x == r.lo) {
		return false
	}
	return x < r.hi || (!r.hiOpen && x == r.hi)
}

// check returns why v does not fit the rule, or "".
func (r *fieldRule) check(v dltune.Value) string {
	switch r.typ {
	case tBool:
		if v.Kind != dltune.KindBool {
			return "expected true or false, got " + describeValue(v)
		}
		return ""
	case tString:
		if v.Kind != dltune.KindString {
			return fmt.Sprintf("expected %s, got %s", r.describe(), describeValue(v))
		}
		if r.enum != nil && !contains(r.enum, v.Str) {
			return fmt.Sprintf("unknown %s %q%s; want %s", r.what, clip(v.Str), suggest(v.Str, r.enum), oneOf(r.enum))
		}
		return ""
	case tInt:
		if !v.IsNumber() || v.Num != math.Trunc(v.Num) {
			return fmt.Sprintf("expected %s, got %s", r.describe(), describeValue(v))
		}
	case tFloat:
		if !v.IsNumber() {
			return fmt.Sprintf("expected %s, got %s", r.describe(), describeValue(v))
		}
	}
	if !r.inBounds(v.Num) {
		if v.Num > r.hi && r.hi >= maxRate {
			return fmt.Sprintf("%s is out of range: must be at most %s", fmtNum(v.Num), fmtNum(r.hi))
		}
		return fmt.Sprintf("%s is out of range: must be %s", fmtNum(v.Num), r.interval())
	}
	return ""
}

// describeValue names a value for messages: `string "abc"`, `number 0.5`.
func describeValue(v dltune.Value) string {
	switch v.Kind {
	case dltune.KindString:
		return "string " + strconv.Quote(clip(v.Str))
	case dltune.KindInt:
		return "integer " + v.String()
	case dltune.KindFloat:
		return "number " + v.String()
	case dltune.KindBool:
		return "boolean " + v.String()
	}
	return "nothing"
}

// fmtNum formats a number the shortest way that reads back exactly, with
// whole numbers below 10^15 written out.
func fmtNum(x float64) string {
	if x == math.Trunc(x) && math.Abs(x) < 1e15 {
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return strconv.FormatFloat(x, 'g', -1, 64)
}

// A field is one scalar of the model or train template: a literal value,
// a $reference to a space parameter, or unset.
type field struct {
	path      string // dotted path, for messages
	line, col int
	rule      *fieldRule
	set       bool
	ref       string       // the parameter's name, for a $reference
	lit       dltune.Value // the value, for a literal
	// required fields may not name a conditional parameter: they need a
	// value in every trial.
	required bool
	// cond: ref names a conditional parameter; when it is inactive the
	// field is unset (or its hidden layer dropped).
	cond bool
}

// maxInt returns the largest integer the field can take: the literal, or
// the top of the referenced parameter's domain; 0 if unset.
func (f *field) maxInt(space *search.Space) int {
	if !f.set {
		return 0
	}
	if f.ref == "" {
		return f.lit.Int()
	}
	if space != nil {
		for i := range space.Params {
			if space.Params[i].Name == f.ref {
				_, hi := bounds(&space.Params[i])
				return int(hi)
			}
		}
	}
	return 0
}

var refRE = regexp.MustCompile(`^\$[A-Za-z_][A-Za-z0-9_]*$`)

// templateField parses the value of a template field: a literal that the
// rule accepts, or a $reference, recorded for checkRefs.
func (p *parser) templateField(at *yaml.Node, path string, rule *fieldRule, f *field) {
	n := deref(at)
	*f = field{path: path, line: at.Line, col: at.Column, rule: rule}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" && strings.HasPrefix(n.Value, "$") {
		if !refRE.MatchString(n.Value) {
			p.add(at.Line, at.Column, path, "invalid parameter reference %q: want $ and a parameter name", clip(n.Value))
			return
		}
		f.ref, f.set = n.Value[1:], true
		p.uses = append(p.uses, f)
		return
	}
	v, ok := p.literal(at, path, rule)
	if ok {
		f.lit, f.set = v, true
	}
}

// literal parses a scalar that the rule accepts. References are reported:
// only the model and train sections may use parameters.
func (p *parser) literal(at *yaml.Node, path string, rule *fieldRule) (dltune.Value, bool) {
	n := deref(at)
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" && strings.HasPrefix(n.Value, "$") {
		p.add(at.Line, at.Column, path, "parameter reference %s: only model and train fields may refer to parameters", clip(n.Value))
		return dltune.Value{}, false
	}
	v, ok := p.scalar(at, path)
	if !ok {
		return v, false
	}
	if msg := rule.check(v); msg != "" {
		p.add(at.Line, at.Column, path, "%s", msg)
		return v, false
	}
	if rule.typ == tInt && v.Kind == dltune.KindFloat {
		v = dltune.Int(v.Int())
	}
	return v, true
}

// litInt parses an integer literal under rule, or returns def if n is nil.
func (p *parser) litInt(n *yaml.Node, path string, rule *fieldRule, def int) int {
	if n == nil {
		return def
	}
	v, ok := p.literal(n, path, rule)
	if !ok {
		return def
	}
	return v.Int()
}

// litFloat parses a number literal under rule, or returns def if n is nil.
func (p *parser) litFloat(n *yaml.Node, path string, rule *fieldRule, def float64) float64 {
	if n == nil {
		return def
	}
	v, ok := p.literal(n, path, rule)
	if !ok {
		return def
	}
	return v.Num
}

// litString parses a string literal under rule, or returns def if n is nil.
func (p *parser) litString(n *yaml.Node, path string, rule *fieldRule, def string) string {
	if n == nil {
		return def
	}
	v, ok := p.literal(n, path, rule)
	if !ok {
		return def
	}
	return v.Str
}

// litBool parses a boolean literal, or returns def if n is nil.
func (p *parser) litBool(n *yaml.Node, path string, def bool) bool {
	if n == nil {
		return def
	}
	v, ok := p.literal(n, path, boolRule)
	if !ok {
		return def
	}
	return v.Bool()
}

// fits returns why parameter q cannot set a field under rule, or "". Every
// value q can take must be accepted.
func fits(rule *fieldRule, q *search.Param) string {
	switch q.Type {
	case search.FloatRange, search.IntRange:
		kind := "a float"
		if q.Type == search.IntRange {
			kind = "an int"
		}
		switch {
		case rule.typ == tString || rule.typ == tBool:
			return fmt.Sprintf("parameter %q is %s range; the field needs %s", q.Name, kind, rule.describe())
		case rule.typ == tInt && q.Type == search.FloatRange:
			return fmt.Sprintf("parameter %q is a float range; the field needs %s", q.Name, rule.describe())
		}
		lo, hi := bounds(q)
		if rule.inBounds(lo) && hi > rule.hi && rule.hi >= maxRate {
			return fmt.Sprintf("parameter %q ranges up to %s; the field takes at most %s", q.Name, fmtNum(hi), fmtNum(rule.hi))
		}
		if !rule.inBounds(lo) || !rule.inBounds(hi) {
			return fmt.Sprintf("parameter %q ranges over [%s, %s]; the field needs %s", q.Name, fmtNum(lo), fmtNum(hi), rule.describe())
		}
	case search.Choice:
		for _, c := range q.Choices {
			if msg := rule.check(c); msg != "" {
				return fmt.Sprintf("parameter %q has choice %s: %s", q.Name, c, msg)
			}
		}
	}
	return ""
}

// bounds returns the smallest and largest values a range parameter takes
// (for a stepped range, the last step at or below High), or for a choice
// the smallest and largest numeric choices.
func bounds(q *search.Param) (lo, hi float64) {
	switch q.Type {
	case search.FloatRange, search.IntRange:
		lo, hi = q.Low, q.High
		if q.Step > 0 {
			hi = q.Low + math.Floor((q.High-q.Low)/q.Step+1e-9)*q.Step
			if hi > q.High {
				hi = q.High
			}
		}
		return lo, hi
	}
	first := true
	for _, c := range q.Choices {
		if !c.IsNumber() {
			continue
		}
		if first || c.Num < lo {
			lo = c.Num
		}
		if first || c.Num > hi {
			hi = c.Num
		}
		first = false
	}
	return lo, hi
}
