package core

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// fashionLike returns n samples shaped like Fashion-MNIST: 784 features in
// [0, 1] around one of 10 class prototypes.
func fashionLike(n int, seed uint64) *Dataset {
	const features, classes = 784, 10
	rng := rand.New(rand.NewPCG(seed, 1))
	proto := make([]float32, classes*features)
	for i := range proto {
		proto[i] = float32(rng.Float64())
	}
	d := newSynth(n, features, 1, Classification, classes)
	for i := range n {
		c := rng.IntN(classes)
		x := d.X.Row(i)
		for j := range x {
			v := proto[c*features+j] + float32(0.3*rng.NormFloat64())
			x[j] = min(max(v, 0), 1)
		}
		d.Y.Set(i, 0, float32(c))
	}
	return d
}

func fashionConfig(batch int) Config {
	return Config{
		Model:     MLPConfig{Hidden: []int{256, 128}},
		Optimizer: OptimizerConfig{Name: "adam", LearningRate: 1e-3},
		Train:     TrainConfig{Epochs: 10, BatchSize: batch, Seed: 1},
	}
}

// stepTrainer runs one training step per call, wrapping to the next epoch
// as Fit would (without the validation pass).
func stepTrainer(tb testing.TB, tr *Trainer) func() {
	return func() {
		if tr.batch == tr.batches {
			tr.epoch++
			tr.batch, tr.lossSum, tr.hasDiag = 0, 0, false
		}
		tr.ensurePerm()
		if err := tr.step(); err != nil {
			tb.Fatal(err)
		}
		tr.batch++
	}
}

// BenchmarkTrainMLP trains 784-256-128-10 (ReLU, softmax cross-entropy,
// Adam) on Fashion-MNIST-shaped data, one batch per iteration, on one
// goroutine. diag=epoch is normal training (diagnostics on one batch per
// epoch, here of 8192 samples); diag=off skips them; diag=every computes
// them on every batch, an upper bound of their cost.
func BenchmarkTrainMLP(b *testing.B) {
	train := fashionLike(8192, 1)
	val := fashionLike(256, 2)
	for _, bs := range []int{128, 32} {
		for _, diag := range []string{"epoch", "off", "every"} {
			b.Run(fmt.Sprintf("batch=%d/diag=%s", bs, diag), func(b *testing.B) {
				tr, err := NewTrainer(fashionConfig(bs), train, val)
				if err != nil {
					b.Fatal(err)
				}
				tr.noDiag = diag == "off"
				step := stepTrainer(b, tr)
				for range 3 {
					step()
				}
				b.ReportAllocs()
				b.ResetTimer()
				start, cpu := time.Now(), startTrainTimer()
				for i := 0; i < b.N; i++ {
					if diag == "every" {
						tr.statsBatch = tr.batch % tr.batches
					}
					step()
				}
				reportRate(b, b.N*bs, time.Since(start), cpu.stop())
			})
		}
	}
}

// reportRate reports samples per second of wall time and, where it can be
// measured, per second of the thread's CPU time (steadier on a shared
// machine).
func reportRate(b *testing.B, samples int, wall, cpu time.Duration) {
	b.ReportMetric(float64(samples)/wall.Seconds(), "samples/s")
	if cpu > 0 {
		b.ReportMetric(float64(samples)/cpu.Seconds(), "samples/cpu-s")
	}
}

// BenchmarkFitEpoch runs whole epochs through Fit (validation and
// diagnostics included) on 16384 samples at batch 128.
func BenchmarkFitEpoch(b *testing.B) {
	train := fashionLike(16384, 1)
	val := fashionLike(1024, 2)
	for _, diag := range []bool{true, false} {
		b.Run(fmt.Sprintf("diag=%v", diag), func(b *testing.B) {
			tr, err := NewTrainer(fashionConfig(128), train, val)
			if err != nil {
				b.Fatal(err)
			}
			tr.noDiag = !diag
			tr.s.Train.Epochs = 1 << 30
			b.ResetTimer()
			start, cpu := time.Now(), startTrainTimer()
			if err := tr.Fit(context.Background(), b.N, nil); err != nil {
				b.Fatal(err)
			}
			reportRate(b, b.N*train.Len(), time.Since(start), cpu.stop())
		})
	}
}

