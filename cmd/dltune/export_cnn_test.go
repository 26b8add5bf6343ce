package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/dltune/dltune/core"
	"github.com/dltune/dltune/internal/onnxpb"
	"google.golang.org/protobuf/proto"
)

// TestExportCNN exports a tiny CNN study's model, predicts with it on IDX
// images, checks that images of another shape with as many pixels are
// refused, and exports the model to ONNX.
func TestExportCNN(t *testing.T) {
	dir := t.TempDir()
	const n, side = 32, 6
	idx := func(dims ...byte) []byte {
		b := []byte{0, 0, 8, byte(len(dims) + 1), 0, 0, 0, n}
		for _, d := range dims {
			b = append(b, 0, 0, 0, d)
		}
		for i := range n {
			for p := range side * side {
				b = append(b, byte((i*7+p*(1+i%2)*13)%256))
			}
		}
		return b
	}
	labels := []byte{0, 0, 8, 1, 0, 0, 0, n}
	for i := range n {
		labels = append(labels, byte(i%2))
	}
	for name, b := range map[string][]byte{"img": idx(side, side), "lbl": labels, "wide": idx(4, 9),
		"c.yaml": []byte(`name: c
data: {kind: idx, train: {images: img, labels: lbl}}
model: {kind: cnn, blocks: [{filters: 2, kernel: 3, padding: 1, batch_norm: true, pool: max}]}
train: {epochs: 1, batch_size: 8, learning_rate: 0.01}
search: {strategy: random, trials: 1}
`)} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	db := filepath.Join(dir, "s.db")
	if code, _, errs := cli(t, ctx, "run", filepath.Join(dir, "c.yaml"), "--storage", db); code != exitOK {
		t.Fatalf("run: exit %d: %s", code, errs)
	}
	model := filepath.Join(dir, "c.dltm")
	if code, out, errs := cli(t, ctx, "export", "--best", "-o", model, "--storage", db); code != exitOK || !strings.HasPrefix(out, "wrote "+model) {
		t.Fatalf("export: exit %d: %s %s", code, out, errs)
	}
	code, out, errs := cli(t, ctx, "predict", "-m", model, filepath.Join(dir, "img"))
	if lines := strings.Split(strings.TrimSpace(out), "\n"); code != exitOK || len(lines) != n+1 {
		t.Errorf("predict: exit %d, %d lines: %s", code, len(lines), errs)
	}
	wide := filepath.Join(dir, "wide")
	code, _, errs = cli(t, ctx, "predict", "-m", model, wide)
	if want := wide + ": samples of shape [4 9]; the model takes 1x6x6 images"; code == exitOK || !strings.Contains(errs, want) {
		t.Errorf("predict on 4x9 images: exit %d, %q; want %q", code, errs, want)
	}
	// The ONNX export replays the same trial: it is the model file's model,
	// byte for byte as the core writes it, with an image input.
	onnxFile := filepath.Join(dir, "c.onnx")
	if code, out, errs := cli(t, ctx, "export", "--best", "-o", onnxFile, "--storage", db); code != exitOK || !strings.HasPrefix(out, "wrote "+onnxFile) {
		t.Fatalf("export -o c.onnx: exit %d: %s %s", code, out, errs)
	}
	got := mustRead(t, onnxFile)
	f, err := os.Open(model)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := core.LoadModel(f)
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if _, err := m.WriteONNX(&want); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Errorf("c.onnx (%d bytes) is not the ONNX form of c.dltm (%d bytes)", len(got), want.Len())
	}
	var mp onnxpb.ModelProto
	if err := proto.Unmarshal(got, &mp); err != nil {
		t.Fatalf("c.onnx: %v", err)
	}
	var dims []string
	for _, d := range mp.GetGraph().GetInput()[0].GetType().GetTensorType().GetShape().GetDim() {
		dims = append(dims, d.GetDimParam()+strconv.FormatInt(d.GetDimValue(), 10))
	}
	ops := map[string]bool{}
	for _, n := range mp.GetGraph().GetNode() {
		ops[n.GetOpType()] = true
	}
	if strings.Join(dims, " ") != "N0 1 6 6" || !ops["Conv"] || !ops["MaxPool"] || !ops["Softmax"] {
		t.Errorf("c.onnx: input dims %v, ops %v; want [N 1 6 6] and Conv, MaxPool, Softmax", dims, ops)
	}
}
