package studyfile

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/dltune/dltune"
)

// A CommandSpec is the program that trains each trial of a command study,
// in place of the core: it is started with the trial's parameters and
// reports its epochs by the command protocol (see the README).
type CommandSpec struct {
	// Dir is the directory the program runs in, resolved against the
	// study file's directory (the study file's own by default).
	Dir string
	// Epochs is the most epochs a trial trains: its full length.
	Epochs int
	// Timeout, if > 0, bounds each run of the program: one that has not
	// ended by then is stopped and its trial fails.
	Timeout time.Duration
	// Grace is the time between asking the program to stop (SIGTERM) and
	// killing it (SIGKILL).
	Grace time.Duration

	argv   []cmdArg
	env    []cmdEnv
	rawDir string
}

// A cmdArg is one argument of the command line: a literal, or a whole
// $reference to a parameter.
type cmdArg struct {
	lit, ref  string
	line, col int
}

// A cmdEnv is one environment variable the study sets.
type cmdEnv struct {
	name string
	val  cmdArg
}

// The command section's keys, and the bounds of its durations.
var commandKeys = []string{"argv", "env", "dir", "epochs", "timeout", "grace"}

const (
	maxTimeout   = 10000 * time.Hour
	maxGrace     = time.Hour
	defaultGrace = 10 * time.Second
	maxArgs      = 1000
)

var (
	envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	// embeddedRefRE finds a $reference inside a longer argument, which
	// is not substituted.
	embeddedRefRE = regexp.MustCompile(`\$[A-Za-z_{]`)
)

func (p *parser) command(n *yaml.Node) {
	m := p.mapping(n, "command", commandKeys)
	if m == nil {
		return
	}
	c := &CommandSpec{Grace: defaultGrace}
	p.spec.Command = c
	p.require(m, "argv", "epochs")
	if an := m.get("argv"); an != nil {
		elems, ok := p.sequence(an, "command.argv", "the program and its arguments as a list")
		switch {
		case ok && len(elems) == 0:
			p.add(an.Line, an.Column, "command.argv", "empty: name the program to run")
		case ok && len(elems) > maxArgs:
			p.add(an.Line, an.Column, "command.argv", "%d arguments, more than the %d a command may have", len(elems), maxArgs)
		case ok:
			for i, e := range elems {
				a, ok := p.cmdArg(e, fmt.Sprintf("command.argv[%d]", i))
				if !ok {
					continue
				}
				if i == 0 && a.ref != "" {
					p.add(a.line, a.col, "command.argv[0]", "the program must be named, not a parameter")
					continue
				}
				c.argv = append(c.argv, a)
			}
		}
	}
	if en := m.get("env"); en != nil {
		em := p.mapping(en, "command.env", nil)
		if em != nil {
			for i := 0; i+1 < len(em.node.Content); i += 2 {
				k := em.node.Content[i]
				v := em.vals[k.Value]
				if v == nil || em.keys[k.Value] != k {
					continue // reported by mapping
				}
				path := join("command.env", k.Value)
				switch {
				case !envNameRE.MatchString(k.Value):
					p.add(k.Line, k.Column, path, "invalid variable name %q: use letters, digits and '_', not starting with a digit", clip(k.Value))
					continue
				case strings.HasPrefix(strings.ToUpper(k.Value), "DLTUNE_"):
					p.add(k.Line, k.Column, path, "DLTUNE_ variables are set by dltune for the protocol")
					continue
				}
				if a, ok := p.cmdArg(v, path); ok {
					c.env = append(c.env, cmdEnv{name: k.Value, val: a})
				}
			}
		}
	}
	c.rawDir = "."
	c.Dir = p.dir
	if dn := m.get("dir"); dn != nil {
		c.Dir, c.rawDir = p.path(dn, "command.dir")
	}
	c.Epochs = p.litInt(m.get("epochs"), "command.epochs", ruleEpochs, 0)
	c.Timeout = p.duration(m.get("timeout"), "command.timeout", time.Second, maxTimeout, 0)
	c.Grace = p.duration(m.get("grace"), "command.grace", 0, maxGrace, defaultGrace)
}

