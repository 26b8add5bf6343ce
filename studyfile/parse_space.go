package studyfile

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/search"
)

// paramInfo is a space parameter while the file is parsed.
type paramInfo struct {
	param     search.Param
	path      string // "space.lr"
	line, col int    // of the parameter's key
	used      bool
	when      *condSpec
	parent    *paramInfo // the parameter when names, once resolved
}

// condSpec is a `when:` condition as written, before it is checked against
// its parent's domain.
type condSpec struct {
	path      string
	line, col int
	parent    string
	op        string // == != < <= > >= in "not in"
	vals      []dltune.Value
}

var paramKeys = []string{"float", "int", "choice", "log", "step", "points", "when"}

var paramNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// maxExpand bounds the values a condition on an int range may expand to,
// and maxTotalExpand the values of all conditions together.
const (
	maxExpand      = 10000
	maxTotalExpand = 1000000
)

// maxPoints bounds a range's grid points.
const maxPoints = 10000

func (p *parser) space(n *yaml.Node) {
	if n == nil {
		return
	}
	m := p.mapping(n, "space", nil)
	if m == nil {
		return
	}
	p.spaceLine, p.spaceCol = m.node.Line, m.node.Column
	for i := 0; i+1 < len(m.node.Content); i += 2 {
		k := m.node.Content[i]
		if k.Kind != yaml.ScalarNode || m.keys[k.Value] != k || m.vals[k.Value] == nil {
			continue // reported by mapping
		}
		name, path := k.Value, join("space", k.Value)
		if !paramNameRE.MatchString(name) || len(name) > maxNameLen {
			p.add(k.Line, k.Column, path, "invalid parameter name %q: use a letter or '_' then letters, digits or '_'", clip(name))
			continue
		}
		info := &paramInfo{path: path, line: k.Line, col: k.Column}
		info.param.Name = name
		if p.param(m.vals[name], info) {
			p.params[name] = info
			p.order = append(p.order, info)
		} else {
			// Keep references to it from being reported as unknown too.
			p.broken[name] = true
		}
	}
	for _, info := range p.order {
		if info.when != nil {
			p.resolveCondition(info)
		}
	}
}

// param parses one parameter's definition into info.
func (p *parser) param(n *yaml.Node, info *paramInfo) bool {
	path := info.path
	m := p.mapping(n, path, paramKeys)
	if m == nil {
		return false
	}
	var types []string
	for _, t := range []string{"float", "int", "choice"} {
		if _, ok := m.keys[t]; ok {
			types = append(types, t)
		}
	}
	switch len(types) {
	case 0:
		p.add(m.node.Line, m.node.Column, path, "a parameter needs one of float: [low, high], int: [low, high] or choice: [values]")
		return false
	case 1:
	default:
		l, c := m.keyPos(types[1])
		p.add(l, c, join(path, types[1]), "a parameter is one of float, int or choice, not both %s and %s", types[0], types[1])
		return false
	}
	q := &info.param
	ok := true
	switch types[0] {
	case "float", "int":
		q.Type = search.FloatRange
		if types[0] == "int" {
			q.Type = search.IntRange
		}
		if m.get(types[0]) == nil {
			return false // unknown-key or duplicate already reported
		}
		ok = p.rangeParam(m, q, types[0])
	case "choice":
		q.Type = search.Choice
		for _, k := range []string{"log", "step", "points"} {
			if m.has(k) {
				l, c := m.keyPos(k)
				p.add(l, c, join(path, k), "%s applies to float and int ranges, not to a choice", k)
				ok = false
			}
		}
		if cn := m.get("choice"); cn != nil {
			ok = p.choices(cn, join(path, "choice"), q) && ok
		} else {
			return false
		}
	}
	if wn := m.get("when"); wn != nil {
		var cok bool
		info.when, cok = p.when(wn, join(path, "when"))
		if info.when != nil && info.when.parent != "" {
			p.mentioned[info.when.parent] = true
		}
		if !cok {
			info.when = nil
			ok = false
		}
	}
	return ok
}

