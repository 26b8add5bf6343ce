package studyfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/dltune/dltune"
)

// MaxFileSize is the largest study file Parse accepts, in bytes. Real
// study files are a few kilobytes; the limit keeps a wrong path (a data
// file given as the study) from costing time and memory.
const MaxFileSize = 1 << 20

// ParseFile reads and parses the study file at path; see Parse. Errors in
// the file are an ErrorList naming path; a file that cannot be read gives
// the underlying error.
func ParseFile(path string) (*Spec, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read study file: %w", err)
	}
	defer f.Close()
	src, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read study file %s: %w", path, err)
	}
	return Parse(path, src)
}

// Parse parses and checks the study file text src. name is the file's
// name: errors carry it, and relative data paths are resolved against its
// directory (so a study kept in a store parses the same way again when
// given the name it was first read from).
//
// Parsing is strict: unknown keys, values of the wrong type or out of
// range, impossible search ranges, unresolved or unfitting $references,
// unused parameters and bad conditions are all errors. Parse reports every
// problem it finds, as an ErrorList sorted by line; it never panics on any
// input. Parse does not resolve sample points; Validate does. It is safe
// for concurrent use.
func Parse(name string, src []byte) (*Spec, error) {
	p := &parser{
		reporter:  reporter{file: name},
		dir:       filepath.Dir(name),
		params:    map[string]*paramInfo{},
		broken:    map[string]bool{},
		mentioned: map[string]bool{},
	}
	spec := p.parse(src)
	if err := p.err(); err != nil {
		return nil, err
	}
	spec.File = name
	spec.Source = bytes.Clone(src)
	return spec, nil
}

// parser holds the state of one Parse call.
type parser struct {
	reporter
	dir    string                // the study file's directory
	spec   *Spec                 // being filled
	params map[string]*paramInfo // space parameters by name
	order  []*paramInfo          // space parameters in file order
	uses   []*field              // every $reference in model and train
	// broken names the parameters that failed to parse, and mentioned
	// those named by any condition: neither is reported again as unknown
	// or unused.
	broken, mentioned map[string]bool
	// expanded counts the parent values of all conditions.
	expanded int
	// searchMap is the search section, for positions of its keys.
	searchMap *mapping
	// spaceLine and spaceCol are the position of the space section.
	spaceLine, spaceCol int
}

func (p *parser) parse(src []byte) *Spec {
	p.spec = &Spec{}
	if len(src) > MaxFileSize {
		p.add(0, 0, "", "file is larger than 1 MiB, the limit for study files (is it a study file?)")
		return p.spec
	}
	if !utf8.Valid(src) {
		line, col := invalidUTF8(src)
		p.add(line, col, "", "invalid UTF-8: study files are UTF-8 text")
		return p.spec
	}
	root, ok := p.decode(src)
	if !ok {
		return p.spec
	}
	p.top(root)
	return p.spec
}

// decode parses src into the node of its one YAML document.
func (p *parser) decode(src []byte) (*yaml.Node, bool) {
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			p.add(1, 0, "", "empty study file")
		} else {
			p.yamlError(err, src)
		}
		return nil, false
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		p.add(extra.Line, extra.Column, "", "more than one YAML document: a study file holds one")
		return nil, false
	} else if !errors.Is(err, io.EOF) {
		p.yamlError(err, src)
		return nil, false
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		p.add(1, 0, "", "empty study file")
		return nil, false
	}
	return doc.Content[0], true
}

var (
	yamlLine   = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
	yamlAnchor = regexp.MustCompile(`anchor '([^']*)'`)
)

// yamlError reports a YAML syntax error with its line. The YAML library
// places some errors at the start of the enclosing block rather than at
// the problem, and a few nowhere; the line is then found by parsing
// growing prefixes of src (for files of ordinary size).
func (p *parser) yamlError(err error, src []byte) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	} else if m := yamlAnchor.FindStringSubmatch(msg); m != nil {
		if i := bytes.Index(src, []byte("*"+m[1])); i >= 0 {
			line = 1 + bytes.Count(src[:i], []byte("\n"))
		}
	}
	if l := problemLine(src, msg, max(line, 1)); l > 0 {
		line = l
	}
	p.add(max(line, 1), 0, "", "YAML syntax: %s", msg)
}

