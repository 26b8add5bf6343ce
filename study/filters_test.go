package study

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/store"
	"github.com/dltune/dltune/studyfile"
)

// TestPreparedRunStoresFilters runs a tiny CNN study on IDX images into a
// bbolt store: the trial's record holds its first convolution's weights,
// its summary does not.
func TestPreparedRunStoresFilters(t *testing.T) {
	dir := t.TempDir()
	const n, side = 24, 6
	images := []byte{0, 0, 8, 3, 0, 0, 0, n, 0, 0, 0, side, 0, 0, 0, side}
	labels := []byte{0, 0, 8, 1, 0, 0, 0, n}
	for i := range n {
		for p := range side * side {
			images = append(images, byte((i*7+p*(1+i%2)*13)%256))
		}
		labels = append(labels, byte(i%2))
	}
	for name, b := range map[string][]byte{"img": images, "lbl": labels} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	const src = `name: c
data: {kind: idx, train: {images: img, labels: lbl}}
model: {kind: cnn, blocks: [{filters: 3, kernel: 3, padding: 1, pool: max}], hidden: [4]}
train: {epochs: 2, batch_size: 8, learning_rate: 0.01}
search: {strategy: random, trials: 1}
`
	spec, err := studyfile.Parse(filepath.Join(dir, "c.yaml"), []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	p, err := Prepare(ctx, spec, PrepareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(filepath.Join(dir, "s.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := p.Run(ctx, db, Options{}); err != nil {
		t.Fatal(err)
	}
	tr, err := db.Trial(ctx, "c", 0)
	if err != nil {
		t.Fatal(err)
	}
	f := tr.Filters
	if tr.State != dltune.Complete || f == nil || f.Shape != [4]int{3, 1, 3, 3} || f.Epoch != 2 || len(f.Data) != 27 {
		t.Fatalf("trial %s with filters %+v, want complete with 3x1x3x3 filters after epoch 2", tr.State, f)
	}
	for i, v := range f.Data {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) || v == 0 {
			t.Errorf("weight %d is %v", i, v)
		}
	}
	sums, err := db.TrialSummaries(ctx, "c")
	if err != nil {
		t.Fatal(err)
	}
	if len(sums) != 1 || sums[0].Filters != nil {
		t.Errorf("summaries %+v, want one without filters", sums)
	}
}