// rangeParam parses a float or int range and its log, step and points.
func (p *parser) rangeParam(m *mapping, q *search.Param, kind string) bool {
	path := join(m.path, kind)
	rn := m.get(kind)
	elems, ok := p.sequence(rn, path, "a list [low, high]")
	if !ok {
		return false
	}
	if len(elems) != 2 {
		p.add(rn.Line, rn.Column, path, "expected a list [low, high], got %d values", len(elems))
		return false
	}
	var b [2]float64
	for i, e := range elems {
		v, ok := p.scalar(e, path)
		if !ok {
			return false
		}
		if !v.IsNumber() {
			p.add(e.Line, e.Column, path, "expected a number, got %s", describeValue(v))
			return false
		}
		if kind == "int" && v.Num != math.Trunc(v.Num) {
			p.add(e.Line, e.Column, path, "int range bound %s is not an integer", v)
			return false
		}
		b[i] = v.Num
	}
	q.Low, q.High = b[0], b[1]
	if q.Low > q.High {
		p.add(rn.Line, rn.Column, path, "low %s > high %s", fmtNum(q.Low), fmtNum(q.High))
		return false
	}
	if math.IsInf(q.High-q.Low, 0) {
		p.add(rn.Line, rn.Column, path, "range [%s, %s] is too wide", fmtNum(q.Low), fmtNum(q.High))
		return false
	}
	ok = true
	q.Log = p.litBool(m.get("log"), join(m.path, "log"), false)
	if q.Log && q.Low <= 0 {
		p.add(rn.Line, rn.Column, path, "a log range must stay above 0, but low is %s", fmtNum(q.Low))
		ok = false
	}
	if sn := m.get("step"); sn != nil {
		sp := join(m.path, "step")
		rule := floatRule(0, math.Inf(1), true, false)
		if kind == "int" {
			rule = intRule(1, math.Inf(1))
		}
		q.Step = p.litFloat(sn, sp, rule, 0)
		if q.Step == 0 {
			ok = false
		}
		if q.Log {
			p.add(sn.Line, sn.Column, sp, "step and log exclude each other: a stepped range is uniform")
			ok = false
		}
	}
	if pn := m.get("points"); pn != nil {
		pp := join(m.path, "points")
		q.Points = p.litInt(pn, pp, rulePoints, 0)
		if q.Points == 0 {
			ok = false
		}
		if m.has("step") {
			p.add(pn.Line, pn.Column, pp, "points and step exclude each other: the step sets the grid")
			ok = false
		}
	}
	return ok
}

// choices parses a choice's values: scalars, at least one, no repeats.
func (p *parser) choices(n *yaml.Node, path string, q *search.Param) bool {
	elems, ok := p.sequence(n, path, "a list of values")
	if !ok {
		return false
	}
	if len(elems) == 0 {
		p.add(deref(n).Line, deref(n).Column, path, "empty choice: give at least one value")
		return false
	}
	seen := make(map[valueKey]bool, len(elems))
	for _, e := range elems {
		v, ok := p.scalar(e, path)
		if !ok {
			return false
		}
		if seen[keyOf(v)] {
			p.add(e.Line, e.Column, path, "duplicate choice %s", v)
			return false
		}
		seen[keyOf(v)] = true
		q.Choices = append(q.Choices, v)
	}
	return true
}

// A valueKey identifies a value up to Value.Equal: ints and floats that
// hold the same number have the same key.
type valueKey struct {
	kind dltune.Kind // KindFloat for every number
	num  float64
	str  string
}

func keyOf(v dltune.Value) valueKey {
	if v.IsNumber() {
		return valueKey{kind: dltune.KindFloat, num: v.Num}
	}
	return valueKey{kind: v.Kind, num: v.Num, str: v.Str}
}

