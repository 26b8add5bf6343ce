package core

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
)

// trainForExport trains cfg for a few epochs on d split 75/25 with
// standardized features, and returns the trainer, the normalizer and the
// raw (not normalized) validation set.
func trainForExport(t *testing.T, cfg Config, d *Dataset) (*Trainer, *Normalizer, *Dataset) {
	t.Helper()
	train, val, err := Split(d, 0.25, 1)
	if err != nil {
		t.Fatal(err)
	}
	raw := &Dataset{X: &Tensor{Rows: val.X.Rows, Cols: val.X.Cols, Data: slices.Clone(val.X.Data)},
		Y: val.Y, Task: val.Task, Classes: val.Classes}
	nz, err := FitNormalizer(NormalizeStandardize, train)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range []*Tensor{train.X, val.X} {
		if err := nz.Apply(x); err != nil {
			t.Fatal(err)
		}
	}
	tr, err := NewTrainer(cfg, train, val)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Fit(context.Background(), cfg.Train.Epochs, nil); err != nil {
		t.Fatal(err)
	}
	return tr, nz, raw
}

func exportCases() []struct {
	name string
	cfg  Config
	data *Dataset
} {
	adam := OptimizerConfig{Name: "adam", LearningRate: 0.01}
	return []struct {
		name string
		cfg  Config
		data *Dataset
	}{
		{"mlp", Config{Model: MLPConfig{Hidden: []int{16, 8}}, Optimizer: adam,
			Train: TrainConfig{Epochs: 3, BatchSize: 32, Seed: 3}}, Spirals(300, 3, 0.1, 1)},
		{"batchnorm-dropout-gelu", Config{Model: MLPConfig{Hidden: []int{12}, BatchNorm: true, Dropout: 0.2, Activation: "gelu"},
			Optimizer: adam, Train: TrainConfig{Epochs: 2, BatchSize: 16, Seed: 4}}, Spirals(600, 2, 0.1, 2)},
		{"regression", Config{Model: MLPConfig{Hidden: []int{8}, Activation: "tanh"}, Optimizer: adam,
			Train: TrainConfig{Epochs: 2, BatchSize: 32, Seed: 5}}, Friedman1(200, 5, 0.1, 3)},
		{"linear-bce", Config{Model: MLPConfig{}, Optimizer: adam,
			Train: TrainConfig{Epochs: 2, BatchSize: 32, Seed: 6, Loss: "binary_cross_entropy"}}, Moons(200, 0.1, 4)},
	}
}

