package trial

import (
	"context"
	"errors"
	"testing"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/core"
)

func spirals(t *testing.T) (train, val *core.Dataset) {
	t.Helper()
	d := core.Spirals(400, 2, 0.1, 1)
	train, val, err := core.Split(d, 0.25, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := core.Normalize("standardize", train, val); err != nil {
		t.Fatal(err)
	}
	return train, val
}

func config(lr float64) core.Config {
	return core.Config{
		Model:     core.MLPConfig{Hidden: []int{16, 16}},
		Optimizer: core.OptimizerConfig{Name: "adam", LearningRate: lr},
		Train:     core.TrainConfig{Epochs: 6, BatchSize: 32},
	}
}

// collect returns a Report that records epochs and checkpoints.
func collect(epochs *[]dltune.Epoch, ckpts *[][]byte, stopAt int) func(dltune.Epoch, State) (bool, error) {
	return func(e dltune.Epoch, s State) (bool, error) {
		c, err := s.Checkpoint()
		if err != nil {
			return false, err
		}
		*epochs = append(*epochs, e)
		*ckpts = append(*ckpts, c)
		return len(*epochs) == stopAt, nil
	}
}

func TestRunResumesExactly(t *testing.T) {
	train, val := spirals(t)
	var whole []dltune.Epoch
	var ckpts [][]byte
	job := &Job{Number: 1, Seed: 9, Until: 6, Report: collect(&whole, &ckpts, -1)}
	res, err := Run(context.Background(), config(0.01), train, val, job)
	if err != nil || res.Epochs != 6 || res.Pruned || res.EarlyStopped {
		t.Fatalf("Run = %+v, %v", res, err)
	}
	if len(whole) != 6 || len(whole[0].Layers) != 3 || !whole[0].HasAccuracy {
		t.Fatalf("reported %d epochs, first %+v", len(whole), whole[0])
	}

	// Continue from the checkpoint after epoch 3: the same epochs 4..6.
	var rest []dltune.Epoch
	var more [][]byte
	job = &Job{Number: 1, Seed: 9, Done: 3, Checkpoint: ckpts[2], Until: 6, Report: collect(&rest, &more, -1)}
	if _, err := Run(context.Background(), config(0.01), train, val, job); err != nil {
		t.Fatal(err)
	}
	for i, e := range rest {
		w := whole[3+i]
		if e.TrainLoss != w.TrainLoss || e.ValLoss != w.ValLoss || e.ValAccuracy != w.ValAccuracy {
			t.Errorf("resumed epoch %d: losses %v/%v, uninterrupted %v/%v", 4+i, e.TrainLoss, e.ValLoss, w.TrainLoss, w.ValLoss)
		}
	}
}

func TestRunEnds(t *testing.T) {
	train, val := spirals(t)
	var epochs []dltune.Epoch
	var ckpts [][]byte

	res, err := Run(context.Background(), config(0.01), train, val, &Job{Seed: 1, Until: 6, Report: collect(&epochs, &ckpts, 2)})
	if err != nil || !res.Pruned || res.Epochs != 2 {
		t.Errorf("pruned after 2 epochs: Run = %+v, %v", res, err)
	}

	huge := config(1e6)
	huge.Optimizer.Name = "sgd"
	_, err = Run(context.Background(), huge, train, val, &Job{Seed: 1, Until: 6})
	var div *core.DivergenceError
	if !errors.As(err, &div) {
		t.Errorf("sgd at learning rate 1e6: err = %v, want a divergence", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	epochs = nil
	res, err = Run(ctx, config(0.01), train, val, &Job{Seed: 1, Until: 6, Report: func(e dltune.Epoch, _ State) (bool, error) {
		epochs = append(epochs, e)
		cancel()
		return false, nil
	}})
	if !errors.Is(err, context.Canceled) || res.Checkpoint == nil || res.Epochs != 1 {
		t.Errorf("cancelled: Run = %+v epochs, checkpoint %v, %v; want 1 epoch, a checkpoint and context.Canceled", res.Epochs, res.Checkpoint != nil, err)
	}

	_, err = Run(context.Background(), config(0.01), train, val, &Job{Seed: 1, Done: 2, Until: 6})
	if err == nil {
		t.Error("2 epochs done without a checkpoint: no error")
	}
	bad := config(0.01)
	bad.Model.Activation = "swish"
	if _, err := Run(context.Background(), bad, train, val, &Job{Until: 1}); err == nil {
		t.Error("unknown activation: no error")
	}
}
