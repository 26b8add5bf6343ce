package core

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"os"
	"slices"
	"strings"
	"testing"
)

// cnnExportCases are the convolutional networks of TestModelRoundTrip: a
// plain one with its shape given, and one with batch normalization,
// residual blocks, dropout and global pooling whose shape comes from the
// data.
func cnnExportCases() []struct {
	name string
	cfg  Config
	data *Dataset
} {
	adam := OptimizerConfig{Name: "adam", LearningRate: 0.003}
	shaped := bars(200, 8, 11)
	shaped.Shape = []int{8, 8}
	return []struct {
		name string
		cfg  Config
		data *Dataset
	}{
		{"cnn", Config{Conv: smallCNN(8), Optimizer: adam,
			Train: TrainConfig{Epochs: 2, BatchSize: 16, Seed: 7}}, bars(200, 8, 10)},
		{"cnn-residual-batchnorm", Config{
			Conv: &ConvConfig{GlobalPool: true, Blocks: []ConvBlock{
				{Filters: 4, Kernel: 3, Padding: 1, BatchNorm: true, Dropout: 0.1, Pool: "avg"},
				{Filters: 6, Kernel: 3, Stride: 2, Residual: true},
				{Filters: 6, Kernel: 3, Residual: true},
			}},
			Model:     MLPConfig{Hidden: []int{8}, BatchNorm: true, Dropout: 0.2},
			Optimizer: OptimizerConfig{Name: "sgd", LearningRate: 0.05, Momentum: 0.9},
			Train:     TrainConfig{Epochs: 2, BatchSize: 16, Seed: 8}}, shaped},
	}
}

// TestCNNModelFile checks what a CNN's model file says about the network
// and that a loaded CNN checks the shape of its input.
func TestCNNModelFile(t *testing.T) {
	c := cnnExportCases()[1]
	tr, nz, raw := trainForExport(t, c.cfg, c.data)
	m, err := tr.Model(nz, ModelInfo{Trial: -1})
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	got, err := LoadModel(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	conv := got.Conv()
	if conv == nil || conv.Channels != 1 || conv.Height != 8 || conv.Width != 8 || !conv.GlobalPool ||
		!slices.Equal(conv.Blocks, c.cfg.Conv.Blocks) {
		t.Fatalf("loaded conv %+v, want 1x8x8 and %+v", conv, c.cfg.Conv.Blocks)
	}
	if !slices.Equal(got.Config().Hidden, []int{8}) || !got.Config().BatchNorm {
		t.Errorf("dense head %+v", got.Config())
	}
	// The batch-norm running statistics were trained and are in the file.
	if len(got.net.state) == 0 || !slices.Equal(got.net.state, tr.model.state) {
		t.Fatalf("state %v, the trainer's %v", got.net.state, tr.model.state)
	}
	nonzero := false
	for _, v := range got.net.state {
		nonzero = nonzero || (v != 0 && v != 1)
	}
	if !nonzero {
		t.Error("the running statistics are all 0 or 1: not trained")
	}
	for _, want := range []string{`"kind":"cnn"`, `"residual":true`, `"global_pool":true`, `"res2.conv1.weight"`, `"conv1.bn.gamma"`} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("the header lacks %s", want)
		}
	}

	x := NewTensor(2, raw.X.Cols-1)
	if _, err := got.Predict(x); err == nil || !strings.Contains(err.Error(), "1x8x8 images") {
		t.Errorf("Predict on 63 values: err = %v, want one naming the 1x8x8 images", err)
	}
	for _, c := range []struct {
		shape []int
		want  string
	}{
		{[]int{8, 8}, ""},
		{[]int{1, 8, 8}, ""},
		{[]int{4, 16}, "samples of shape [4 16]; the model takes 1x8x8 images"},
		{[]int{2, 4, 8}, "samples of shape [2 4 8]"},
		{[]int{64}, "samples of shape [64]"},
		{[]int{7, 9}, "samples of 63 values; the model takes 64"},
	} {
		err := got.CheckSample(c.shape)
		if (c.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("CheckSample(%v) = %v, want %q", c.shape, err, c.want)
		}
	}
}

// TestCNNModelFileErrors checks that a CNN header that does not match its
// tensors is refused, not built.
func TestCNNModelFileErrors(t *testing.T) {
	good := tinyCNNFile(t)
	for _, c := range []struct {
		name, old, new, want string
	}{
		{"no conv", `"kind":"cnn"`, `"kind":"mlp"`, "an mlp with conv"},
		{"more filters", `"filters":3`, `"filters":4`, "weights"},
		{"bad kernel", `"kernel":3`, `"kernel":99`, "does not fit"},
		{"no shape", `"height":6`, `"height":0`, "arch.conv: input"},
		{"huge image", `"height":6`, `"height":99999`, "arch.conv"},
	} {
		b := rewriteHeader(t, good, c.old, c.new)
		m, err := unmarshalModel(b)
		if err == nil || m != nil || !strings.Contains(err.Error(), c.want) || !errors.Is(err, errModelCorrupt) {
			t.Errorf("%s: err = %v, want %q", c.name, err, c.want)
		}
	}
}

// rewriteHeader replaces old by new in the header of model file b and
// fixes the header length and the checksum.
func rewriteHeader(t *testing.T, b []byte, old, new string) []byte {
	t.Helper()
	le := binary.LittleEndian
	hlen := int(le.Uint32(b[6:]))
	h := string(b[10 : 10+hlen])
	if !strings.Contains(h, old) {
		t.Fatalf("the header has no %s: %s", old, h)
	}
	h = strings.Replace(h, old, new, 1)
	out := append([]byte{}, b[:6]...)
	out = le.AppendUint32(out, uint32(len(h)))
	out = append(out, h...)
	out = append(out, b[10+hlen:len(b)-4]...)
	return le.AppendUint32(out, crc32.Checksum(out, ckptTable))
}

// tinyCNNFile returns the model file of a small CNN with batch
// normalization and a residual block, trained for an epoch; it seeds
// FuzzLoadModel (testdata/tiny-cnn.dltm).
func tinyCNNFile(t testing.TB) []byte {
	t.Helper()
	if b, err := os.ReadFile("testdata/tiny-cnn.dltm"); err == nil && os.Getenv("DLTUNE_WRITE_TINY_MODEL") == "" {
		return b
	}
	d := bars(64, 6, 12)
	cfg := Config{Conv: &ConvConfig{Height: 6, Width: 6, Blocks: []ConvBlock{
		{Filters: 3, Kernel: 3, Padding: 1, BatchNorm: true, Pool: "max"},
		{Filters: 2, Kernel: 3, Residual: true},
	}}, Optimizer: OptimizerConfig{Name: "adam", LearningRate: 0.01}, Train: TrainConfig{Epochs: 1, BatchSize: 16, Seed: 2}}
	tr, err := NewTrainer(cfg, d, d)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Fit(t.Context(), 1, nil); err != nil {
		t.Fatal(err)
	}
	m, err := tr.Model(nil, ModelInfo{Study: "tiny-cnn", Trial: 1, Seed: 2, Epochs: 1})
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}