// when parses a condition: "name op value", "name in [a, b]" or the map
// form {name: [a, b]} (or {name: a}).
func (p *parser) when(n *yaml.Node, path string) (*condSpec, bool) {
	n = deref(n)
	c := &condSpec{path: path, line: n.Line, col: n.Column}
	switch {
	case n.Kind == yaml.MappingNode:
		m := p.mapping(n, path, nil)
		if m == nil {
			return c, false
		}
		if len(m.vals) != 1 {
			for name := range m.vals {
				p.mentioned[name] = true
			}
			p.add(n.Line, n.Column, path, "a condition names one parameter, as {name: [values]}; got %d", len(m.vals))
			return c, false
		}
		for name, v := range m.vals {
			v = deref(v)
			c.parent = name
			if v.Kind == yaml.SequenceNode {
				c.op = "in"
				elems, _ := p.sequence(v, join(path, name), "a list of values")
				if len(elems) == 0 {
					p.add(v.Line, v.Column, join(path, name), "empty list of values")
					return c, false
				}
				for _, e := range elems {
					x, ok := p.scalar(e, join(path, name))
					if !ok {
						return c, false
					}
					c.vals = append(c.vals, x)
				}
			} else {
				c.op = "=="
				x, ok := p.scalar(v, join(path, name))
				if !ok {
					return c, false
				}
				c.vals = []dltune.Value{x}
			}
		}
		return c, true
	case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str":
		if msg := parseExpr(n.Value, c); msg != "" {
			p.add(n.Line, n.Column, path, "%s", msg)
			return c, false
		}
		return c, true
	}
	p.add(n.Line, n.Column, path, `expected a condition such as "depth >= 3" or {optimizer: [sgd]}, got %s`, describeNode(n))
	return c, false
}

// parseExpr parses "name op value" or "name [not] in [a, b]" into c, or
// says what is wrong with it.
func parseExpr(s string, c *condSpec) string {
	bad := func(why string) string {
		return fmt.Sprintf(`invalid condition %q: %s; write "name op value" with op one of == != < <= > >=, or "name in [a, b]"`, clip(s), why)
	}
	rest := strings.TrimSpace(s)
	i := 0
	for i < len(rest) && (rest[i] == '_' || isAlnum(rest[i])) {
		i++
	}
	if i == 0 || !paramNameRE.MatchString(rest[:i]) {
		return bad("no parameter name")
	}
	c.parent = rest[:i]
	rest = strings.TrimSpace(rest[i:])
	switch {
	case strings.HasPrefix(rest, "=="), strings.HasPrefix(rest, "!="),
		strings.HasPrefix(rest, "<="), strings.HasPrefix(rest, ">="):
		c.op, rest = rest[:2], rest[2:]
	case strings.HasPrefix(rest, "<"), strings.HasPrefix(rest, ">"):
		c.op, rest = rest[:1], rest[1:]
	case strings.HasPrefix(rest, "="):
		return bad("'=' is not an operator (use ==)")
	case wordPrefix(rest, "in"):
		c.op, rest = "in", rest[2:]
	case wordPrefix(rest, "not"):
		r := strings.TrimSpace(rest[3:])
		if !wordPrefix(r, "in") {
			return bad("'not' must be followed by 'in'")
		}
		c.op, rest = "not in", r[2:]
	default:
		return bad("no operator")
	}
	rest = strings.TrimSpace(rest)
	if rest == "" {
		return bad("no value")
	}
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(rest), &n); err != nil || n.Kind != yaml.DocumentNode || len(n.Content) != 1 {
		return bad(fmt.Sprintf("cannot read value %q", clip(rest)))
	}
	v := n.Content[0]
	if c.op == "in" || c.op == "not in" {
		if v.Kind != yaml.SequenceNode {
			return bad("'in' needs a list such as [a, b]")
		}
		if len(v.Content) == 0 {
			return bad("empty list")
		}
		for _, e := range v.Content {
			if e.Kind != yaml.ScalarNode || isNull(e) {
				return bad("list values must be plain values")
			}
			x, msg := scalarValue(e)
			if msg != "" {
				return bad(msg)
			}
			c.vals = append(c.vals, x)
		}
		return ""
	}
	if v.Kind != yaml.ScalarNode || isNull(v) {
		return bad(fmt.Sprintf("%s needs one plain value", c.op))
	}
	x, msg := scalarValue(v)
	if msg != "" {
		return bad(msg)
	}
	c.vals = []dltune.Value{x}
	return ""
}

func isAlnum(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
}