// BenchmarkOptimizerStep is one update of the 784-256-128-10 network's
// 235,146 parameters.
func BenchmarkOptimizerStep(b *testing.B) {
	for _, name := range []string{"sgd", "adam", "rmsprop", "sgd/go", "adam/go", "rmsprop/go"} {
		b.Run(name, func(b *testing.B) {
			if n, ok := strings.CutSuffix(name, "/go"); ok {
				defer func(v bool) { useOptAsm = v }(useOptAsm)
				useOptAsm, name = false, n
			}
			cfg := MLPConfig{Inputs: 784, Hidden: []int{256, 128}, Outputs: 10}
			m := newModel(&cfg, activation{kind: actReLU}, initHeUniform, initGlorotUniform, 1, 1)
			for i := range m.g {
				m.g[i] = float32(i%7) * 1e-3
			}
			oc := OptimizerConfig{Name: name, LearningRate: 1e-3, Momentum: 0.9}
			o := newOptimizer(&oc, len(m.w), len(m.params))
			b.SetBytes(int64(len(m.w) * 4))
			cpu := startTrainTimer()
			for i := 0; i < b.N; i++ {
				o.step(m.params, 1e-3)
			}
			if d := cpu.stop(); d > 0 {
				b.ReportMetric(float64(d.Nanoseconds())/float64(b.N), "cpu-ns/op")
			}
		})
	}
}

// TestStepAllocs pins that a training step allocates nothing once the
// first batch has run, for every loss and with dropout, batch
// normalization, clipping and diagnostics.
func TestStepAllocs(t *testing.T) {
	cls, clsVal := holdOut(Spirals(200, 2, 0.05, 1), 0.25)
	reg, regVal := holdOut(Friedman1(200, 10, 0.1, 1), 0.25)
	for _, c := range []struct {
		name       string
		cfg        Config
		train, val *Dataset
	}{
		{"softmax", Config{Model: MLPConfig{Hidden: []int{8, 8}, Dropout: 0.2, BatchNorm: true, Activation: "gelu"},
			Optimizer: OptimizerConfig{Name: "adamw", LearningRate: 0.01, ClipNorm: 1, WeightDecay: 0.01}}, cls, clsVal},
		{"bce", Config{Model: MLPConfig{Hidden: []int{8}, Activation: "leaky_relu"},
			Optimizer: OptimizerConfig{Name: "rmsprop", LearningRate: 0.01, Momentum: 0.5}, Train: TrainConfig{Loss: "binary_cross_entropy"}}, cls, clsVal},
		{"mse", Config{Model: MLPConfig{Hidden: []int{8}, Activation: "tanh"},
			Optimizer: OptimizerConfig{Name: "sgd", LearningRate: 0.001, Momentum: 0.9, Nesterov: true}, Schedule: ScheduleConfig{Kind: "cosine", WarmupEpochs: 1}}, reg, regVal},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.cfg.Train.Epochs, c.cfg.Train.BatchSize = 5, 16
			tr, err := NewTrainer(c.cfg, c.train, c.val)
			if err != nil {
				t.Fatal(err)
			}
			step := stepTrainer(t, tr)
			step()
			// 30 runs cross an epoch boundary (10 batches per epoch) and
			// the diagnostics batch.
			if a := testing.AllocsPerRun(30, step); a != 0 {
				t.Errorf("%v allocations per step, want 0", a)
			}
		})
	}
}

// BenchmarkDiagnostics measures what the per-epoch diagnostics cost
// against a training step of 784-256-128-10, at batch 32 and 128, in the
// same run: diag/step is the cost of one epoch's diagnostics (gradient
// statistics of one batch plus the weight norms) in steps, and
// overhead-% is that spread over the batches of a Fashion-MNIST epoch
// (60,000 samples). The diagnostics cost the same at every batch size,
// so the smaller the epoch in steps, the larger their share;
// BenchmarkTrainMLP's epoch of 8192 samples has 256 and 64 steps.
func BenchmarkDiagnostics(b *testing.B) {
	train := fashionLike(4096, 1)
	for _, bs := range []int{32, 128} {
		b.Run(fmt.Sprintf("batch=%d", bs), func(b *testing.B) {
			tr, err := NewTrainer(fashionConfig(bs), train, fashionLike(128, 2))
			if err != nil {
				b.Fatal(err)
			}
			tr.noDiag = true
			step := stepTrainer(b, tr)
			step()
			var stepCPU, diagCPU time.Duration
			for i := 0; i < b.N; i++ {
				c := startTrainTimer()
				for range 10 {
					step()
				}
				stepCPU += c.stop()
				c = startTrainTimer()
				for range 10 {
					tr.captureDiag()
					tr.layerStats()
				}
				diagCPU += c.stop()
			}
			if stepCPU > 0 {
				r := float64(diagCPU) / float64(stepCPU)
				b.ReportMetric(r, "diag/step")
				b.ReportMetric(100*r/float64((60000+bs-1)/bs), "overhead-%")
			}
		})
	}
}