// cmdArg parses an argument or an environment value: a whole
// $reference, or a scalar taken as written but for $$, which stands for
// a literal $.
func (p *parser) cmdArg(at *yaml.Node, path string) (cmdArg, bool) {
	n := deref(at)
	a := cmdArg{line: at.Line, col: at.Column}
	if n.Kind != yaml.ScalarNode || isNull(n) {
		p.add(at.Line, at.Column, path, "expected a string, number or $parameter, got %s", describeNode(n))
		return a, false
	}
	v := n.Value
	if n.ShortTag() != "!!str" {
		a.lit = v
		return a, true
	}
	if refRE.MatchString(v) {
		a.ref = v[1:]
		return a, p.commandRef(a, path)
	}
	// $$ is a literal $; a single $ before a name would be a reference
	// inside an argument, which is not substituted.
	parts := strings.Split(v, "$$")
	for _, s := range parts {
		if embeddedRefRE.MatchString(s) {
			p.add(at.Line, at.Column, path, "%q: only whole arguments are substituted; give the parameter as an argument of its own (--lr, $lr), or write $$ for a literal $", clip(v))
			return a, false
		}
	}
	a.lit = strings.Join(parts, "$")
	return a, true
}

// commandRef checks a $reference of the command section against the
// space, which is parsed first. Arguments may not name a conditional
// parameter: an inactive one would leave a hole in the command line.
func (p *parser) commandRef(a cmdArg, path string) bool {
	info := p.params[a.ref]
	if info == nil {
		if !p.broken[a.ref] {
			names := make([]string, 0, len(p.order))
			for _, q := range p.order {
				names = append(names, q.param.Name)
			}
			p.add(a.line, a.col, path, "$%s: no parameter %q in space%s", a.ref, a.ref, suggest(a.ref, names))
		}
		return false
	}
	info.used = true
	if info.when != nil && strings.HasPrefix(path, "command.argv") {
		p.add(a.line, a.col, path, "$%s: parameter %q is conditional, and an argument needs a value in every trial; pass it in command.env, which leaves it unset when inactive", a.ref, a.ref)
		return false
	}
	return true
}

// duration parses a Go duration ("90s", "2h30m") in [lo, hi], or returns
// def if n is nil.
func (p *parser) duration(n *yaml.Node, path string, lo, hi, def time.Duration) time.Duration {
	if n == nil {
		return def
	}
	v, ok := p.literal(n, path, ruleText)
	if !ok {
		return def
	}
	d, err := time.ParseDuration(v.Str)
	if err != nil {
		p.add(n.Line, n.Column, path, "invalid duration %q: write a number and a unit, as 90s, 30m or 2h", clip(v.Str))
		return def
	}
	if d < lo || d > hi {
		p.add(n.Line, n.Column, path, "duration %s is out of range [%s, %s]", d, lo, hi)
		return def
	}
	return d
}

// Program returns the program the command runs, as the study file names
// it.
func (c *CommandSpec) Program() string { return c.argv[0].lit }

// CommandLine returns the program and arguments of command study s for a
// trial with parameters params, and the environment variables ("NAME=value")
// the study sets; a variable naming an inactive conditional parameter is
// left out. It fails if s is not a command study or params lacks a
// parameter an argument needs. It is safe for concurrent use.
func (s *Spec) CommandLine(params dltune.Params) (argv, env []string, err error) {
	c := s.Command
	if c == nil {
		return nil, nil, fmt.Errorf("%s: not a command study", s.File)
	}
	argv = make([]string, 0, len(c.argv))
	for _, a := range c.argv {
		if a.ref == "" {
			argv = append(argv, a.lit)
			continue
		}
		v, ok := params[a.ref]
		if !ok {
			return nil, nil, fmt.Errorf("%s:%d:%d: command.argv: trial has no parameter %q", s.File, a.line, a.col, a.ref)
		}
		argv = append(argv, v.String())
	}
	for _, e := range c.env {
		if e.val.ref == "" {
			env = append(env, e.name+"="+e.val.lit)
			continue
		}
		if v, ok := params[e.val.ref]; ok {
			env = append(env, e.name+"="+v.String())
		}
	}
	return argv, env, nil
}

// canonicalCommand writes the command section in the canonical form.
func (s *Spec) canonicalCommand() *yaml.Node {
	c := s.Command
	m := mapNode(false)
	args := make([]*yaml.Node, len(c.argv))
	for i, a := range c.argv {
		args[i] = argNode(a)
	}
	l := listNode(args...)
	l.Style = yaml.FlowStyle
	put(m, "argv", l)
	if len(c.env) > 0 {
		env := mapNode(false)
		for _, e := range c.env {
			put(env, e.name, argNode(e.val))
		}
		put(m, "env", env)
	}
	put(m, "dir", strNode(c.rawDir))
	put(m, "epochs", intNode(c.Epochs))
	if c.Timeout > 0 {
		put(m, "timeout", strNode(c.Timeout.String()))
	}
	put(m, "grace", strNode(c.Grace.String()))
	return m
}

// argNode writes an argument as the study file would.
func argNode(a cmdArg) *yaml.Node {
	if a.ref != "" {
		return strNode("$" + a.ref)
	}
	return strNode(strings.ReplaceAll(a.lit, "$", "$$"))
}
