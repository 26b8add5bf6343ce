package core

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// bars returns n size×size one-channel images of a short bar, horizontal,
// vertical, diagonal or anti-diagonal (the class), at a random place, on
// noise. The bars move, so the task rewards features that see an
// orientation anywhere, which is what convolutions learn.
func bars(n, size int, seed uint64) *Dataset {
	rng := rand.New(rand.NewPCG(seed, 7))
	d := newSynth(n, size*size, 1, Classification, 4)
	const length = 5
	dirs := [4][2]int{{0, 1}, {1, 0}, {1, 1}, {1, -1}}
	for i := range n {
		c := rng.IntN(4)
		x := d.X.Row(i)
		for j := range x {
			x[j] = float32(0.3 * rng.Float64())
		}
		dy, dx := dirs[c][0], dirs[c][1]
		y0 := rng.IntN(size - dy*(length-1))
		x0 := rng.IntN(size-length+1) + max(0, -dx)*(length-1)
		if dx == 0 {
			x0 = rng.IntN(size)
		}
		for k := range length {
			x[(y0+k*dy)*size+x0+k*dx] = 1
		}
		d.Y.Set(i, 0, float32(c))
	}
	return d
}

// smallCNN is the reference network scaled to size×size images.
func smallCNN(size int) *ConvConfig {
	return &ConvConfig{Height: size, Width: size, Blocks: []ConvBlock{
		{Filters: 8, Kernel: 3, Padding: 1, Pool: "max"},
		{Filters: 16, Kernel: 3, Padding: 1, Pool: "max"},
	}}
}

func TestConvLearnsBars(t *testing.T) {
	train, val := bars(1500, 12, 1), bars(300, 12, 2)
	for _, c := range []struct {
		name string
		conv *ConvConfig
	}{
		{"plain", smallCNN(12)},
		{"residual batchnorm", &ConvConfig{Height: 12, Width: 12, GlobalPool: true, Blocks: []ConvBlock{
			{Filters: 8, Kernel: 3, Padding: 1, BatchNorm: true},
			{Filters: 12, Kernel: 3, Stride: 2, Residual: true},
			{Filters: 12, Kernel: 3, Residual: true, Pool: "avg"},
		}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := Config{Conv: c.conv,
				Optimizer: OptimizerConfig{Name: "adam", LearningRate: 3e-3},
				Train:     TrainConfig{Epochs: 3, BatchSize: 32, Seed: 3}}
			stats, tr := fitAll(t, cfg, train, val)
			last := stats[len(stats)-1]
			t.Logf("validation accuracy by epoch: %.3f %.3f %.3f", stats[0].ValAccuracy, stats[1].ValAccuracy, last.ValAccuracy)
			if last.ValAccuracy < 0.95 {
				t.Errorf("validation accuracy %.3f after %d epochs, want >= 0.95", last.ValAccuracy, last.Epoch)
			}
			// The diagnostics cover every convolution and dense layer.
			var names []string
			for _, l := range last.Layers {
				names = append(names, l.Name)
				if !(l.GradRMS > 0) || len(l.GradHist) != histBuckets {
					t.Errorf("%s: no gradient statistics: %+v", l.Name, l)
				}
			}
			if len(last.Layers) != len(tr.model.weighted) || !strings.HasPrefix(names[0], "conv1") || names[len(names)-1] != "dense1" {
				t.Errorf("layer stats for %v", names)
			}
		})
	}
}

// TestConvDenseAgree checks that a CNN whose one convolution is 1×1 over a
// one-pixel image trains as the MLP with the same weights: the model
// assembly, flattening and the convolution's products agree with dense
// layers.
func TestConvDenseAgree(t *testing.T) {
	train, val := holdOut(Spirals(200, 3, 0.05, 4), 0.25)
	mlp := Config{Model: MLPConfig{Hidden: []int{8, 6}},
		Optimizer: OptimizerConfig{Name: "adam", LearningRate: 0.01},
		Train:     TrainConfig{Epochs: 3, BatchSize: 16, Seed: 2}}
	cnn := mlp
	cnn.Model.Hidden = []int{6}
	cnn.Conv = &ConvConfig{Channels: 2, Height: 1, Width: 1, Blocks: []ConvBlock{{Filters: 8, Kernel: 1}}}
	a, err := NewTrainer(mlp, train, val)
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewTrainer(cnn, train, val)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.model.w) != len(b.model.w) {
		t.Fatalf("slabs of %d and %d floats", len(a.model.w), len(b.model.w))
	}
	copy(b.model.w, a.model.w)
	// The convolution's weight is filters×inputs, the dense layer's
	// inputs×outputs.
	dw, cw := a.model.weighted[0].w.w, b.model.weighted[0].w.w
	for i := range 2 {
		for j := range 8 {
			cw[j*2+i] = dw[i*8+j]
		}
	}
	want, err := runStats(t, a, context.Background(), 3)
	if err != nil {
		t.Fatal(err)
	}
	got, err := runStats(t, b, context.Background(), 3)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		w, g := want[i], got[i]
		if d := g.TrainLoss - w.TrainLoss; d > 1e-5 || d < -1e-5 || g.ValAccuracy != w.ValAccuracy {
			t.Errorf("epoch %d: CNN train loss %v, accuracy %v; MLP %v, %v", i+1, g.TrainLoss, g.ValAccuracy, w.TrainLoss, w.ValAccuracy)
		}
	}
	if got[0].Layers[0].Name != "conv1" || want[0].Layers[0].Name != "dense1" {
		t.Errorf("first layers %s and %s", got[0].Layers[0].Name, want[0].Layers[0].Name)
	}
}