// problemLine returns the first line L >= from such that the first L lines
// of src fail to parse with the message msg, or 0. It gives up on large
// files, where it would cost too much.
func problemLine(src []byte, msg string, from int) int {
	const maxBytes, maxLines = 64 << 10, 2000
	if len(src) > maxBytes {
		return 0
	}
	ends := lineEnds(src)
	budget := 1 << 20 // bytes parsed in all
	for l := from; l <= len(ends) && l < from+maxLines; l++ {
		if budget -= ends[l-1]; budget < 0 {
			return 0
		}
		var n yaml.Node
		err := yaml.Unmarshal(src[:ends[l-1]], &n)
		if err == nil {
			continue
		}
		e := strings.TrimPrefix(err.Error(), "yaml: ")
		if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
			e = m[2]
		}
		if e == msg {
			return l
		}
	}
	return 0
}

// lineEnds returns the offset just past each line of src.
func lineEnds(src []byte) []int {
	var ends []int
	for i, b := range src {
		if b == '\n' {
			ends = append(ends, i+1)
		}
	}
	if len(src) > 0 && src[len(src)-1] != '\n' {
		ends = append(ends, len(src))
	}
	return ends
}

// invalidUTF8 returns the position of the first byte of src that is not
// valid UTF-8.
func invalidUTF8(src []byte) (line, col int) {
	line, col = 1, 1
	for len(src) > 0 {
		r, n := utf8.DecodeRune(src)
		if r == utf8.RuneError && n <= 1 {
			return line, col
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
		src = src[n:]
	}
	return line, col
}

// The top-level keys, in the order the reference documents them.
var topKeys = []string{"name", "seed", "data", "model", "train", "command", "space", "search"}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

// maxNameLen bounds study and parameter names.
const maxNameLen = 128

func (p *parser) top(root *yaml.Node) {
	m := p.mapping(root, "", topKeys)
	if m == nil {
		return
	}
	if m.has("command") {
		// The program trains: it has its own data and model.
		p.require(m, "name", "command", "search")
		for _, k := range []struct{ key, what string }{{"data", "data"}, {"model", "model"}, {"train", "training"}} {
			if m.has(k.key) {
				l, c := m.keyPos(k.key)
				p.add(l, c, k.key, "a command study's program does its own %s: remove this section", k.what)
				delete(m.vals, k.key)
			}
		}
	} else {
		p.require(m, "name", "data", "model", "train", "search")
	}
	if n := m.get("name"); n != nil {
		p.spec.Name = p.studyName(n)
	}
	if n := m.get("seed"); n != nil {
		p.spec.Seed = p.seed(n)
	}
	// The space comes first so that references can be checked against it.
	p.space(m.get("space"))
	if n := m.get("data"); n != nil {
		p.data(n)
	}
	if n := m.get("model"); n != nil {
		p.model(n)
	}
	if n := m.get("train"); n != nil {
		p.train(n)
	}
	if n := m.get("command"); n != nil {
		p.command(n)
	}
	if n := m.get("search"); n != nil {
		p.search(n)
	}
	p.checkRefs()
	if p.spec.Command == nil {
		// A command's program gets every parameter in its parameters
		// file, whether the command line names it or not.
		p.checkUnused()
	}
	p.checkStrategy()
	p.buildSpace()
	p.checkSearch()
}

func (p *parser) studyName(n *yaml.Node) string {
	n = deref(n)
	if t := n.ShortTag(); n.Kind != yaml.ScalarNode || t != "!!str" && t != "!!int" && t != "!!float" && t != "!!timestamp" {
		p.add(n.Line, n.Column, "name", "expected a name of ASCII letters, digits, '.', '_' and '-', got %s", describeNode(n))
		return ""
	}
	if !nameRE.MatchString(n.Value) || len(n.Value) > maxNameLen {
		p.add(n.Line, n.Column, "name", "invalid study name %q: use 1 to %d ASCII letters, digits, '.', '_' or '-'", clip(n.Value), maxNameLen)
		return ""
	}
	if strings.HasPrefix(n.Value, "-") {
		// "dltune resume -x" would take the name for a flag.
		p.add(n.Line, n.Column, "name", "invalid study name %q: a name may not start with '-', which commands take for a flag", n.Value)
		return ""
	}
	return n.Value
}

func (p *parser) seed(n *yaml.Node) uint64 {
	n = deref(n)
	var s uint64
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&s) != nil {
		p.add(n.Line, n.Column, "seed", "expected an integer from 0 to %d, got %s", uint64(math.MaxUint64), describeNode(n))
		return 0
	}
	return s
}