// BenchmarkTrainActivation is BenchmarkTrainMLP at batch 128 with each
// hidden activation, and with batch normalization and dropout.
func BenchmarkTrainActivation(b *testing.B) {
	train := fashionLike(8192, 1)
	val := fashionLike(256, 2)
	for _, v := range []string{"relu", "leaky_relu", "tanh", "sigmoid", "gelu", "relu+batchnorm", "relu+dropout"} {
		b.Run(v, func(b *testing.B) {
			cfg := fashionConfig(128)
			act, extra, _ := strings.Cut(v, "+")
			cfg.Model.Activation = act
			cfg.Model.BatchNorm = extra == "batchnorm"
			if extra == "dropout" {
				cfg.Model.Dropout = 0.2
			}
			tr, err := NewTrainer(cfg, train, val)
			if err != nil {
				b.Fatal(err)
			}
			step := stepTrainer(b, tr)
			step()
			b.ResetTimer()
			start, cpu := time.Now(), startTrainTimer()
			for i := 0; i < b.N; i++ {
				step()
			}
			reportRate(b, b.N*128, time.Since(start), cpu.stop())
		})
	}
}

// referenceCNN is the small CNN: conv(1→16, 3×3, pad 1)-ReLU-
// maxpool 2 → conv(16→32, 3×3, pad 1)-ReLU-maxpool 2 → dense(1568→10),
// Adam, as /work/shared/peers/torch_cnn_step.py trains it in PyTorch.
func referenceCNN(batch int) Config {
	return Config{
		Conv: &ConvConfig{Height: 28, Width: 28, Blocks: []ConvBlock{
			{Filters: 16, Kernel: 3, Padding: 1, Pool: "max"},
			{Filters: 32, Kernel: 3, Padding: 1, Pool: "max"},
		}},
		Optimizer: OptimizerConfig{Name: "adam", LearningRate: 1e-3},
		Train:     TrainConfig{Epochs: 10, BatchSize: batch, Seed: 1},
	}
}

// BenchmarkTrainCNN trains referenceCNN on Fashion-MNIST-shaped data, one
// batch per iteration on one goroutine, with the usual per-epoch
// diagnostics.
func BenchmarkTrainCNN(b *testing.B) {
	train := fashionLike(4096, 1)
	val := fashionLike(256, 2)
	for _, bs := range []int{64} {
		b.Run(fmt.Sprintf("batch%d", bs), func(b *testing.B) {
			tr, err := NewTrainer(referenceCNN(bs), train, val)
			if err != nil {
				b.Fatal(err)
			}
			step := stepTrainer(b, tr)
			for range 3 {
				step()
			}
			b.ReportAllocs()
			b.ResetTimer()
			start, cpu := time.Now(), startTrainTimer()
			for i := 0; i < b.N; i++ {
				step()
			}
			reportRate(b, b.N*bs, time.Since(start), cpu.stop())
		})
	}
}

// BenchmarkConv2D runs the forward and the backward pass of referenceCNN's
// two convolutions on a batch of 64 and reports GFLOP/s (two per
// multiply-add; the backward pass computes the weight gradient and, for
// the second convolution, the input gradient).
func BenchmarkConv2D(b *testing.B) {
	const n = 64
	rng := rand.New(rand.NewPCG(1, 1))
	for _, c := range []struct {
		name      string
		in        imageShape
		filters   int
		needInput bool
	}{
		{"conv1", imageShape{1, 28, 28}, 16, false},
		{"conv2", imageShape{16, 14, 14}, 32, true},
	} {
		var g Gemm
		l := newConv2D(c.name, c.in, c.filters, 3, 1, 1, 1, n, true, activation{kind: actReLU}, &g)
		bindParams(l, rng)
		x := &Tensor{Rows: n, Cols: c.in.size(), Data: randSlice(rng, n*c.in.size(), 1)}
		dy := &Tensor{Rows: n, Cols: l.out.size(), Data: randSlice(rng, n*l.out.size(), 1)}
		macs := float64(n) * float64(l.out.size()) * float64(l.ckk)
		b.Run(c.name+"/forward", func(b *testing.B) {
			cpu := startTrainTimer()
			for i := 0; i < b.N; i++ {
				l.forward(x, true)
			}
			reportGflops(b, 2*macs, cpu.stop())
		})
		b.Run(c.name+"/backward", func(b *testing.B) {
			l.forward(x, true)
			d := &Tensor{Rows: n, Cols: dy.Cols, Data: make([]float32, len(dy.Data))}
			passes := 1.0
			if c.needInput {
				passes = 2
			}
			cpu := startTrainTimer()
			for i := 0; i < b.N; i++ {
				copy(d.Data, dy.Data)
				l.backward(d, c.needInput)
			}
			reportGflops(b, 2*macs*passes, cpu.stop())
		})
	}
}

// reportGflops reports flops per iteration as GFLOP/s of the thread's CPU
// time (of wall time where that cannot be measured).
func reportGflops(b *testing.B, flops float64, cpu time.Duration) {
	d := cpu
	if d <= 0 {
		d = b.Elapsed()
	}
	b.ReportMetric(flops*float64(b.N)/d.Seconds()/1e9, "GFLOP/s")
}
