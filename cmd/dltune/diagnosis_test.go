package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/store"
)

// TestShowDiagnosis checks that show prints a trial's diagnosis, after its
// diagnostics, and no diagnosis section for the healthy fixture trial.
func TestShowDiagnosis(t *testing.T) {
	path := filepath.Join(t.TempDir(), "diag.db")
	db, err := store.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	src, _ := os.ReadFile("testdata/tiny.yaml")
	if err := db.CreateStudy(ctx, &dltune.Study{Name: "tiny", File: "testdata/tiny.yaml", Spec: src, Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	var curve []dltune.Epoch
	for i := range 6 {
		curve = append(curve, dltune.Epoch{Epoch: i + 1, TrainLoss: 0.69 - 0.001*float64(i), ValLoss: 0.7, LearningRate: 0.001, Layers: []dltune.LayerStats{
			{Name: "dense1", GradRMS: 1e-6, DeadFraction: 0.6},
			{Name: "dense2", GradRMS: 1e-2},
		}})
	}
	tr := &dltune.Trial{State: dltune.Complete, Budget: 6, RetryOf: -1, Curve: curve,
		Params: dltune.Params{"lr": dltune.Float(0.001), "width": dltune.Int(4), "act": dltune.String("relu")}}
	if err := db.CreateTrial(ctx, "tiny", tr); err != nil {
		t.Fatal(err)
	}
	db.Close()
	code, out, errs := cli(t, ctx, "show", "0", "--storage", path)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	want := `
diagnosis
  vanishing gradients in dense1 from epoch 1: at epoch 6 grad_rms dense1 1e-06 (since epoch 1), below 0.01 of the output layer dense2's 0.01
  dead ReLUs in dense1 from epoch 1: at epoch 6 60% of dense1's units (since epoch 1) output zero for every sample of the last batch
  underfitting from epoch 1: train_loss fell only from 0.69 to 0.685 (-1%) over 6 epochs, and val_loss is 0.7
`
	if !strings.Contains(out, want) {
		t.Errorf("show printed\n%s\nwant it to contain%s", out, want)
	}
	if i, j := strings.Index(out, "gradient flow"), strings.Index(out, "diagnosis"); i < 0 || j < i {
		t.Errorf("diagnosis at %d, gradient flow at %d: want the diagnosis after the diagnostics", j, i)
	}
	code, out, _ = cli(t, ctx, "show", "0", "--storage", fixtureStore(t))
	if code != 0 || strings.Contains(out, "diagnosis") {
		t.Errorf("healthy fixture trial: exit %d, printed a diagnosis:\n%s", code, out)
	}
}