// A mapping is a checked YAML mapping: string keys, no duplicates, none
// unknown.
type mapping struct {
	path string
	node *yaml.Node
	keys map[string]*yaml.Node // key nodes
	vals map[string]*yaml.Node // value nodes (possibly aliases)
}

// get returns the value of key, or nil if the mapping lacks it.
func (m *mapping) get(key string) *yaml.Node { return m.vals[key] }

// has reports whether the mapping has key.
func (m *mapping) has(key string) bool { return m.vals[key] != nil }

// keyPos returns the position of key in the file, or of the mapping.
func (m *mapping) keyPos(key string) (int, int) {
	if k := m.keys[key]; k != nil {
		return k.Line, k.Column
	}
	return m.node.Line, m.node.Column
}

// mapping checks that n is a mapping whose keys are all in known and
// returns it, or reports why not and returns nil. A null node (a key with
// nothing after it) is an empty mapping. The keys that are present but
// unknown are reported (with the closest known key) and left out.
func (p *parser) mapping(n *yaml.Node, path string, known []string) *mapping {
	n = deref(n)
	m := &mapping{path: path, node: n, keys: map[string]*yaml.Node{}, vals: map[string]*yaml.Node{}}
	if isNull(n) {
		return m
	}
	if n.Kind != yaml.MappingNode {
		p.add(n.Line, n.Column, path, "expected a mapping (key: value lines or {key: value}), got %s", describeNode(n))
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || (k.ShortTag() != "!!str" && k.ShortTag() != "!!merge") {
			p.add(k.Line, k.Column, path, "expected a key, got %s", describeNode(deref(k)))
			continue
		}
		if k.ShortTag() == "!!merge" {
			p.add(k.Line, k.Column, join(path, k.Value), "merge keys (<<) are not supported")
			continue
		}
		key := k.Value
		kp := join(path, key)
		if prev := m.keys[key]; prev != nil {
			p.add(k.Line, k.Column, kp, "duplicate key %q (first at line %d)", key, prev.Line)
			continue
		}
		m.keys[key] = k
		if known != nil && !contains(known, key) {
			hint := suggest(key, known)
			if sec := sectionOf(key); sec != "" && sec != path {
				hint = " (it belongs under " + sec + ")"
			}
			p.add(k.Line, k.Column, kp, "unknown key %q%s", key, hint)
			continue
		}
		m.vals[key] = v
	}
	return m
}

// sectionOf returns the top-level section whose keys include key, for a
// key written in the wrong place; "" if none does.
func sectionOf(key string) string {
	for _, sec := range []struct {
		name string
		keys []string
	}{{"data", dataKeys}, {"model", modelKeys}, {"train", trainKeys}, {"search", searchKeys}} {
		if key != "kind" && key != "train" && contains(sec.keys, key) {
			return sec.name
		}
	}
	return ""
}

// require reports each of keys that m lacks.
func (p *parser) require(m *mapping, keys ...string) {
	for _, k := range keys {
		if _, ok := m.keys[k]; !ok {
			p.add(m.node.Line, m.node.Column, join(m.path, k), "missing required key %q", k)
		}
	}
}

// sequence checks that n is a sequence and returns its elements, aliases
// followed.
func (p *parser) sequence(n *yaml.Node, path, what string) ([]*yaml.Node, bool) {
	n = deref(n)
	if n.Kind != yaml.SequenceNode {
		p.add(n.Line, n.Column, path, "expected %s, got %s", what, describeNode(n))
		return nil, false
	}
	out := make([]*yaml.Node, len(n.Content))
	for i, c := range n.Content {
		out[i] = deref(c)
	}
	return out, true
}

