package study

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzParse feeds arbitrary text to Parse. Parse must not panic or hang;
// an error must be ConfigErrors that each name the file and a line; a
// study that parses must validate and resolve without panicking, and its
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
	f.Fuzz(func(t *testing.T, src []byte) {
		const name = "fuzz/study.yaml"
		// A hang is a failure too: crash with the input on record.
		watchdog := time.AfterFunc(20*time.Second, func() { panic(fmt.Sprintf("Parse hangs on %q", src)) })
		defer watchdog.Stop()
		spec, err := Parse(name, src)
		if err != nil {
			var es ConfigErrors
			if !errors.As(err, &es) || len(es) == 0 {
				t.Fatalf("error %v (%T) is not ConfigErrors", err, err)
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
		_ = spec.Validate()
		for _, pt := range probes(spec.Space) {
			_, _, _, _, _ = spec.Resolve(pt, 1)
		}
		_, _, _, _, _ = spec.Resolve(nil, 1)
		canon := spec.Canonical()
		again, err := Parse(name, canon)
		if err != nil {
			t.Fatalf("canonical form does not parse: %v\n%s\nfrom:\n%q", err, canon, src)
		}
		if c2 := again.Canonical(); !bytes.Equal(canon, c2) {
			t.Fatalf("canonical form is not stable:\n%s\nthen:\n%s", canon, c2)
		}
	})
}
