package core

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dltune/dltune/internal/onnxpb"
	"google.golang.org/protobuf/proto"
)

// onnxCases are the models TestONNX and TestONNXGonnx export: those of
// TestModelRoundTrip and CNNs that use the remaining options (stride,
// dilation, max pooling of another window and stride, GELU, tanh, leaky
// ReLU, regression, and residual networks without pooling). gonnx says
// whether gonnx, which lacks some ops, runs the model.
func onnxCases() []onnxCase {
	var cs []onnxCase
	for _, c := range exportCases() {
		cs = append(cs, onnxCase{c.name, c.cfg, c.data, true})
	}
	for _, c := range cnnExportCases() {
		cs = append(cs, onnxCase{c.name, c.cfg, c.data, false}) // MaxPool, AveragePool, GlobalAveragePool
	}
	adam := OptimizerConfig{Name: "adam", LearningRate: 0.003}
	regression := bars(200, 6, 14)
	regression.Task, regression.Classes = Regression, 0
	return append(cs,
		onnxCase{"cnn-strided-dilated-gelu", Config{
			Conv: &ConvConfig{Height: 9, Width: 9, Blocks: []ConvBlock{
				{Filters: 4, Kernel: 3, Stride: 2, Padding: 2, Dilation: 2, Pool: "max", PoolSize: 3, PoolStride: 1},
				{Filters: 3, Kernel: 2, BatchNorm: true, Pool: "avg"},
			}},
			Model: MLPConfig{Activation: "gelu"}, Optimizer: adam,
			Train: TrainConfig{Epochs: 2, BatchSize: 16, Seed: 12}}, bars(200, 9, 13), false},
		onnxCase{"cnn-residual-tanh", Config{
			Conv: &ConvConfig{Height: 6, Width: 6, Blocks: []ConvBlock{
				{Filters: 3, Kernel: 3, Padding: 1, BatchNorm: true},
				{Filters: 3, Kernel: 3, Residual: true},
				{Filters: 4, Kernel: 3, Stride: 2, Residual: true, Dropout: 0.1},
			}},
			Model: MLPConfig{Hidden: []int{6}, Activation: "tanh"}, Optimizer: adam,
			Train: TrainConfig{Epochs: 2, BatchSize: 16, Seed: 15}}, bars(200, 6, 16), false}, // 1x1 Conv
		// Without pooling or 1x1 convolutions, for gonnx.
		onnxCase{"cnn-identity-residual", Config{
			Conv: &ConvConfig{Height: 6, Width: 6, Blocks: []ConvBlock{
				{Filters: 3, Kernel: 3, Padding: 1, BatchNorm: true},
				{Filters: 3, Kernel: 3, Residual: true},
			}},
			Model: MLPConfig{Hidden: []int{6}, BatchNorm: true}, Optimizer: adam,
			Train: TrainConfig{Epochs: 2, BatchSize: 16, Seed: 20}}, bars(200, 6, 21), true},
		onnxCase{"cnn-regression", Config{
			Conv: &ConvConfig{Height: 6, Width: 6, Blocks: []ConvBlock{
				{Filters: 3, Kernel: 3, Stride: 2, Padding: 1, Dilation: 2},
				{Filters: 3, Kernel: 3, Residual: true},
			}},
			Model: MLPConfig{Hidden: []int{4}, Activation: "gelu"}, Optimizer: adam,
			Train: TrainConfig{Epochs: 2, BatchSize: 16, Seed: 17}}, regression, true},
		onnxCase{"cnn-leaky-global-pool", Config{
			Conv:  &ConvConfig{Height: 6, Width: 6, GlobalPool: true, Blocks: []ConvBlock{{Filters: 3, Kernel: 3}}},
			Model: MLPConfig{Activation: "leaky_relu", LeakySlope: 0.1}, Optimizer: adam,
			Train: TrainConfig{Epochs: 1, BatchSize: 16, Seed: 18}}, bars(100, 6, 19), false},
	)
}

type onnxCase struct {
	name  string
	cfg   Config
	data  *Dataset
	gonnx bool
}

// onnxModel trains c's model and returns it with the validation data's
// raw features, shaped as the ONNX graph's input, and Predict's outputs.
func onnxModel(t *testing.T, c onnxCase) (m *Model, x *Tensor, shape []int, want *Tensor) {
	t.Helper()
	tr, nz, raw := trainForExport(t, c.cfg, c.data)
	m, err := tr.Model(nz, ModelInfo{Trial: -1})
	if err != nil {
		t.Fatal(err)
	}
	if want, err = m.Predict(raw.X); err != nil {
		t.Fatal(err)
	}
	shape = []int{raw.X.Rows, raw.X.Cols}
	if cv := m.Conv(); cv != nil {
		shape = []int{raw.X.Rows, cv.Channels, cv.Height, cv.Width}
	}
	return m, raw.X, shape, want
}