func TestConvConfigErrors(t *testing.T) {
	train, val := bars(64, 12, 1), bars(16, 12, 2)
	for _, c := range []struct {
		name string
		conv ConvConfig
		want string
	}{
		{"shape", ConvConfig{Height: 12, Width: 11, Blocks: []ConvBlock{{Filters: 4, Kernel: 3}}},
			"model.input: a 1x12x11 image has 132 values, the data 144 features"},
		{"no shape", ConvConfig{Blocks: []ConvBlock{{Filters: 4, Kernel: 3}}},
			"model.input: not set, and the data has no image shape (CSV data has none); give channels, height and width"},
		{"height only", ConvConfig{Height: 12, Blocks: []ConvBlock{{Filters: 4, Kernel: 3}}}, "model.input: 1x12x0"},
		{"no blocks", ConvConfig{Height: 12, Width: 12}, "model.blocks: "},
		{"filters", ConvConfig{Height: 12, Width: 12, Blocks: []ConvBlock{{Kernel: 3}}}, "model.blocks[0].filters: 0 is not"},
		{"kernel too large", ConvConfig{Height: 12, Width: 12, Blocks: []ConvBlock{{Filters: 4, Kernel: 3, Pool: "max", PoolSize: 4}, {Filters: 4, Kernel: 5}}},
			"model.blocks[1].kernel: a 5x5 kernel (dilation 1, padding 0) does not fit the 2x2 input of block 1"},
		{"dilated", ConvConfig{Height: 12, Width: 12, Blocks: []ConvBlock{{Filters: 4, Kernel: 3, Dilation: 6}}},
			"model.blocks[0].kernel: a 3x3 kernel (dilation 6, padding 0) does not fit"},
		{"pool below 1x1", ConvConfig{Height: 12, Width: 12, Blocks: []ConvBlock{{Filters: 4, Kernel: 3, Stride: 4, Pool: "max", PoolSize: 4}}},
			"model.blocks[0].pool_size: a 4x4 window does not fit the 3x3 output of the block's convolution"},
		{"pool name", ConvConfig{Height: 12, Width: 12, Blocks: []ConvBlock{{Filters: 4, Kernel: 3, Pool: "min"}}},
			`model.blocks[0].pool: unknown pooling "min" (want max or avg)`},
		{"pool size without pool", ConvConfig{Height: 12, Width: 12, Blocks: []ConvBlock{{Filters: 4, Kernel: 3, PoolSize: 2}}},
			"model.blocks[0].pool_size: set without model.blocks[0].pool"},
		{"residual even", ConvConfig{Height: 12, Width: 12, Blocks: []ConvBlock{{Filters: 4, Kernel: 2, Residual: true}}},
			"model.blocks[0].kernel: a residual block needs an odd kernel size"},
		{"residual padding", ConvConfig{Height: 12, Width: 12, Blocks: []ConvBlock{{Filters: 4, Kernel: 3, Padding: 1, Residual: true}}},
			"model.blocks[0].padding: a residual block pads"},
		{"dropout", ConvConfig{Height: 12, Width: 12, Blocks: []ConvBlock{{Filters: 4, Kernel: 3, Dropout: 1}}},
			"model.blocks[0].dropout: 1 is not in [0, 1)"},
		{"huge", ConvConfig{Height: 12, Width: 12, Blocks: []ConvBlock{{Filters: 1 << 27, Kernel: 1}}},
			"model.blocks[0].filters: the block's output of 134217728 channels of 12x12 is too large"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := Config{Conv: &c.conv, Optimizer: OptimizerConfig{Name: "sgd", LearningRate: 0.1},
				Train: TrainConfig{Epochs: 1, BatchSize: 8}}
			_, err := NewTrainer(cfg, train, val)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("NewTrainer = %v, want an error containing %q", err, c.want)
			}
			if _, err := cfg.EstimateMemory(ShapeOf(train, val)); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("EstimateMemory = %v, want an error containing %q", err, c.want)
			}
		})
	}
}