// wordPrefix reports whether s starts with word followed by a non-name
// character.
func wordPrefix(s, word string) bool {
	return strings.HasPrefix(s, word) && (len(s) == len(word) || !(s[len(word)] == '_' || isAlnum(s[len(word)])))
}

// resolveCondition checks info's condition against its parent's domain
// and sets info.param.When.
func (p *parser) resolveCondition(info *paramInfo) {
	c := info.when
	parent := p.params[c.parent]
	if parent == nil {
		names := make([]string, 0, len(p.order))
		for _, q := range p.order {
			names = append(names, q.param.Name)
		}
		p.add(c.line, c.col, c.path, "condition names unknown parameter %q%s", clip(c.parent), suggest(c.parent, names))
		return
	}
	parent.used = true
	if parent == info {
		p.add(c.line, c.col, c.path, "parameter %q cannot depend on itself", c.parent)
		return
	}
	vals, msg := condValues(&parent.param, c)
	if msg != "" {
		p.add(c.line, c.col, c.path, "%s", msg)
		return
	}
	if p.expanded += len(vals); p.expanded > maxTotalExpand {
		p.add(c.line, c.col, c.path, "the conditions list more than %d parent values in all; use choices with fewer values", maxTotalExpand)
		return
	}
	info.parent = parent
	info.param.When = &search.Condition{Param: parent.param.Name, Values: vals}
}