// TestModelRoundTrip checks that a written and loaded model predicts bit
// for bit what its trainer predicts, and scores the loss the trainer
// measures.
func TestModelRoundTrip(t *testing.T) {
	for _, c := range append(exportCases(), cnnExportCases()...) {
		t.Run(c.name, func(t *testing.T) {
			tr, nz, raw := trainForExport(t, c.cfg, c.data)
			info := ModelInfo{Study: "s", Trial: 7, Params: map[string]string{"lr": "0.01"}, Seed: c.cfg.Train.Seed, Epochs: tr.Epoch()}
			m, err := tr.Model(nz, info)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if _, err := m.WriteTo(&buf); err != nil {
				t.Fatal(err)
			}
			got, err := LoadModel(bytes.NewReader(buf.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			want := tr.Predict(tr.val.X)
			p, err := got.Predict(raw.X)
			if err != nil {
				t.Fatal(err)
			}
			if p.Rows != want.Rows || p.Cols != want.Cols || p.Rows != raw.Len() {
				t.Fatalf("Predict is %dx%d, the trainer's %dx%d", p.Rows, p.Cols, want.Rows, want.Cols)
			}
			for i, v := range want.Data {
				if math.Float32bits(p.Data[i]) != math.Float32bits(v) {
					t.Fatalf("prediction %d = %v, the trainer's %v", i, p.Data[i], v)
				}
			}
			tm, err := tr.Evaluate(tr.val)
			if err != nil {
				t.Fatal(err)
			}
			e, err := got.Evaluate(raw)
			if err != nil {
				t.Fatal(err)
			}
			if e.Loss != tm.Loss || (tm.HasAccuracy && e.Accuracy != tm.Accuracy) {
				t.Errorf("Evaluate: loss %v accuracy %v, the trainer's %v %v", e.Loss, e.Accuracy, tm.Loss, tm.Accuracy)
			}
			if got.Info.Study != "s" || got.Info.Trial != 7 || got.Info.Params["lr"] != "0.01" || got.Info.Epochs != c.cfg.Train.Epochs {
				t.Errorf("Info = %+v", got.Info)
			}
			if got.Task() != c.data.Task || got.Classes() != c.data.Classes || got.Inputs() != c.data.X.Cols {
				t.Errorf("loaded %v, %d classes, %d inputs; want %v, %d, %d", got.Task(), got.Classes(), got.Inputs(),
					c.data.Task, c.data.Classes, c.data.X.Cols)
			}
			// Writing the loaded model gives the same bytes.
			var again bytes.Buffer
			if _, err := got.WriteTo(&again); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(again.Bytes(), buf.Bytes()) {
				t.Error("a loaded model writes different bytes")
			}
		})
	}
}

func TestModelEvaluateClassification(t *testing.T) {
	c := exportCases()[0]
	tr, nz, raw := trainForExport(t, c.cfg, c.data)
	m, err := tr.Model(nz, ModelInfo{Trial: -1})
	if err != nil {
		t.Fatal(err)
	}
	e, err := m.Evaluate(raw)
	if err != nil {
		t.Fatal(err)
	}
	total, diag := 0, 0
	for i, row := range e.Confusion {
		for j, v := range row {
			total += v
			if i == j {
				diag += v
			}
		}
	}
	if total != raw.Len() || e.Samples != raw.Len() || float64(diag)/float64(total) != e.Accuracy {
		t.Errorf("confusion matrix of %d samples, %d on the diagonal; accuracy %v of %d samples", total, diag, e.Accuracy, raw.Len())
	}
	c1 := e.Confusion[1]
	if len(e.Precision) != 3 || len(e.Recall) != 3 || e.Recall[1] != float64(c1[1])/float64(c1[0]+c1[1]+c1[2]) ||
		e.Precision[2] != float64(e.Confusion[2][2])/float64(e.Confusion[0][2]+e.Confusion[1][2]+e.Confusion[2][2]) {
		t.Errorf("confusion %v: precision %v, recall %v", e.Confusion, e.Precision, e.Recall)
	}
	// The wrong number of features is an error that says so.
	wide := &Dataset{X: NewTensor(2, 5), Y: NewTensor(2, 1), Task: Classification, Classes: 3}
	if _, err := m.Evaluate(wide); err == nil || !strings.Contains(err.Error(), "5 features per sample, the model takes 2") {
		t.Errorf("Evaluate on 5 features: %v", err)
	}
	if _, err := m.Predict(NewTensor(1, 3)); err == nil || !strings.Contains(err.Error(), "3 features per sample, the model takes 2") {
		t.Errorf("Predict on 3 features: %v", err)
	}
}

func tinyModelFile(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/tiny.dltm")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestModelFileV1 pins format 1: a file written when it was introduced
// still loads and predicts the same.
func TestModelFileV1(t *testing.T) {
	m, err := LoadModel(bytes.NewReader(tinyModelFile(t)))
	if err != nil {
		t.Fatal(err)
	}
	if m.Inputs() != 2 || m.Classes() != 3 || m.Info.Trial != 7 || m.Normalizer().Method != NormalizeStandardize {
		t.Fatalf("loaded %d inputs, %d classes, info %+v", m.Inputs(), m.Classes(), m.Info)
	}
	p, err := m.Predict(&Tensor{Rows: 1, Cols: 2, Data: []float32{0.5, -0.25}})
	if err != nil {
		t.Fatal(err)
	}
	var s float32
	for _, v := range p.Data {
		s += v
	}
	if math.Abs(float64(s)-1) > 1e-6 {
		t.Errorf("probabilities %v sum to %v", p.Data, s)
	}
}

func TestLoadModelErrors(t *testing.T) {
	good := tinyModelFile(t)
	flip := slices.Clone(good)
	flip[len(flip)/2] ^= 1
	newer := slices.Clone(good)
	newer[4] = ModelFormat + 1
	for _, c := range []struct {
		name, want string
		b          []byte
	}{
		{"empty", "not a dltune model file", nil},
		{"checkpoint", "not a dltune model file", []byte("DLTC\x01\x00")},
		{"flipped bit", "checksum mismatch", flip},
		{"truncated", "checksum mismatch", good[:len(good)-9]},
		{"newer", "format 2, this dltune reads up to 1; upgrade dltune", newer},
	} {
		_, err := LoadModel(bytes.NewReader(c.b))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.name, err, c.want)
		}
		if c.name == "newer" && !errors.Is(err, ErrModelVersion) {
			t.Errorf("newer: err = %v, want ErrModelVersion", err)
		}
	}
}

// TestWriteTinyModel rewrites testdata/tiny.dltm when run with
// DLTUNE_WRITE_TINY_MODEL=1; the file must not change otherwise.
func TestWriteTinyModel(t *testing.T) {
	if os.Getenv("DLTUNE_WRITE_TINY_MODEL") == "" {
		t.Skip("set DLTUNE_WRITE_TINY_MODEL=1 to rewrite testdata/tiny.dltm")
	}
	c := exportCases()[0]
	c.cfg.Model.Hidden = []int{4}
	tr, nz, _ := trainForExport(t, c.cfg, c.data)
	m, err := tr.Model(nz, ModelInfo{Study: "tiny", Trial: 7, Params: map[string]string{"lr": "0.01"}, Seed: 3, Epochs: 3, ValLoss: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("testdata/tiny.dltm", b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("testdata/tiny-cnn.dltm", tinyCNNFile(t), 0o644); err != nil {
		t.Fatal(err)
	}
}

func FuzzLoadModel(f *testing.F) {
	good := tinyModelFile(f)
	f.Add(good, true)
	cnn, err := os.ReadFile("testdata/tiny-cnn.dltm")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(cnn, true)
	f.Add(cnn[:len(cnn)-20], true)
	f.Add(good[:len(good)/2], true)
	f.Add([]byte("DLTM\x01\x00"), false)
	f.Add(good[:len(good)-4], true)
	f.Fuzz(func(t *testing.T, b []byte, fixSum bool) {
		// Most mutations fail the checksum; fixSum lets the fuzzer past it
		// to the header and tensors.
		if fixSum && len(b) >= 4 {
			b = binary.LittleEndian.AppendUint32(slices.Clip(b[:len(b)-4]), crc32.Checksum(b[:len(b)-4], ckptTable))
		}
		m, err := unmarshalModel(b)
		if err != nil {
			if m != nil {
				t.Fatal("a model and an error")
			}
			return
		}
		// A model that loads predicts, and writes back the same bytes.
		x := NewTensor(3, m.Inputs())
		p, err := m.Predict(x)
		if err != nil || p.Rows != 3 || p.Cols != m.Outputs() {
			t.Fatalf("Predict: %v", err)
		}
		again, err := m.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := unmarshalModel(again); err != nil {
			t.Fatalf("a loaded model writes a file that does not load: %v", err)
		}
	})
}

func TestRegressionScores(t *testing.T) {
	z := &Tensor{Rows: 4, Cols: 1, Data: []float32{1, 2, 3, 5}}
	y := &Tensor{Rows: 4, Cols: 1, Data: []float32{1, 2, 3, 4}}
	rmse, mae, r2 := regressionScores(z, y)
	// Errors 0, 0, 0, 1; targets' mean 2.5, total sum of squares 5.
	if rmse != 0.5 || mae != 0.25 || r2 != 1-1.0/5 {
		t.Errorf("rmse %v, mae %v, r2 %v; want 0.5, 0.25, 0.8", rmse, mae, r2)
	}
	c := exportCases()[2]
	tr, nz, raw := trainForExport(t, c.cfg, c.data)
	m, err := tr.Model(nz, ModelInfo{Trial: -1})
	if err != nil {
		t.Fatal(err)
	}
	e, err := m.Evaluate(raw)
	if err != nil {
		t.Fatal(err)
	}
	// mse is the mean squared error over one output: RMSE², up to float32 sums.
	if math.Abs(e.RMSE*e.RMSE-e.Loss) > 1e-5*e.Loss || e.MAE <= 0 || e.MAE > e.RMSE || e.R2 >= 1 || e.Confusion != nil {
		t.Errorf("regression evaluation %+v", e)
	}
}

// TestModelShape checks that the shape of IDX images travels with the
// model.
func TestModelShape(t *testing.T) {
	d := Blobs(60, 2, 6, 0.1, 1)
	d.Shape = []int{2, 3}
	tr, err := NewTrainer(Config{Optimizer: OptimizerConfig{Name: "sgd", LearningRate: 0.1}, Train: TrainConfig{Epochs: 1, BatchSize: 16}}, d, d)
	if err != nil {
		t.Fatal(err)
	}
	m, err := tr.Model(nil, ModelInfo{Trial: -1})
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
	if !slices.Equal(got.Shape(), []int{2, 3}) {
		t.Errorf("shape %v, want [2 3]", got.Shape())
	}
}

// TestPredictRowsIndependent checks that a sample's prediction does not
// depend on how many samples are predicted with it, bit for bit: Predict
// may cut its input into chunks of any size.
func TestPredictRowsIndependent(t *testing.T) {
	for _, c := range exportCases() {
		tr, nz, raw := trainForExport(t, c.cfg, c.data)
		m, err := tr.Model(nz, ModelInfo{Trial: -1})
		if err != nil {
			t.Fatal(err)
		}
		all, err := m.Predict(raw.X)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range []int{1, 3, 17} {
			x := &Tensor{Rows: k, Cols: raw.X.Cols, Data: raw.X.Data[:k*raw.X.Cols]}
			p, err := m.Predict(x)
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range p.Data {
				if math.Float32bits(v) != math.Float32bits(all.Data[i]) {
					t.Fatalf("%s: value %d of the first %d rows is %v, predicted with all rows %v", c.name, i, k, v, all.Data[i])
				}
			}
		}
	}
	// A wide layer predicts in fewer rows at once.
	if r := predictRows(&MLPConfig{Inputs: 1, Hidden: []int{1 << 20}, Outputs: 1}, 3<<20); r != 11 {
		t.Errorf("predictRows of a 1-2^20-1 network = %d, want 11 (4×3·2^20 weights over 2^20+2 units)", r)
	}
}