// scalar returns the value of a scalar node: an int, float, string or
// bool. It reports nulls, collections, unsupported tags, non-finite
// numbers and integers beyond ±2^53.
func (p *parser) scalar(n *yaml.Node, path string) (dltune.Value, bool) {
	at := n // report at the alias, where the value is used
	n = deref(n)
	if n.Kind != yaml.ScalarNode || isNull(n) {
		p.add(at.Line, at.Column, path, "expected a value, got %s", describeNode(n))
		return dltune.Value{}, false
	}
	v, msg := scalarValue(n)
	if msg != "" {
		p.add(at.Line, at.Column, path, "%s", msg)
		return dltune.Value{}, false
	}
	return v, true
}

// maxExactInt is the largest integer a float64 holds exactly.
const maxExactInt = 1 << 53

// scalarValue interprets a scalar node, or says why it cannot.
func scalarValue(n *yaml.Node) (dltune.Value, string) {
	switch n.ShortTag() {
	case "!!str":
		return dltune.String(n.Value), ""
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			return dltune.Value{}, fmt.Sprintf("invalid boolean %q", n.Value)
		}
		return dltune.Bool(b), ""
	case "!!int":
		var i int64
		if err := n.Decode(&i); err != nil || i > maxExactInt || i < -maxExactInt {
			return dltune.Value{}, fmt.Sprintf("integer %s is out of range (at most ±2^53)", n.Value)
		}
		return dltune.Int(int(i)), ""
	case "!!float":
		var f float64
		if err := n.Decode(&f); err != nil {
			return dltune.Value{}, fmt.Sprintf("invalid number %q", n.Value)
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return dltune.Value{}, fmt.Sprintf("number %s is not finite", n.Value)
		}
		return dltune.Float(f), ""
	case "!!timestamp":
		// An unquoted date: the text is what the user meant.
		return dltune.String(n.Value), ""
	}
	return dltune.Value{}, fmt.Sprintf("unsupported YAML tag %s on %q", n.Tag, n.Value)
}

// deref follows an alias to the node it names.
func deref(n *yaml.Node) *yaml.Node {
	if n != nil && n.Kind == yaml.AliasNode && n.Alias != nil {
		return n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// describeNode names what n is, for messages: `a mapping`, `string "abc"`.
func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.DocumentNode:
		return "a document"
	}
	switch n.ShortTag() {
	case "!!null":
		return "nothing (null)"
	case "!!str":
		return "string " + strconv.Quote(clip(n.Value))
	case "!!int":
		return "integer " + clip(n.Value)
	case "!!float":
		return "number " + clip(n.Value)
	case "!!bool":
		return "boolean " + clip(n.Value)
	}
	return fmt.Sprintf("%s %q", n.Tag, clip(n.Value))
}

// clip shortens s for a message.
func clip(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	i := max
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "..."
}

// join appends key to a dotted path.
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// suggest returns ` (did you mean "x"?)` for the name in known closest to
// s, if one is close enough to be a likely typo, else "". Long lists get
// no suggestion: they are not typed by hand.
func suggest(s string, known []string) string {
	if len(known) > 200 {
		return ""
	}
	best, bestD := "", 0
	for _, k := range known {
		d := editDistance(strings.ToLower(s), strings.ToLower(k))
		if best == "" || d < bestD {
			best, bestD = k, d
		}
	}
	if best == "" {
		return ""
	}
	if bestD > max(2, len(best)/3) || bestD >= len(s) {
		// A truncated or extended name: warmup for warmup_epochs.
		best = ""
		for _, k := range known {
			if len(s) >= 3 && (strings.HasPrefix(k, s) || strings.HasPrefix(s, k) && len(k) >= 3) {
				best = k
				break
			}
		}
		if best == "" {
			return ""
		}
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// editDistance returns the Levenshtein distance between a and b, counting
// bytes; names are ASCII.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		if a == b {
			return 0
		}
		return max(len(a), len(b))
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := prev[j-1]
			if a[i-1] != b[j-1] {
				c++
			}
			cur[j] = min(c, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// oneOf formats names for a message: "a, b or c".
func oneOf(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}
