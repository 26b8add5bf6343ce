package studyfile

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestDataTest checks that data.test is parsed for idx and csv data,
// resolved against the study's directory, and that Diff ignores it: a
// test set does not change what the trials saw.
func TestDataTest(t *testing.T) {
	const idx = `name: t
data:
  kind: idx
  train: {images: train-images.gz, labels: train-labels.gz}
  test: {images: t10k-images.gz, labels: t10k-labels.gz}
model: {hidden: [8]}
train: {epochs: 2, batch_size: 16, learning_rate: $lr}
space:
  lr: {float: [0.001, 0.1]}
search: {strategy: random, trials: 2}
`
	csv := strings.Replace(idx, `  kind: idx
  train: {images: train-images.gz, labels: train-labels.gz}
  test: {images: t10k-images.gz, labels: t10k-labels.gz}`, `  kind: csv
  csv: {path: train.csv, target: y, task: classification}
  test: {path: test.csv}`, 1)
	dir := filepath.Join("some", "dir")
	for _, c := range []struct {
		name, src string
		want      []string
	}{
		{"idx", idx, []string{filepath.Join(dir, "t10k-images.gz"), filepath.Join(dir, "t10k-labels.gz")}},
		{"csv", csv, []string{filepath.Join(dir, "test.csv")}},
	} {
		spec, err := Parse(filepath.Join(dir, "t.yaml"), []byte(c.src))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !slices.Equal(spec.Data.Test, c.want) {
			t.Errorf("%s: data.test = %q, want %q", c.name, spec.Data.Test, c.want)
		}
		without, err := Parse(filepath.Join(dir, "t.yaml"), []byte(strings.Replace(c.src, "  test: ", "  # test: ", 1)))
		if err != nil {
			t.Fatal(err)
		}
		if without.Data.Test != nil {
			t.Fatalf("%s: commented out, data.test = %q", c.name, without.Data.Test)
		}
		if d := Diff(without, spec); d != nil {
			t.Errorf("%s: adding data.test is a change: %q", c.name, d)
		}
	}
}

// TestCheckTestData checks that missing test files, and a directory
// where a file should be, are reported with the file, line, column and
// field that name them, and that files that are there pass.
func TestCheckTestData(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"here-images.gz", "here.csv"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "adir"), 0o755); err != nil {
		t.Fatal(err)
	}
	const head = "name: t\ndata:\n"
	const tail = "model: {hidden: [8]}\ntrain: {epochs: 2, batch_size: 16, learning_rate: 0.01}\nsearch: {strategy: random, trials: 2}\n"
	file := filepath.Join(dir, "t.yaml")
	for _, c := range []struct {
		name, data string
		want       []string
	}{
		{"csv there", "  kind: csv\n  csv: {path: train.csv, target: y, task: classification}\n  test: {path: here.csv}\n", nil},
		{"csv missing", "  kind: csv\n  csv: {path: train.csv, target: y, task: classification}\n  test: {path: tset.csv}\n",
			[]string{file + `:5:16: data.test.path: test file "` + filepath.Join(dir, "tset.csv") + `" does not exist`}},
		{"idx one missing", "  kind: idx\n  train: {images: a.gz, labels: b.gz}\n  test:\n    images: here-images.gz\n    labels: gone-labels.gz\n",
			[]string{file + `:7:13: data.test.labels: test file "` + filepath.Join(dir, "gone-labels.gz") + `" does not exist`}},
		{"directory", "  kind: csv\n  csv: {path: train.csv, target: y, task: classification}\n  test: {path: adir}\n",
			[]string{file + `:5:16: data.test.path: test file "` + filepath.Join(dir, "adir") + `" is a directory`}},
		{"no test", "  kind: csv\n  csv: {path: train.csv, target: y, task: classification}\n", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			spec, err := Parse(file, []byte(head+c.data+tail))
			if err != nil {
				t.Fatal(err)
			}
			err = spec.CheckTestData()
			var got []string
			var es ErrorList
			if errors.As(err, &es) {
				for _, e := range es {
					got = append(got, e.Error())
				}
			} else if err != nil {
				t.Fatalf("not an ErrorList: %v", err)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("got %q\nwant %q", got, c.want)
			}
		})
	}
}
