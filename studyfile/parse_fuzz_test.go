package studyfile

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// FuzzParse feeds arbitrary text to Parse. Parse must not panic or hang;
// an error must be ErrorList that each name the file and a line; a
// study that parses must validate and resolve without panicking, one that
// validates must build its strategy, and its
// canonical form must parse back to the same canonical form.
//
// The seed corpus is testdata/fuzz/FuzzParse plus every study file in
// testdata/good, testdata/bad and examples; it runs in the normal test run.
// Fuzz it with:
//
//	go test ./study -run '^$' -fuzz FuzzParse -fuzztime 5m
func FuzzParse(f *testing.F) {
	for _, pattern := range []string{"testdata/good/*.yaml", "testdata/bad/*.yaml", "../examples/*.yaml"} {
		files, _ := filepath.Glob(pattern)
		for _, path := range files {
			src, err := os.ReadFile(path)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(src)
		}
	}
	f.Fuzz(checkParse)
}

// FuzzParseFields fuzzes the parameter definitions inside a valid study
// (ranges, a condition, choices, a step), so that the fuzzer explores the
// checks of studies that are nearly right and the paths of studies that
// parse. Every seed is a valid study.
//
//	go test ./study -run '^$' -fuzz FuzzParseFields -fuzztime 5m
func FuzzParseFields(f *testing.F) {
	const tmpl = `name: t
data: {kind: synthetic, synthetic: {generator: spirals, samples: 100}}
model: {hidden: {depth: $depth, widths: [$w, $w2, 8]}, activation: $act, dropout: $d}
train: {epochs: 5, batch_size: $b, learning_rate: $lr, optimizer: $opt, momentum: $m}
space:
  lr: %s
  w: %s
  depth: {int: [0, 3]}
  w2: {int: [4, 8], when: %s}
  act: %s
  d: %s
  b: {choice: [8, 16]}
  opt: {choice: [sgd, adam]}
  m: {float: [0.1, 0.9], when: {opt: [sgd]}}
search: {strategy: random, trials: 3}
`
	for _, seed := range [][5]string{
		{"{float: [1e-3, 1e-1], log: true, points: 3}", "{int: [8, 64]}", `"depth >= 2"`, "{choice: [relu, tanh]}", "{float: [0, 0.5], step: 0.1}"},
		{"{float: [0.5, 0.5]}", "{int: [1, 1], step: 2}", `"depth in [2, 3]"`, "{choice: [gelu]}", "{choice: [0, 0.25]}"},
		{"{choice: [0.1, 1]}", "{int: [8, 64], log: true}", `{depth: [3, 1]}`, "{choice: [sigmoid, leaky_relu]}", "{float: [0, 0.9], step: 0.3}"},
		{"{float: [1e-5, 1e-2], log: true}", "{choice: [16, 32.0]}", `"depth not in [0]"`, "{choice: [relu], when: \"depth > 0\"}", "{float: [0, 0.5], when: {depth: 2}}"},
	} {
		src := fmt.Sprintf(tmpl, seed[0], seed[1], seed[2], seed[3], seed[4])
		if _, err := Parse("seed.yaml", []byte(src)); err != nil {
			f.Fatalf("seed %q does not parse: %v", seed, err)
		}
		f.Add(seed[0], seed[1], seed[2], seed[3], seed[4])
	}
	f.Fuzz(func(t *testing.T, lr, w, cond, act, d string) {
		checkParse(t, []byte(fmt.Sprintf(tmpl, lr, w, cond, act, d)))
	})
}

// checkParse parses src and checks the invariants of Parse's results.
func checkParse(t *testing.T, src []byte) {
	const name = "fuzz/study.yaml"
	// A hang is a failure too: crash with the input on record.
	watchdog := time.AfterFunc(20*time.Second, func() { panic(fmt.Sprintf("Parse hangs on %q", src)) })
	defer watchdog.Stop()
	spec, err := Parse(name, src)
	if err != nil {
		var es ErrorList
		if !errors.As(err, &es) || len(es) == 0 {
			t.Fatalf("error %v (%T) is not ErrorList", err, err)
		}
		for _, e := range es {
			if e.File != name || e.Msg == "" {
				t.Fatalf("error %#v lacks the file or a message", e)
			}
			if e.Line <= 0 && len(src) <= MaxFileSize && !strings.HasSuffix(e.Msg, "more errors not shown") {
				t.Fatalf("error %q has no line", e)
			}
		}
		return
	}
	if spec.Name == "" || spec.Space == nil || spec.Search.Trials <= 0 || spec.Search.Parallel <= 0 || spec.MaxEpochs() <= 0 {
		t.Fatalf("parsed spec is incomplete: %+v", spec)
	}
	if spec.Validate() == nil {
		// What needs only the file is checked by Parse and Validate, so
		// that dltune validate finds it: the strategy must build.
		if _, _, err := spec.Strategy(); err != nil {
			t.Fatalf("the spec validates but its strategy does not build: %v\n%s", err, src)
		}
	}
	for _, pt := range probes(spec.Space) {
		_, _ = spec.Resolve(pt, 1)
	}
	_, _ = spec.Resolve(nil, 1)
	canon := spec.canonical()
	again, err := Parse(name, canon)
	if err != nil {
		t.Fatalf("canonical form does not parse: %v\n%s\nfrom:\n%q", err, canon, src)
	}
	if c2 := again.canonical(); !bytes.Equal(canon, c2) {
		t.Fatalf("canonical form is not stable:\n%s\nthen:\n%s", canon, c2)
	}
	if !reflect.DeepEqual(spec.Space, again.Space) {
		t.Fatalf("canonical form changed the space:\n%+v\n%+v", spec.Space, again.Space)
	}
	if d := Diff(spec, again); d != nil {
		t.Fatalf("Diff finds the canonical form changed: %q", d)
	}
}
