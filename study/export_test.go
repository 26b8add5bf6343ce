package study

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/dltune/dltune/core"
)

const exportStudy = `name: exp
seed: 7
data:
  kind: synthetic
  synthetic: {generator: spirals, samples: 200, noise: 0.1}
  validation: 0.25
  normalize: standardize
model: {hidden: [$width], batch_norm: true, dropout: 0.1}
train: {epochs: 5, batch_size: 16, learning_rate: $lr, optimizer: adam}
space:
  lr:    {float: [1e-3, 1e-1], log: true}
  width: {int: [4, 16]}
search: {strategy: random, trials: 3}
`

// TestExportReplaysTheBestEpoch exports the best trial of a study and
// checks that the model scores, on the raw validation data, exactly the
// validation loss the trial stored for its best epoch.
func TestExportReplaysTheBestEpoch(t *testing.T) {
	ctx := context.Background()
	st := newMemStore()
	spec := parse(t, exportStudy)
	p, err := Prepare(ctx, spec, PrepareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Run(ctx, st, Options{}); err != nil {
		t.Fatal(err)
	}
	trials, err := st.Trials(ctx, "exp")
	if err != nil {
		t.Fatal(err)
	}
	best, err := Best(spec, trials)
	if err != nil {
		t.Fatal(err)
	}
	if l := best.Loss(); l > trials[0].Loss() || l > trials[1].Loss() || l > trials[2].Loss() {
		t.Fatalf("Best chose trial %d of loss %v", best.Number, l)
	}
	var epochs []int
	m, err := Export(ctx, spec, best, ExportOptions{Progress: func(e core.EpochStats, n int) { epochs = append(epochs, e.Epoch) }})
	if err != nil {
		t.Fatal(err)
	}
	be := BestEpoch(best)
	if len(epochs) != be || m.Info.Epochs != be || m.Info.Trial != best.Number || m.Info.Study != "exp" || m.Info.Refit {
		t.Fatalf("replayed epochs %v, info %+v; want %d epochs of trial %d", epochs, m.Info, be, best.Number)
	}
	raw := *spec
	raw.Data.Normalize = core.NormalizeNone
	_, val, err := loadData(ctx, &raw, MemoryLimit{})
	if err != nil {
		t.Fatal(err)
	}
	e, err := m.Evaluate(val)
	if err != nil {
		t.Fatal(err)
	}
	if e.Loss != best.Curve[be-1].ValLoss || e.Accuracy != best.Curve[be-1].ValAccuracy {
		t.Errorf("exported model: loss %v accuracy %v; trial %d at epoch %d: %v %v",
			e.Loss, e.Accuracy, best.Number, be, best.Curve[be-1].ValLoss, best.Curve[be-1].ValAccuracy)
	}

	// A stored curve the replay cannot reproduce is refused.
	bent := best.Clone()
	bent.Curve[0].ValLoss += 1e-9
	if _, err := Export(ctx, spec, bent, ExportOptions{}); !errors.Is(err, ErrReplay) {
		t.Errorf("export of a trial whose curve differs: %v, want ErrReplay", err)
	}

	// A refit trains on all the data for the epochs asked.
	epochs = nil
	r, err := Export(ctx, spec, best, ExportOptions{Refit: true, Epochs: 2, Progress: func(e core.EpochStats, n int) { epochs = append(epochs, n) }})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Info.Refit || r.Info.Epochs != 2 || len(epochs) != 2 || epochs[0] != 2 {
		t.Errorf("refit: info %+v, progress %v", r.Info, epochs)
	}
	if r.Normalizer().Offset[0] == m.Normalizer().Offset[0] {
		t.Error("refit normalizer equals the training split's: not fitted on all the data")
	}
}

// TestLoadTestDataShape checks that IDX images of another size are refused
// with the file's name and the model's input size.
func TestLoadTestDataShape(t *testing.T) {
	d := core.Blobs(60, 4, 5, 0.1, 1)
	tr, err := core.NewTrainer(core.Config{Optimizer: core.OptimizerConfig{Name: "sgd", LearningRate: 0.1},
		Train: core.TrainConfig{Epochs: 1, BatchSize: 16}}, d, d)
	if err != nil {
		t.Fatal(err)
	}
	m, err := tr.Model(nil, core.ModelInfo{Trial: -1})
	if err != nil {
		t.Fatal(err)
	}
	images := "../core/testdata/idx/images-idx3-ubyte"
	_, err = LoadTestData(m, []string{images, "../core/testdata/idx/labels-idx1-ubyte"}, 0)
	if err == nil || err.Error() != images+": samples of 6 values; the model takes 5" {
		t.Errorf("IDX of 2x3 images for a model of 5 inputs: %v", err)
	}
	if _, err := LoadTestData(m, []string{"a.csv"}, 0); err == nil || !strings.Contains(err.Error(), "a.csv: the model was not trained on CSV data") {
		t.Errorf("CSV for a model without a target column: %v", err)
	}
}
