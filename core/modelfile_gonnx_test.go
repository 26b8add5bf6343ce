package core

import (
	"math"
	"testing"

	"github.com/advancedclimatesystems/gonnx"
	"gorgonia.org/tensor"
)

// TestONNXGonnx runs the exported models in gonnx, an ONNX runtime in Go
// independent of dltune, and compares its outputs with Predict's to 1e-5.
// gonnx 1.1 has no MaxPool, AveragePool, GlobalAveragePool or LeakyRelu,
// and its Conv fails on 1x1 kernels (a broadcast error), which residual
// blocks' projection shortcuts have: for the cases that use them the test
// checks that gonnx still fails, so that the list of what it covers stays
// true.
func TestONNXGonnx(t *testing.T) {
	ran := 0
	for _, c := range onnxCases() {
		t.Run(c.name, func(t *testing.T) {
			m, x, shape, want := onnxModel(t, c)
			b, err := m.marshalONNX()
			if err != nil {
				t.Fatal(err)
			}
			g, err := gonnx.NewModelFromBytes(b)
			if err != nil {
				t.Fatalf("gonnx: %v", err)
			}
			in := tensor.New(tensor.WithShape(shape...), tensor.WithBacking(x.Data))
			out, err := g.Run(gonnx.Tensors{"input": in})
			if !c.gonnx {
				if err == nil {
					t.Fatalf("gonnx ran %s, which the test says it cannot: update onnxCases", c.name)
				}
				t.Logf("not run by gonnx: %v", err)
				return
			}
			if err != nil {
				t.Fatalf("gonnx: %v", err)
			}
			y := out["output"]
			if y == nil || !y.Shape().Eq(tensor.Shape{want.Rows, want.Cols}) {
				t.Fatalf("gonnx output %v, want shape [%d %d]", y, want.Rows, want.Cols)
			}
			got := y.Data().([]float32)
			diff := 0.0
			for i, v := range got {
				diff = max(diff, math.Abs(float64(v)-float64(want.Data[i])))
			}
			if !(diff <= 1e-5) {
				t.Fatalf("gonnx output differs from Predict by up to %g", diff)
			}
			t.Logf("gonnx: max difference %g over %d values", diff, len(got))
			ran++
		})
	}
	if ran < 6 {
		t.Errorf("gonnx ran %d models, want 6", ran)
	}
}
