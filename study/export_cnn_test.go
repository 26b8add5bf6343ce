package study

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/dltune/dltune/core"
	"github.com/dltune/dltune/studyfile"
)

// TestExportCNN exports the trial of a tiny CNN study on IDX images and
// checks that the model file, loaded back, scores exactly the validation
// loss the trial stored for its best epoch and predicts the same images
// as the exported model.
func TestExportCNN(t *testing.T) {
	dir := t.TempDir()
	const n, side = 48, 6
	images := []byte{0, 0, 8, 3, 0, 0, 0, n, 0, 0, 0, side, 0, 0, 0, side}
	labels := []byte{0, 0, 8, 1, 0, 0, 0, n}
	for i := range n {
		for p := range side * side {
			v := (i*7 + p*13) % 64
			if i%3 == p%side%3 {
				v += 160 // a class is a set of bright columns
			}
			images = append(images, byte(v))
		}
		labels = append(labels, byte(i%3))
	}
	for name, b := range map[string][]byte{"img": images, "lbl": labels} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	const src = `name: c
seed: 3
data: {kind: idx, train: {images: img, labels: lbl}, validation: 0.25, normalize: scale}
model:
  kind: cnn
  blocks:
    - {filters: 3, kernel: 3, padding: 1, batch_norm: true, pool: max}
    - {filters: 4, kernel: 3, residual: true}
  hidden: [4]
train: {epochs: 3, batch_size: 8, learning_rate: 0.01, optimizer: adam}
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
	st := newMemStore()
	if _, err := p.Run(ctx, st, Options{}); err != nil {
		t.Fatal(err)
	}
	trials, err := st.Trials(ctx, "c")
	if err != nil || len(trials) != 1 {
		t.Fatalf("trials %v, %v", trials, err)
	}
	m, err := Export(ctx, spec, trials[0], ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := m.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	got, err := core.LoadModel(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if c := got.Conv(); c == nil || c.Height != side || c.Width != side || c.Channels != 1 || len(c.Blocks) != 2 {
		t.Fatalf("loaded conv %+v, want 2 blocks on 1x%dx%d images", c, side, side)
	}
	raw := *spec
	raw.Data.Normalize = core.NormalizeNone
	_, val, err := loadData(ctx, &raw, MemoryLimit{})
	if err != nil {
		t.Fatal(err)
	}
	be := BestEpoch(trials[0])
	e, err := got.Evaluate(val)
	if err != nil {
		t.Fatal(err)
	}
	if want := trials[0].Curve[be-1]; e.Loss != want.ValLoss || e.Accuracy != want.ValAccuracy {
		t.Errorf("loaded model: loss %v accuracy %v; trial at epoch %d: %v %v", e.Loss, e.Accuracy, be, want.ValLoss, want.ValAccuracy)
	}
	a, err := m.Predict(val.X)
	if err != nil {
		t.Fatal(err)
	}
	b, err := got.Predict(val.X)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Data) != val.Len()*3 {
		t.Fatalf("%d predictions for %d samples", len(a.Data), val.Len())
	}
	for i := range a.Data {
		if math.Float32bits(a.Data[i]) != math.Float32bits(b.Data[i]) {
			t.Fatalf("prediction %d: loaded %v, exported %v", i, b.Data[i], a.Data[i])
		}
	}
}
