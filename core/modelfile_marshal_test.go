package core

import (
	"bytes"
	"context"
	"testing"
)

// TestMarshalModel checks that MarshalModel writes the bytes of Model's
// MarshalBinary, for every kind of network, and that training on does not
// change bytes already made.
func TestMarshalModel(t *testing.T) {
	for _, c := range append(exportCases(), cnnExportCases()...) {
		t.Run(c.name, func(t *testing.T) {
			tr, nz, _ := trainForExport(t, c.cfg, c.data)
			info := ModelInfo{Study: "s", Trial: 3, Params: map[string]string{"lr": "0.01"}, Seed: 9, Epochs: tr.Epoch(), ValLoss: 0.25}
			m, err := tr.Model(nz, info)
			if err != nil {
				t.Fatal(err)
			}
			want, err := m.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			got, err := tr.MarshalModel(nz, info)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("MarshalModel: %d bytes, not the %d of Model(...).MarshalBinary()", len(got), len(want))
			}
			kept := bytes.Clone(got)
			if err := tr.Fit(context.Background(), tr.Epoch()+1, nil); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, kept) {
				t.Error("training on changed the bytes MarshalModel returned")
			}
			if again, _ := tr.MarshalModel(nz, info); bytes.Equal(again, kept) {
				t.Error("MarshalModel after another epoch gave the same bytes")
			}
		})
	}
}

// BenchmarkMarshalModel compares what a trial pays to keep an epoch's
// weights (MarshalModel) with the checkpoint it makes every epoch
// (MarshalBinary), for an MLP of Fashion-MNIST's size.
func BenchmarkMarshalModel(b *testing.B) {
	d := Blobs(512, 10, 784, 0.1, 1)
	cfg := Config{Model: MLPConfig{Hidden: []int{256, 128}}, Optimizer: OptimizerConfig{Name: "adam", LearningRate: 0.001},
		Train: TrainConfig{Epochs: 1, BatchSize: 64, Seed: 1}}
	tr, err := NewTrainer(cfg, d, d)
	if err != nil {
		b.Fatal(err)
	}
	if err := tr.Fit(context.Background(), 1, nil); err != nil {
		b.Fatal(err)
	}
	nz := &Normalizer{Method: NormalizeStandardize, Offset: make([]float64, 784), Scale: make([]float64, 784)}
	info := ModelInfo{Study: "s", Trial: 1, Epochs: 1, ValLoss: 0.5}
	for _, bc := range []struct {
		name string
		fn   func() ([]byte, error)
	}{
		{"model", func() ([]byte, error) { return tr.MarshalModel(nz, info) }},
		{"checkpoint", tr.MarshalBinary},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var n int
			for b.Loop() {
				out, err := bc.fn()
				if err != nil {
					b.Fatal(err)
				}
				n = len(out)
			}
			b.SetBytes(int64(n))
		})
	}
}