// convCkptConfigs are CNNs for the checkpoint tests, with the data they
// train on.
func convCkptConfigs() map[string]Config {
	base := func(opt OptimizerConfig, conv *ConvConfig, m MLPConfig) Config {
		return Config{Model: m, Conv: conv, Optimizer: opt,
			Schedule: ScheduleConfig{Kind: "cosine", WarmupEpochs: 1},
			Train:    TrainConfig{Epochs: 4, BatchSize: 16, Seed: 5, Patience: 10}}
	}
	return map[string]Config{
		"cnn adam": base(OptimizerConfig{Name: "adam", LearningRate: 0.003}, smallCNN(12), MLPConfig{}),
		"cnn augment": func() Config {
			c := base(OptimizerConfig{Name: "adam", LearningRate: 0.003}, smallCNN(12), MLPConfig{})
			c.Augment = AugmentConfig{Crop: 2, Flip: true}
			return c
		}(),
		"cnn residual batchnorm dropout": base(OptimizerConfig{Name: "sgd", LearningRate: 0.05, Momentum: 0.9},
			&ConvConfig{Height: 12, Width: 12, Blocks: []ConvBlock{
				{Filters: 4, Kernel: 3, Padding: 1, BatchNorm: true, Dropout: 0.1, Pool: "avg"},
				{Filters: 6, Kernel: 3, Stride: 2, Residual: true},
				{Filters: 6, Kernel: 3, Residual: true, Pool: "max"},
			}}, MLPConfig{Hidden: []int{8}, Dropout: 0.2, BatchNorm: true}),
	}
}

func convCkptData() (train, val *Dataset) { return bars(240, 12, 5), bars(60, 12, 6) }

// TestConvCheckpointKinds checks that an MLP's checkpoint does not restore
// into a CNN with the same input and output widths, nor the reverse.
func TestConvCheckpointKinds(t *testing.T) {
	train, val := convCkptData()
	mlp := Config{Model: MLPConfig{Hidden: []int{8}}, Optimizer: OptimizerConfig{Name: "adam", LearningRate: 0.01},
		Train: TrainConfig{Epochs: 1, BatchSize: 16}}
	cnn := mlp
	cnn.Conv = smallCNN(12)
	a, err := NewTrainer(mlp, train, val)
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewTrainer(cnn, train, val)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := a.MarshalBinary()
	cb, _ := b.MarshalBinary()
	if err := b.UnmarshalBinary(ca); err == nil || !strings.Contains(err.Error(), "different model") {
		t.Errorf("CNN restoring an MLP checkpoint: %v", err)
	}
	if err := a.UnmarshalBinary(cb); err == nil || !strings.Contains(err.Error(), "different model") {
		t.Errorf("MLP restoring a CNN checkpoint: %v", err)
	}
}

func TestConvStepAllocs(t *testing.T) {
	train, val := convCkptData()
	for name, cfg := range convCkptConfigs() {
		t.Run(name, func(t *testing.T) {
			tr, err := NewTrainer(cfg, train, val)
			if err != nil {
				t.Fatal(err)
			}
			step := stepTrainer(t, tr)
			step()
			if a := testing.AllocsPerRun(30, step); a != 0 {
				t.Errorf("%v allocations per step, want 0", a)
			}
			// Evaluation allocates nothing either.
			if a := testing.AllocsPerRun(3, func() { tr.evaluate(val.X, val.Y, tr.valLabels) }); a != 0 {
				t.Errorf("%v allocations per evaluation, want 0", a)
			}
		})
	}
}

// TestConvFitCancel checks that a CNN's Fit stops between batches on
// cancellation, as an MLP's does.
func TestConvFitCancel(t *testing.T) {
	train, val := convCkptData()
	cfg := convCkptConfigs()["cnn adam"]
	tr, err := NewTrainer(cfg, train, val)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	tr.afterBatch = func(e, b int) {
		if b == 3 {
			cancel()
		}
	}
	if err := tr.Fit(ctx, 1, nil); !errors.Is(err, context.Canceled) || tr.batch != 3 {
		t.Fatalf("Fit = %v at batch %d, want cancellation after batch 3", err, tr.batch)
	}
}

