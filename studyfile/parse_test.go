package studyfile

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestParseBad parses and validates every study file in testdata/bad and
// compares the errors with the golden file beside it (NAME.err). Each bad file starts
// with a comment that says what is wrong with it. Every error must be a
// Error naming the file and a line, and the errors must be sorted by
// line. Run with -update to rewrite the golden files after reviewing the
// new messages.
func TestParseBad(t *testing.T) {
	files, err := filepath.Glob("testdata/bad/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 40 {
		t.Fatalf("%d bad study files; want at least 40", len(files))
	}
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".yaml")
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(src, []byte("# ")) {
				t.Errorf("%s does not start with a comment saying what is wrong", path)
			}
			// What dltune validate checks: the file, then every probe point.
			spec, err := ParseFile(path)
			if err == nil {
				err = spec.Validate()
			}
			if err == nil {
				t.Fatalf("ParseFile(%s) and Validate accept it, want an error", path)
			}
			checkErrorList(t, path, err)
			golden := strings.TrimSuffix(path, ".yaml") + ".err"
			got := err.Error() + "\n"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("errors of %s:\n%s\nwant (%s):\n%s", path, got, golden, want)
			}
		})
	}
}

// checkErrorList checks that err is a sorted ErrorList whose entries
// each name file and a line.
func checkErrorList(t *testing.T, file string, err error) {
	t.Helper()
	var es ErrorList
	if !errors.As(err, &es) {
		t.Fatalf("error %v (%T) is not ErrorList", err, err)
	}
	var first *Error
	if !errors.As(err, &first) || first != es[0] {
		t.Errorf("errors.As(*Error) did not find the first error")
	}
	prev := 0
	for _, e := range es {
		if e.File != file {
			t.Errorf("error %q names file %q, want %q", e, e.File, file)
		}
		if e.Line <= 0 {
			t.Errorf("error %q has no line", e)
		}
		if e.Line < prev {
			t.Errorf("errors not sorted by line: %q after line %d", e, prev)
		}
		prev = e.Line
		if e.Msg == "" {
			t.Errorf("error %q has no message", e)
		}
		if !strings.HasPrefix(e.Error(), file+":") {
			t.Errorf("error %q does not start with %q", e, file+":")
		}
	}
}

