package trial

import (
	"context"
	"math"
	"testing"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/core"
)

// cnn returns a tiny CNN with one convolution of filters 3×3 filters, and
// blobs as data, each sample read as a channels×side×side image.
func cnn(t *testing.T, channels, side, filters int) (core.Config, *core.Dataset, *core.Dataset) {
	t.Helper()
	train, val, err := core.Split(core.Blobs(120, 3, channels*side*side, 1, 4), 0.25, 1)
	if err != nil {
		t.Fatal(err)
	}
	cfg := core.Config{
		Model: core.MLPConfig{Hidden: []int{8}},
		Conv: &core.ConvConfig{Channels: channels, Height: side, Width: side,
			Blocks: []core.ConvBlock{{Filters: filters, Kernel: 3, Padding: 1}}},
		Optimizer: core.OptimizerConfig{Name: "adam", LearningRate: 0.01},
		Train:     core.TrainConfig{Epochs: 4, BatchSize: 16},
	}
	return cfg, train, val
}

// weightsAt returns the first convolution's weights in checkpoint ckpt.
func weightsAt(t *testing.T, cfg core.Config, train, val *core.Dataset, ckpt []byte) ([]float32, [4]int) {
	t.Helper()
	tr, err := core.NewTrainer(cfg, train, val)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.UnmarshalBinary(ckpt); err != nil {
		t.Fatal(err)
	}
	return tr.FirstConvWeights()
}

func sameBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

// TestRunFilters checks that a CNN trial returns its first convolution's
// weights after its last epoch, complete, pruned or resumed, and that an
// MLP trial returns none.
func TestRunFilters(t *testing.T) {
	cfg, train, val := cnn(t, 1, 4, 3)
	var epochs []dltune.Epoch
	var ckpts [][]byte
	res, err := Run(context.Background(), cfg, train, val, &Job{Seed: 2, Until: 4, Report: collect(&epochs, &ckpts, -1)})
	if err != nil || res.Epochs != 4 {
		t.Fatalf("Run = %+v, %v", res, err)
	}
	f := res.Filters
	if f == nil || f.Shape != [4]int{3, 1, 3, 3} || f.Epoch != 4 || f.Check() != nil {
		t.Fatalf("filters %+v", f)
	}
	want, shape := weightsAt(t, cfg, train, val, ckpts[3])
	if shape != f.Shape || !sameBits(f.Data, want) {
		t.Errorf("filters %v %v, the model's after epoch 4 %v %v", f.Shape, f.Data, shape, want)
	}
	if first, _ := weightsAt(t, cfg, train, val, ckpts[0]); sameBits(first, want) {
		t.Fatal("the weights did not change between epochs 1 and 4: the test proves nothing")
	}

	t.Run("pruned", func(t *testing.T) {
		var epochs []dltune.Epoch
		var ckpts [][]byte
		res, err := Run(context.Background(), cfg, train, val, &Job{Seed: 2, Until: 4, Report: collect(&epochs, &ckpts, 2)})
		if err != nil || !res.Pruned || res.Filters == nil || res.Filters.Epoch != 2 {
			t.Fatalf("Run = %+v, %v", res, err)
		}
		if want, _ := weightsAt(t, cfg, train, val, ckpts[1]); !sameBits(res.Filters.Data, want) {
			t.Errorf("filters %v, the model's after epoch 2 %v", res.Filters.Data, want)
		}
	})
	t.Run("resumed", func(t *testing.T) {
		// From the checkpoint after epoch 2: the same filters bit for bit.
		var rest []dltune.Epoch
		var more [][]byte
		job := &Job{Seed: 2, Done: 2, Checkpoint: ckpts[1], Until: 4, Report: collect(&rest, &more, -1)}
		res, err := Run(context.Background(), cfg, train, val, job)
		if err != nil || res.Filters == nil || res.Filters.Epoch != 4 || !sameBits(res.Filters.Data, f.Data) {
			t.Fatalf("Run = %+v, %v; want the uninterrupted filters %v", res, err, f.Data)
		}
	})
	t.Run("too large to keep", func(t *testing.T) {
		cfg, train, val := cnn(t, 16, 2, 128) // 128×16×3×3 = 18432 weights
		cfg.Train.Epochs = 1
		res, err := Run(context.Background(), cfg, train, val, &Job{Seed: 2, Until: 1})
		if err != nil || res.Filters == nil {
			t.Fatalf("Run = %+v, %v", res, err)
		}
		if f := res.Filters; f.Shape != [4]int{128, 16, 3, 3} || f.Data != nil || f.Check() != nil {
			t.Errorf("filters of shape %v with %d weights, want 128x16x3x3 without weights", f.Shape, len(f.Data))
		}
	})
	t.Run("mlp", func(t *testing.T) {
		train, val := spirals(t)
		res, err := Run(context.Background(), config(0.01), train, val, &Job{Seed: 1, Until: 1})
		if err != nil || res.Epochs != 1 || res.Filters != nil {
			t.Errorf("Run = %+v, %v; want no filters", res, err)
		}
	})
}