// TestVanishingGradients shows at initialization what residual connections
// are for (He et al. 2016; Glorot and Bengio 2010 for the sigmoid): in a
// plain stack of 20 sigmoid convolutions the gradient reaching the first
// layer is many orders of magnitude below the last one's, while through
// residual blocks it stays within a small factor. (With ReLU and He
// initialization a plain stack of this depth keeps its gradients at
// initialization; its trouble is later, in optimization.)
func TestVanishingGradients(t *testing.T) {
	train, val := bars(128, 12, 1), bars(32, 12, 2)
	ratio := func(residual bool) (float64, []LayerStats) {
		var blocks []ConvBlock
		for range 10 {
			if residual {
				blocks = append(blocks, ConvBlock{Filters: 8, Kernel: 3, Residual: true})
			} else {
				blocks = append(blocks, ConvBlock{Filters: 8, Kernel: 3, Padding: 1}, ConvBlock{Filters: 8, Kernel: 3, Padding: 1})
			}
		}
		cfg := Config{Model: MLPConfig{Activation: "sigmoid"}, Conv: &ConvConfig{Height: 12, Width: 12, Blocks: blocks},
			Optimizer: OptimizerConfig{Name: "sgd", LearningRate: 0.1}, Train: TrainConfig{Epochs: 1, BatchSize: 64, Seed: 1}}
		tr, err := NewTrainer(cfg, train, val)
		if err != nil {
			t.Fatal(err)
		}
		// The gradients of one batch at initialization, without an update.
		tr.ensurePerm()
		x := tr.gather(tr.perm[:64])
		z := tr.model.forward(x, true)
		dz := tr.dz.view(64)
		tr.s.loss.lossGrad(z, tr.lb[:64], nil, dz)
		tr.model.backward(dz)
		tr.captureDiag()
		st := tr.layerStats()
		convs := 0
		for _, s := range st {
			if strings.HasPrefix(s.Name, "conv") || strings.HasPrefix(s.Name, "res") {
				convs++
			}
		}
		if want := 20 + boolInt(residual); convs != want { // the first residual block has a projection
			t.Fatalf("%d convolutions, want %d", convs, want)
		}
		last := st[len(st)-2] // the last convolution (res10.conv2 or conv20)
		if residual && last.Name != "res10.conv2" || !residual && last.Name != "conv20" {
			t.Fatalf("last convolution %s", last.Name)
		}
		return st[0].GradRMS / last.GradRMS, st
	}
	plain, ps := ratio(false)
	res, rs := ratio(true)
	t.Logf("first/last convolution gradient RMS: plain %.3g, residual %.3g", plain, res)
	if !(plain < 1e-6) {
		t.Errorf("plain: first layer's gradient RMS %.3g, last's %.3g: ratio %.3g, want < 1e-6", ps[0].GradRMS, ps[len(ps)-2].GradRMS, plain)
	}
	if !(res > 1e-2) {
		t.Errorf("residual: first layer's gradient RMS %.3g, last's %.3g: ratio %.3g, want > 1e-2", rs[0].GradRMS, rs[len(rs)-2].GradRMS, res)
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestConvShapeFromData checks that IDX images keep their shape through
// loading and splitting, and that a CNN without an input shape takes it
// from the data.
func TestConvShapeFromData(t *testing.T) {
	d, err := LoadIDX("testdata/idx/images-idx3-ubyte", "testdata/idx/labels-idx1-ubyte", IDXOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.Shape, []int{2, 3}) {
		t.Fatalf("IDX shape %v, want [2 3]", d.Shape)
	}
	train, val, err := Split(d, 0.4, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(train.Shape, d.Shape) || !slices.Equal(val.Shape, d.Shape) {
		t.Fatalf("split shapes %v and %v, want %v", train.Shape, val.Shape, d.Shape)
	}
	cfg := Config{Conv: &ConvConfig{Blocks: []ConvBlock{{Filters: 2, Kernel: 2}}},
		Optimizer: OptimizerConfig{Name: "sgd", LearningRate: 0.1}, Train: TrainConfig{Epochs: 1, BatchSize: 2}}
	tr, err := NewTrainer(cfg, train, val)
	if err != nil {
		t.Fatal(err)
	}
	if in := tr.s.conv.in; in != (imageShape{1, 2, 3}) {
		t.Errorf("input shape %v, want 1x2x3", in)
	}
	if _, err := cfg.EstimateMemory(ShapeOf(train, val)); err != nil {
		t.Errorf("EstimateMemory: %v", err)
	}
	train.Shape = []int{6}
	if _, err := NewTrainer(cfg, train, val); err == nil || !strings.Contains(err.Error(), "model.input: not set, and the data's samples have 1 dimensions") {
		t.Errorf("one-dimensional samples: %v", err)
	}
}
