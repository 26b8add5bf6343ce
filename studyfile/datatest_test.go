package studyfile

import (
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