// TestONNX exports each test model to ONNX and checks it with the official
// onnx package (Debian's python3-onnx): onnx.checker accepts it, and the
// graph, evaluated by numpy from what onnx reads, gives Predict's outputs
// within 1e-5. It skips when python3-onnx is missing, but in CI (which
// installs it) it fails.
func TestONNX(t *testing.T) {
	python := "/usr/bin/python3"
	if err := exec.Command(python, "-c", "import onnx, numpy").Run(); err != nil {
		msg := fmt.Sprintf("%s with onnx and numpy is not available (apt-get install python3-onnx): %v", python, err)
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	for _, c := range onnxCases() {
		t.Run(c.name, func(t *testing.T) {
			m, x, shape, want := onnxModel(t, c)
			dir := t.TempDir()
			var buf bytes.Buffer
			if _, err := m.WriteONNX(&buf); err != nil {
				t.Fatal(err)
			}
			files := map[string][]byte{"model.onnx": buf.Bytes(), "x.npy": npy(shape, x.Data),
				"want.npy": npy([]int{want.Rows, want.Cols}, want.Data)}
			for name, b := range files {
				if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			out, err := exec.Command(python, "testdata/onnx_check.py", filepath.Join(dir, "model.onnx"),
				filepath.Join(dir, "x.npy"), filepath.Join(dir, "want.npy")).CombinedOutput()
			if err != nil || !bytes.HasPrefix(out, []byte("ok ")) {
				t.Fatalf("onnx_check: %v\n%s", err, out)
			}
			if m.Conv() != nil && !bytes.Contains(out, []byte(" Conv")) {
				t.Errorf("onnx_check evaluated no Conv: %s", out)
			}
			t.Logf("onnx: %s", bytes.TrimSpace(out))
		})
	}
}

// TestONNXOps checks that the CNN cases export the ops their options call
// for, so that TestONNX evaluates each of them.
func TestONNXOps(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range onnxCases() {
		if c.cfg.Conv == nil {
			continue
		}
		tr, err := NewTrainer(c.cfg, c.data, c.data)
		if err != nil {
			t.Fatal(err)
		}
		m, err := tr.Model(nil, ModelInfo{Trial: -1})
		if err != nil {
			t.Fatal(err)
		}
		b, err := m.marshalONNX()
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var mp onnxpb.ModelProto
		if err := proto.Unmarshal(b, &mp); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		for _, n := range mp.GetGraph().GetNode() {
			seen[n.GetOpType()] = true
			for _, a := range n.GetAttribute() {
				if a.GetName() == "dilations" && a.GetInts()[0] > 1 {
					seen["dilations > 1"] = true
				}
			}
		}
	}
	for _, op := range []string{"Conv", "MaxPool", "AveragePool", "GlobalAveragePool", "Flatten", "Add", "Mul",
		"Relu", "LeakyRelu", "Tanh", "Gemm", "MatMul", "Softmax", "dilations > 1"} {
		if !seen[op] {
			t.Errorf("no CNN case exports %s", op)
		}
	}
}

// noONNX is a layer WriteONNX does not know.
type noONNX struct{ flatten }

// TestONNXRefusesUnknownLayer checks that a layer without an ONNX form is
// an error naming it, not a graph without it.
func TestONNXRefusesUnknownLayer(t *testing.T) {
	c := exportCases()[0]
	tr, err := NewTrainer(c.cfg, c.data, c.data)
	if err != nil {
		t.Fatal(err)
	}
	m, err := tr.Model(nil, ModelInfo{Trial: -1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.WriteONNX(new(bytes.Buffer)); err != nil {
		t.Fatalf("WriteONNX: %v", err)
	}
	m.net.layers = append(m.net.layers, &noONNX{})
	var buf bytes.Buffer
	if _, err := m.WriteONNX(&buf); err == nil || !strings.Contains(err.Error(), "layer *core.noONNX has no ONNX form") || buf.Len() != 0 {
		t.Errorf("WriteONNX with an unknown layer: err = %v, %d bytes written", err, buf.Len())
	}
}

// npy encodes float32 values of the given shape as a NumPy .npy file
// (format 1.0).
func npy(shape []int, data []float32) []byte {
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = fmt.Sprint(d)
	}
	h := fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': (%s,), }", strings.Join(dims, ", "))
	for (10+len(h)+1)%64 != 0 {
		h += " "
	}
	h += "\n"
	b := append([]byte("\x93NUMPY\x01\x00"), byte(len(h)), byte(len(h)>>8))
	b = append(b, h...)
	for _, v := range data {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
	}
	return b
}