// TestParseGood parses every study file in testdata/good and in examples,
// checks that Validate accepts it, and that its canonical form parses back
// into an equal Spec whose canonical form is the same (a round trip).
func TestParseGood(t *testing.T) {
	files, err := filepath.Glob("testdata/good/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	examples, _ := filepath.Glob("../examples/*.yaml")
	files = append(files, examples...)
	if len(files) < 5 {
		t.Fatalf("only %d good files", len(files))
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			spec, err := ParseFile(path)
			if err != nil {
				t.Fatalf("ParseFile: %v", err)
			}
			if err := spec.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if _, _, err := spec.Strategy(); err != nil {
				t.Fatalf("Strategy: %v", err)
			}
			if spec.File != path {
				t.Errorf("File = %q, want %q", spec.File, path)
			}
			src, _ := os.ReadFile(path)
			if !bytes.Equal(spec.Source, src) {
				t.Errorf("Source differs from the file")
			}
			canon := spec.canonical()
			again, err := Parse(path, canon)
			if err != nil {
				t.Fatalf("canonical form does not parse: %v\n%s", err, canon)
			}
			if c2 := again.canonical(); !bytes.Equal(canon, c2) {
				t.Errorf("canonical form is not stable:\n%s\nthen:\n%s", canon, c2)
			}
			if spec.Name != again.Name || spec.Seed != again.Seed || !reflect.DeepEqual(spec.Data, again.Data) ||
				!reflect.DeepEqual(spec.Search, again.Search) || !reflect.DeepEqual(spec.Space, again.Space) {
				t.Errorf("round trip changed the spec:\n%+v\n%+v\ncanonical:\n%s", spec, again, canon)
			}
			if d := Diff(spec, again); d != nil {
				t.Errorf("Diff finds the round trip changed the spec: %q", d)
			}
			if (spec.Command == nil) != (again.Command == nil) || spec.Command != nil &&
				(spec.Command.Dir != again.Command.Dir || spec.Command.Epochs != again.Command.Epochs ||
					spec.Command.Timeout != again.Command.Timeout || spec.Command.Grace != again.Command.Grace) {
				t.Errorf("round trip changed the command:\n%+v\n%+v", spec.Command, again.Command)
			}
			if spec.MaxEpochs() != again.MaxEpochs() {
				t.Errorf("round trip changed MaxEpochs from %d to %d", spec.MaxEpochs(), again.MaxEpochs())
			}
			// The templates resolve the same way at every probe point.
			for _, pt := range probes(spec.Space) {
				if spec.Command != nil {
					a1, e1, err1 := spec.CommandLine(pt)
					a2, e2, err2 := again.CommandLine(pt)
					if err1 != nil || err2 != nil || !reflect.DeepEqual(a1, a2) || !reflect.DeepEqual(e1, e2) {
						t.Errorf("at %s the round trip gives another command line:\n%q %q %v\n%q %q %v",
							formatParams(pt), a1, e1, err1, a2, e2, err2)
					}
				}
				c1, err1 := spec.Resolve(pt, 9)
				c2, err2 := again.Resolve(pt, 9)
				if (err1 == nil) != (err2 == nil) || !reflect.DeepEqual(c1, c2) {
					t.Errorf("at %s the round trip resolves differently:\n%+v %v\n%+v %v",
						formatParams(pt), c1, err1, c2, err2)
				}
			}
		})
	}
}

// TestParseFileMissing checks that an unreadable file is an error that
// names it.
func TestParseFileMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope.yaml")
	_, err := ParseFile(path)
	if err == nil || !strings.Contains(err.Error(), path) || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("ParseFile(missing) = %v, want an error naming %s that matches os.ErrNotExist", err, path)
	}
}

// TestParseTooLarge checks the size limit.
func TestParseTooLarge(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.yaml")
	src := bytes.Repeat([]byte("# padding padding padding padding\n"), MaxFileSize/30)
	if err := os.WriteFile(path, src, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ParseFile(path)
	var es ErrorList
	if !errors.As(err, &es) || len(es) != 1 || es[0].Error() != path+": file is larger than 1 MiB, the limit for study files (is it a study file?)" {
		t.Fatalf("ParseFile(big) = %v, want one size error naming %s", err, path)
	}
}

// TestErrorFormat pins the gcc-style format.
func TestErrorFormat(t *testing.T) {
	for _, tc := range []struct {
		e    Error
		want string
	}{
		{Error{File: "study.yaml", Line: 12, Column: 5, Field: "space.lr", Msg: "low 0.1 > high 0.001"}, "study.yaml:12:5: space.lr: low 0.1 > high 0.001"},
		{Error{File: "study.yaml", Line: 3, Msg: "YAML syntax: x"}, "study.yaml:3: YAML syntax: x"},
		{Error{File: "study.yaml", Msg: "file is too big"}, "study.yaml: file is too big"},
		{Error{Field: "train.epochs", Msg: "m"}, "train.epochs: m"},
		{Error{Line: 4, Column: 2, Field: "seed", Msg: "m"}, "4:2: seed: m"},
	} {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
}

// TestDataPaths checks that relative data paths are resolved against the
// study file's directory and absolute ones kept.
func TestDataPaths(t *testing.T) {
	src := []byte(`name: p
data: {kind: idx, train: {images: ../data/img.gz, labels: /abs/lbl.gz}}
model: {hidden: [8]}
train: {epochs: 1, batch_size: 4, learning_rate: 0.1}
search: {strategy: random, trials: 1}
`)
	for _, tc := range []struct{ file, images string }{
		{"dir/sub/study.yaml", "dir/data/img.gz"},
		{"study.yaml", "../data/img.gz"},
		{"/etc/x/study.yaml", "/etc/data/img.gz"},
	} {
		spec, err := Parse(tc.file, src)
		if err != nil {
			t.Fatal(err)
		}
		if spec.Data.Images != tc.images || spec.Data.Labels != "/abs/lbl.gz" {
			t.Errorf("Parse(%s): images %q labels %q, want %q and /abs/lbl.gz", tc.file, spec.Data.Images, spec.Data.Labels, tc.images)
		}
	}
}