// condValues returns the values of parent for which the condition holds,
// from parent's own list of values so that kinds match exactly.
func condValues(parent *search.Param, c *condSpec) ([]dltune.Value, string) {
	var out []dltune.Value
	picked := map[valueKey]bool{}
	var idx map[valueKey]dltune.Value // parent's choices by key
	if parent.Type == search.Choice {
		idx = make(map[valueKey]dltune.Value, len(parent.Choices))
		for _, ch := range parent.Choices {
			idx[keyOf(ch)] = ch
		}
	}
	switch c.op {
	case "==", "in":
		for _, v := range c.vals {
			m, msg := member(parent, idx, v)
			if msg != "" {
				return nil, msg
			}
			if !picked[keyOf(m)] {
				picked[keyOf(m)] = true
				out = append(out, m)
			}
		}
	case "!=", "not in":
		excluded := make(map[valueKey]bool, len(c.vals))
		for _, v := range c.vals {
			if _, msg := member(parent, idx, v); msg != "" {
				return nil, msg
			}
			excluded[keyOf(v)] = true
		}
		dom, msg := domain(parent)
		if msg != "" {
			return nil, msg
		}
		for _, d := range dom {
			if !excluded[keyOf(d)] {
				out = append(out, d)
			}
		}
	default: // < <= > >=
		x := c.vals[0]
		if !x.IsNumber() {
			return nil, fmt.Sprintf("%s needs a number, got %s", c.op, describeValue(x))
		}
		dom, msg := domain(parent)
		if msg != "" {
			return nil, msg
		}
		for _, d := range dom {
			if !d.IsNumber() {
				return nil, fmt.Sprintf("%s compares numbers, but parameter %q has choice %s", c.op, parent.Name, describeValue(d))
			}
			if compare(d.Num, c.op, x.Num) {
				out = append(out, d)
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Sprintf("condition is never true: no value of %q satisfies it", parent.Name)
	}
	return out, ""
}

func compare(a float64, op string, b float64) bool {
	switch op {
	case "<":
		return a < b
	case "<=":
		return a <= b
	case ">":
		return a > b
	}
	return a >= b
}

// member returns parent's own value equal to v, or says why there is none;
// idx holds a choice parent's choices by key.
func member(parent *search.Param, idx map[valueKey]dltune.Value, v dltune.Value) (dltune.Value, string) {
	switch parent.Type {
	case search.Choice:
		if c, ok := idx[keyOf(v)]; ok {
			return c, ""
		}
		list := make([]string, 0, 20)
		for _, c := range parent.Choices[:min(len(parent.Choices), 20)] {
			list = append(list, c.String())
		}
		return v, fmt.Sprintf("%s is not a choice of %q (%s)", describeValue(v), parent.Name, clip(strings.Join(list, ", ")))
	case search.IntRange:
		if !v.IsNumber() || v.Num != math.Trunc(v.Num) {
			return v, fmt.Sprintf("%q is an int range; %s is not an integer", parent.Name, describeValue(v))
		}
		step := max(parent.Step, 1)
		if parent.Log {
			step = 1
		}
		if v.Num < parent.Low || v.Num > parent.High || math.Mod(v.Num-parent.Low, step) != 0 {
			return v, fmt.Sprintf("%s is not a value of %q (int range [%s, %s]%s)", v, parent.Name, fmtNum(parent.Low), fmtNum(parent.High), stepNote(parent))
		}
		return dltune.Int(v.Int()), ""
	}
	return v, fmt.Sprintf("parameter %q is a float range: conditions need a choice or an int range parent", parent.Name)
}

func stepNote(q *search.Param) string {
	if q.Step > 0 && !q.Log {
		return " step " + fmtNum(q.Step)
	}
	return ""
}

// domain lists every value of a choice or int range parameter.
func domain(q *search.Param) ([]dltune.Value, string) {
	switch q.Type {
	case search.Choice:
		return q.Choices, ""
	case search.IntRange:
		step := max(q.Step, 1)
		if q.Log {
			step = 1
		}
		n := math.Floor((q.High-q.Low)/step) + 1
		if n > maxExpand {
			return nil, fmt.Sprintf("int range %q has %s values, too many to compare (at most %d); use == or in, or a choice", q.Name, fmtNum(n), maxExpand)
		}
		out := make([]dltune.Value, int(n))
		for i := range out {
			out[i] = dltune.Int(int(q.Low + float64(i)*step))
		}
		return out, ""
	}
	return nil, fmt.Sprintf("parameter %q is a float range: conditions need a choice or an int range parent", q.Name)
}

// buildSpace puts the parameters in dependency order (each parent before
// the parameters that depend on it, file order otherwise), reports cycles,
// and applies the grid's default points.
func (p *parser) buildSpace() {
	const (
		unseen = iota
		visiting
		done
	)
	state := make(map[*paramInfo]int, len(p.order))
	space := &search.Space{Params: make([]search.Param, 0, len(p.order))}
	// Iterative depth-first walk up the parent chains: chains can be long.
	for _, start := range p.order {
		var chain []*paramInfo
		for q := start; q != nil && state[q] == unseen; q = q.parent {
			state[q] = visiting
			chain = append(chain, q)
			if q.parent != nil && state[q.parent] == visiting {
				p.cycle(q)
				q.param.When, q.parent = nil, nil
				break
			}
		}
		for i := len(chain) - 1; i >= 0; i-- {
			state[chain[i]] = done
			space.Params = append(space.Params, chain[i].param)
		}
	}
	pts := p.spec.Search.Points
	for i := range space.Params {
		q := &space.Params[i]
		if q.Type != search.Choice && q.Step == 0 && q.Points == 0 {
			q.Points = pts
		}
	}
	p.spec.Space = space
	// What the parser checked should be all that search checks; report
	// anything else it finds, at the parameter, before a strategy would.
	var pe *search.ParamError
	if err := space.Validate(); err != nil {
		for _, e := range unwrapAll(err) {
			if errors.As(e, &pe) && p.params[pe.Param] != nil {
				q := p.params[pe.Param]
				p.add(q.line, q.col, join(q.path, pe.Field), "%s", pe.Msg)
			} else {
				p.add(p.spaceLine, p.spaceCol, "space", "%v", e)
			}
		}
	}
}

// unwrapAll returns the errors joined in err, or err alone.
func unwrapAll(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// cycle reports the cycle of conditions that q's condition closes.
func (p *parser) cycle(q *paramInfo) {
	names := []string{q.param.Name}
	for r := q.parent; r != nil && r != q && len(names) <= len(p.order); r = r.parent {
		names = append(names, r.param.Name)
	}
	names = append(names, q.param.Name)
	p.add(q.when.line, q.when.col, q.when.path, "conditions form a cycle: %s", strings.Join(names, " -> "))
}
