package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// idxFile encodes an IDX file of unsigned bytes with the given dimensions.
func idxFile(dims []uint32, data []byte) []byte {
	b := []byte{0, 0, 0x08, byte(len(dims))}
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, d)
	}
	return append(b, data...)
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

// dataStudy is a study of the given data section, otherwise valid.
func dataStudy(data string) string {
	return `name: tiny
seed: 3
data:
` + data + `
model: {hidden: [$width]}
train: {epochs: 1, batch_size: 8, optimizer: adam, learning_rate: 0.01}
space:
  width: {int: [2, 4]}
search: {strategy: random, trials: 2}
`
}

// TestBadInputLeavesTheStoreIntact runs every malformed study file and a
// set of malformed data files against an existing store: each must fail
// with an error that names the file and the line, field or record, and
// leave the store byte for byte as it was.
func TestBadInputLeavesTheStoreIntact(t *testing.T) {
	dir := t.TempDir()
	storage := filepath.Join(dir, "keep.db")
	src, _ := os.ReadFile("testdata/tiny.yaml")
	good := filepath.Join(dir, "tiny.yaml")
	os.WriteFile(good, []byte(strings.Replace(string(src), "trials: 6", "trials: 2", 1)), 0o644)
	if code, _, errs := cli(t, context.Background(), "run", good, "--storage", storage); code != 0 {
		t.Fatalf("run: exit %d: %s", code, errs)
	}
	want, err := os.ReadFile(storage)
	if err != nil {
		t.Fatal(err)
	}

	type tc struct {
		name  string
		file  string // the study file to run
		code  int
		names []string // what the error must contain
	}
	var cases []tc
	bad, _ := filepath.Glob("../../studyfile/testdata/bad/*.yaml")
	for _, f := range bad {
		cases = append(cases, tc{filepath.Base(f), f, exitUsage, []string{f + ":"}})
	}

	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	images := idxFile([]uint32{4, 2, 2}, make([]byte, 16))
	labels := idxFile([]uint32{4}, []byte{0, 1, 0, 1})
	idx := func(name string, img, lab []byte, want ...string) {
		ip := write(name+"-images.idx", img)
		lp := write(name+"-labels.idx", lab)
		f := write(name+".yaml", []byte(dataStudy("  kind: idx\n  train: {images: "+ip+", labels: "+lp+"}\n  validation: 0.5")))
		cases = append(cases, tc{name, f, exitFailure, want})
	}
	idx("idx-bad-magic", append([]byte{1, 2}, images[2:]...), labels, "idx-bad-magic-images.idx", "magic")
	idx("idx-truncated-header", images[:6], labels, "idx-truncated-header-images.idx")
	idx("idx-truncated-data", images[:len(images)-3], labels, "idx-truncated-data-images.idx")
	idx("idx-count-mismatch", images, idxFile([]uint32{3}, []byte{0, 1, 0}), "idx-count-mismatch", "3")
	halves := []byte{0, 0, 0x0D, 1, 0, 0, 0, 4}
	for _, f := range []float32{0, 1, 0.5, 1} {
		halves = binary.BigEndian.AppendUint32(halves, math.Float32bits(f))
	}
	idx("idx-fractional-label", images, halves, "idx-fractional-label-labels.idx")
	idx("idx-bad-gzip", gz(images)[:20], labels, "idx-bad-gzip-images.idx")
	idx("idx-labels-2d", images, idxFile([]uint32{2, 2}, []byte{0, 1, 0, 1}), "idx-labels-2d-labels.idx")
	idx("idx-empty", []byte{}, labels, "idx-empty-images.idx")
	missing := write("idx-missing.yaml", []byte(dataStudy("  kind: idx\n  train: {images: "+filepath.Join(dir, "nope-images.gz")+", labels: "+filepath.Join(dir, "nope-labels.gz")+"}")))
	cases = append(cases, tc{"idx-missing", missing, exitFailure, []string{"nope-", "no such file"}})

	csv := func(name, body string, want ...string) {
		p := write(name+".csv", []byte(body))
		f := write(name+".yaml", []byte(dataStudy("  kind: csv\n  csv: {path: "+p+", target: y, task: classification}\n  validation: 0.5")))
		cases = append(cases, tc{name, f, exitFailure, append([]string{name + ".csv"}, want...)})
	}
	rows := "a,b,y\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n"
	csv("csv-ragged", "a,b,y\n1,2,0\n3,1\n", "line 3")
	csv("csv-text-cell", "a,b,y\n1,2,0\n3,x,1\n", "line 3", `"x"`)
	csv("csv-nan", "a,b,y\n1,2,0\n3,NaN,1\n", "line 3")
	csv("csv-inf", "a,b,y\n1,2,0\n3,+Inf,1\n", "line 3")
	csv("csv-no-target", strings.Replace(rows, "y", "z", 1), "y")
	csv("csv-empty", "", "")
	csv("csv-header-only", "a,b,y\n", "")
	csv("csv-duplicate-column", "a,a,y\n1,2,0\n3,4,1\n", `"a"`)
	csv("csv-quote", "a,b,y\n1,\"2,0\n", "line")
	csv("csv-one-class", "a,b,y\n1,2,0\n3,4,0\n", "class")

	// Cases that fail after the store is open: a stored study whose file
	// changed, and a stored study whose data became unreadable.
	changed := write("changed.yaml", []byte(strings.Replace(string(src), "width: {int: [4, 32], log: true}", "width: {int: [4, 64], log: true}", 1)))
	cases = append(cases, tc{"changed-space", changed, exitUsage, []string{"space.width", "changed"}})
	csvData := write("later.csv", []byte("a,b,y\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n9,1,0\n2,3,1\n"))
	later := write("later.yaml", []byte(strings.Replace(dataStudy("  kind: csv\n  csv: {path: "+csvData+", target: y, task: classification}\n  validation: 0.5"), "name: tiny", "name: later", 1)))
	if code, _, errs := cli(t, context.Background(), "run", later, "--storage", storage); code != 0 {
		t.Fatalf("run later.yaml: exit %d: %s", code, errs)
	}
	if want, err = os.ReadFile(storage); err != nil {
		t.Fatal(err)
	}
	write("later.csv", []byte("a,b,y\n1,2,0\n3,x,1\n"))
	cases = append(cases, tc{"data-unreadable-on-resume", "later", exitFailure, []string{"later.csv", "line 3"}})

	if len(cases) < 40 {
		t.Fatalf("only %d cases", len(cases))
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := []string{"run", c.file, "--storage", storage}
			if !strings.HasSuffix(c.file, ".yaml") {
				args = []string{"resume", c.file, "--storage", storage, "--parallel", "1"}
			}
			code, _, errs := cli(t, context.Background(), args...)
			if code == 0 || (c.code != 0 && code != c.code) {
				t.Errorf("exit %d, want %d; stderr %q", code, c.code, errs)
			}
			for _, s := range c.names {
				if !strings.Contains(errs, s) {
					t.Errorf("error %q does not name %q", errs, s)
				}
			}
			got, err := os.ReadFile(storage)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("the store changed (read error %v)", err)
			}
		})
	}
}
