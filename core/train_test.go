package core

import (
	"context"
	"errors"
	"math"
	"runtime"
	"strings"
	"testing"
)

// holdOut splits d into its first (1-frac) and last frac samples; the
// synthetic generators return samples in random order.
func holdOut(d *Dataset, frac float64) (train, val *Dataset) {
	nv := int(float64(d.Len()) * frac)
	nt := d.Len() - nv
	part := func(lo, hi int) *Dataset {
		return &Dataset{
			X:    &Tensor{Rows: hi - lo, Cols: d.X.Cols, Data: d.X.Data[lo*d.X.Cols : hi*d.X.Cols]},
			Y:    &Tensor{Rows: hi - lo, Cols: d.Y.Cols, Data: d.Y.Data[lo*d.Y.Cols : hi*d.Y.Cols]},
			Task: d.Task, Classes: d.Classes,
		}
	}
	return part(0, nt), part(nt, d.Len())
}

func spiralConfig() Config {
	return Config{
		Model:     MLPConfig{Hidden: []int{32, 32}},
		Optimizer: OptimizerConfig{Name: "adam", LearningRate: 0.01},
		Train:     TrainConfig{Epochs: 40, BatchSize: 32, Seed: 1},
	}
}

// fitAll trains a fresh trainer to cfg.Train.Epochs and returns every epoch's
// stats.
func fitAll(t testing.TB, cfg Config, train, val *Dataset) ([]EpochStats, *Trainer) {
	t.Helper()
	tr, err := NewTrainer(cfg, train, val)
	if err != nil {
		t.Fatal(err)
	}
	var stats []EpochStats
	err = tr.Fit(context.Background(), cfg.Train.Epochs, func(s EpochStats) error {
		stats = append(stats, s)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return stats, tr
}

func TestLearnSpirals(t *testing.T) {
	train, val := holdOut(Spirals(1000, 2, 0.03, 7), 0.3)
	stats, tr := fitAll(t, spiralConfig(), train, val)
	last := stats[len(stats)-1]
	t.Logf("epoch %d: train loss %.4f, val loss %.4f, val accuracy %.3f", last.Epoch, last.TrainLoss, last.ValLoss, last.ValAccuracy)
	if !last.HasAccuracy || last.ValAccuracy < 0.95 {
		t.Errorf("validation accuracy %.3f, want >= 0.95", last.ValAccuracy)
	}
	if last.TrainLoss >= stats[0].TrainLoss/4 {
		t.Errorf("training loss went from %v to %v", stats[0].TrainLoss, last.TrainLoss)
	}
	m, err := tr.Evaluate(val)
	if err != nil {
		t.Fatal(err)
	}
	if n := tr.ParamCount(); n != 2*32+32+32*32+32+32*2+2 {
		t.Errorf("ParamCount() = %d", n)
	}
	if m.Loss != last.ValLoss || m.Accuracy != last.ValAccuracy || !m.HasAccuracy {
		t.Errorf("Evaluate = %+v, last epoch %v, %v", m, last.ValLoss, last.ValAccuracy)
	}
	// Predict gives probabilities whose argmax is the evaluated accuracy.
	p := tr.Predict(val.X)
	correct := 0
	for i := range p.Rows {
		r := p.Row(i)
		if math.Abs(float64(r[0]+r[1])-1) > 1e-6 {
			t.Fatalf("row %d probabilities %v do not sum to 1", i, r)
		}
		if (r[1] > r[0]) == (val.Y.At(i, 0) == 1) {
			correct++
		}
	}
	if got := float64(correct) / float64(p.Rows); got != m.Accuracy {
		t.Errorf("Predict accuracy %v, Evaluate %v", got, m.Accuracy)
	}
}

func TestLearnFriedman1(t *testing.T) {
	d := Friedman1(2000, 10, 0.5, 3)
	// Standardize the target (normalization is the data loader's job; the
	// generator gives raw values).
	for i := range d.Y.Data {
		d.Y.Data[i] = (d.Y.Data[i] - 14.4) / 4.9
	}
	train, val := holdOut(d, 0.25)
	cfg := Config{
		Model:     MLPConfig{Hidden: []int{32, 32}, Activation: "tanh"},
		Optimizer: OptimizerConfig{Name: "adam", LearningRate: 0.005},
		Schedule:  ScheduleConfig{Kind: "cosine"},
		Train:     TrainConfig{Epochs: 40, BatchSize: 32, Seed: 2},
	}
	stats, _ := fitAll(t, cfg, train, val)
	last := stats[len(stats)-1]
	// R² = 1 - MSE/Var(y) on the validation set.
	mean, v := 0.0, 0.0
	for _, y := range val.Y.Data {
		mean += float64(y)
	}
	mean /= float64(val.Len())
	for _, y := range val.Y.Data {
		v += (float64(y) - mean) * (float64(y) - mean)
	}
	v /= float64(val.Len())
	r2 := 1 - last.ValLoss/v
	t.Logf("val MSE %.4f, R² %.4f", last.ValLoss, r2)
	if r2 < 0.9 {
		t.Errorf("R² = %.3f, want > 0.9", r2)
	}
	if last.HasAccuracy {
		t.Errorf("regression reports an accuracy")
	}
}

// TestDeterminism trains the same configuration with GOMAXPROCS 1 and 2:
// the losses must be bit-identical.
func TestDeterminism(t *testing.T) {
	train, val := holdOut(Spirals(300, 3, 0.05, 1), 0.3)
	cfg := spiralConfig()
	cfg.Model.Dropout = 0.2
	cfg.Model.BatchNorm = true
	cfg.Train.Epochs = 4
	var runs [][]EpochStats
	for _, procs := range []int{1, 2, 1} {
		old := runtime.GOMAXPROCS(procs)
		s, _ := fitAll(t, cfg, train, val)
		runtime.GOMAXPROCS(old)
		runs = append(runs, s)
	}
	for r := 1; r < len(runs); r++ {
		for e := range runs[0] {
			a, b := runs[0][e], runs[r][e]
			if a.TrainLoss != b.TrainLoss || a.ValLoss != b.ValLoss {
				t.Errorf("run %d epoch %d: losses %v/%v, first run %v/%v", r, e+1, b.TrainLoss, b.ValLoss, a.TrainLoss, a.ValLoss)
			}
		}
	}
	// A different seed gives different losses.
	cfg.Train.Seed++
	other, _ := fitAll(t, cfg, train, val)
	if other[0].TrainLoss == runs[0][0].TrainLoss {
		t.Errorf("seeds %d and %d gave the same loss", cfg.Train.Seed-1, cfg.Train.Seed)
	}
}

func TestConfigErrors(t *testing.T) {
	train, val := holdOut(Blobs(100, 3, 4, 1, 1), 0.2)
	reg, rval := holdOut(Friedman1(50, 10, 0, 1), 0.2)
	base := func() Config {
		return Config{
			Model:     MLPConfig{Hidden: []int{8}},
			Optimizer: OptimizerConfig{Name: "sgd", LearningRate: 0.1},
			Train:     TrainConfig{Epochs: 2, BatchSize: 16},
		}
	}
	cases := []struct {
		name   string
		edit   func(*Config)
		regres bool
		want   string
	}{
		{"optimizer", func(c *Config) { c.Optimizer.Name = "adamx" }, false, `optimizer.name: unknown optimizer "adamx" (want sgd, adam, adamw or rmsprop)`},
		{"activation", func(c *Config) { c.Model.Activation = "swish" }, false, `model.activation: unknown activation "swish"`},
		{"init", func(c *Config) { c.Model.Init = "lecun" }, false, `model.init: unknown initializer "lecun"`},
		{"hidden", func(c *Config) { c.Model.Hidden = []int{8, 0} }, false, "model.hidden[1]: 0 is not a positive width"},
		{"dropout", func(c *Config) { c.Model.Dropout = 1 }, false, "model.dropout: 1 is not in [0, 1)"},
		{"slope", func(c *Config) { c.Model.Activation, c.Model.LeakySlope = "leaky_relu", 2 }, false, "model.leaky_slope: 2 is not in (0, 1)"},
		{"inputs", func(c *Config) { c.Model.Inputs = 5 }, false, "model.inputs: 5 does not match the data's 4 features"},
		{"outputs", func(c *Config) { c.Model.Outputs = 2 }, false, "model.outputs: 2 does not match the data's 3 classes"},
		{"schedule", func(c *Config) { c.Schedule.Kind = "exp" }, false, `schedule.kind: unknown schedule "exp"`},
		{"min rate", func(c *Config) { c.Schedule.MinRate = 1 }, false, "schedule.min_rate: 1 is not in [0, learning rate 0.1]"},
		{"epochs", func(c *Config) { c.Train.Epochs = 0 }, false, "train.epochs: 0 is not positive"},
		{"batch", func(c *Config) { c.Train.BatchSize = -1 }, false, "train.batch_size: -1 is not positive"},
		{"patience", func(c *Config) { c.Train.Patience = -1 }, false, "train.patience: -1 is negative"},
		{"loss", func(c *Config) { c.Train.Loss = "hinge" }, false, `train.loss: unknown loss "hinge"`},
		{"loss task", func(c *Config) { c.Train.Loss = "mse" }, false, "train.loss: mse needs regression data, not classification"},
		{"bce classes", func(c *Config) { c.Train.Loss = "binary_cross_entropy" }, false, "train.loss: binary_cross_entropy needs 2 classes, not 3"},
		{"ce regression", func(c *Config) { c.Train.Loss = "softmax_cross_entropy" }, true, "train.loss: softmax_cross_entropy needs classification data, not regression"},
		{"bce targets", func(c *Config) { c.Train.Loss = "binary_cross_entropy" }, true, "train.loss: binary_cross_entropy needs targets in [0, 1]; sample 0 has"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := base()
			c.edit(&cfg)
			tr, va := train, val
			if c.regres {
				tr, va = reg, rval
			}
			_, err := NewTrainer(cfg, tr, va)
			if err == nil || !strings.HasPrefix(err.Error(), c.want) {
				t.Errorf("error %v, want prefix %q", err, c.want)
			}
		})
	}
	// Data errors.
	bad := *train
	bad.X = &Tensor{Rows: train.X.Rows, Cols: train.X.Cols, Data: append([]float32(nil), train.X.Data...)}
	bad.X.Data[5] = float32(math.NaN())
	if _, err := NewTrainer(base(), &bad, val); err == nil || err.Error() != "train data: sample 1: feature 1 is NaN" {
		t.Errorf("NaN feature: %v", err)
	}
	if _, err := NewTrainer(base(), train, nil); err == nil || err.Error() != "validation data: missing" {
		t.Errorf("no validation data: %v", err)
	}
	badY := *train
	badY.Y = &Tensor{Rows: train.Y.Rows, Cols: 1, Data: append([]float32(nil), train.Y.Data...)}
	badY.Y.Data[3] = 3
	if _, err := NewTrainer(base(), &badY, val); err == nil || err.Error() != "train data: sample 3: class 3 is not an integer in [0, 3)" {
		t.Errorf("bad class: %v", err)
	}
	if _, err := NewTrainer(base(), train, rval); err == nil || !strings.HasPrefix(err.Error(), "validation data: task regression") {
		t.Errorf("mismatched validation data: %v", err)
	}
}

func TestDivergence(t *testing.T) {
	train, val := holdOut(Friedman1(200, 10, 0, 1), 0.2)
	cfg := Config{
		Model:     MLPConfig{Hidden: []int{16, 16}},
		Optimizer: OptimizerConfig{Name: "sgd", LearningRate: 1e6},
		Train:     TrainConfig{Epochs: 3, BatchSize: 16},
	}
	tr, err := NewTrainer(cfg, train, val)
	if err != nil {
		t.Fatal(err)
	}
	err = tr.Fit(context.Background(), 3, nil)
	var de *DivergenceError
	if !errors.As(err, &de) {
		t.Fatalf("Fit = %v, want a *DivergenceError", err)
	}
	t.Logf("%v", err)
	if de.Epoch != 1 || de.Batch < 1 || de.Batch > 10 || de.Layer != "loss" || (de.What != "NaN" && de.What != "Inf") {
		t.Errorf("divergence %+v", de)
	}
	want := "diverged at epoch 1, batch "
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("message %q, want prefix %q", err, want)
	}
	if err2 := tr.Fit(context.Background(), 3, nil); err2 != err {
		t.Errorf("Fit after divergence = %v, want the same error", err2)
	}
	for _, c := range []struct {
		e    DivergenceError
		want string
	}{
		{DivergenceError{3, 17, "dense2", "NaN"}, "diverged at epoch 3, batch 17: NaN in gradient of dense2"},
		{DivergenceError{1, 2, "loss", "Inf"}, "diverged at epoch 1, batch 2: Inf in loss"},
		{DivergenceError{4, 0, "loss", "NaN"}, "diverged at epoch 4, validation: NaN in loss"},
	} {
		if got := c.e.Error(); got != c.want {
			t.Errorf("Error() = %q, want %q", got, c.want)
		}
	}
}

// TestDivergenceLayer makes a gradient overflow without a non-finite loss,
// so the error names the layer.
func TestDivergenceLayer(t *testing.T) {
	train, val := holdOut(Friedman1(64, 10, 0, 1), 0.25)
	cfg := Config{
		Model:     MLPConfig{Hidden: []int{4}},
		Optimizer: OptimizerConfig{Name: "sgd", LearningRate: 0.01},
		Train:     TrainConfig{Epochs: 1, BatchSize: 8},
	}
	tr, err := NewTrainer(cfg, train, val)
	if err != nil {
		t.Fatal(err)
	}
	// Huge output weights: the loss is about 1e40 (finite in float64), the
	// gradient reaching the hidden layer about 1e20·1e20 (infinite in float32).
	out := tr.model.denses[1]
	for i := range out.w.w {
		out.w.w[i] = 1e20
	}
	err = tr.Fit(context.Background(), 1, nil)
	var de *DivergenceError
	if !errors.As(err, &de) || de.Layer != "dense1" || de.Epoch != 1 || de.Batch != 1 {
		t.Fatalf("Fit = %v, want divergence in dense1 at epoch 1, batch 1", err)
	}
}

func TestEarlyStopping(t *testing.T) {
	train, val := holdOut(Blobs(200, 2, 2, 4, 5), 0.5)
	cfg := Config{
		Model:     MLPConfig{Hidden: []int{64}},
		Optimizer: OptimizerConfig{Name: "adam", LearningRate: 0.05},
		Train:     TrainConfig{Epochs: 200, BatchSize: 8, Patience: 3, Seed: 1},
	}
	tr, err := NewTrainer(cfg, train, val)
	if err != nil {
		t.Fatal(err)
	}
	var stats []EpochStats
	if err := tr.Fit(context.Background(), 200, func(s EpochStats) error { stats = append(stats, s); return nil }); err != nil {
		t.Fatal(err)
	}
	if !tr.Stopped() || tr.Epoch() >= 200 || len(stats) != tr.Epoch() {
		t.Fatalf("stopped %v after %d epochs (%d stats)", tr.Stopped(), tr.Epoch(), len(stats))
	}
	best := math.Inf(1)
	for _, s := range stats[:len(stats)-3] {
		best = min(best, s.ValLoss)
	}
	for _, s := range stats[len(stats)-3:] {
		if s.ValLoss < best {
			t.Errorf("epoch %d improved (%v < %v) but training stopped", s.Epoch, s.ValLoss, best)
		}
	}
	if err := tr.Fit(context.Background(), 300, func(EpochStats) error { t.Error("trained after stopping"); return nil }); err != nil {
		t.Fatal(err)
	}
}

func TestFitCallbackAndCancel(t *testing.T) {
	train, val := holdOut(Moons(200, 0.1, 2), 0.25)
	cfg := spiralConfig()
	cfg.Train.Epochs = 5
	tr, err := NewTrainer(cfg, train, val)
	if err != nil {
		t.Fatal(err)
	}
	stop := errors.New("enough")
	err = tr.Fit(context.Background(), 5, func(s EpochStats) error {
		if s.Epoch == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || tr.Epoch() != 2 {
		t.Fatalf("Fit = %v after %d epochs, want %v after 2", err, tr.Epoch(), stop)
	}
	ctx, cancel := context.WithCancel(context.Background())
	tr.afterBatch = func(epoch, batch int) {
		if epoch == 3 && batch == 2 {
			cancel()
		}
	}
	err = tr.Fit(ctx, 5, nil)
	if !errors.Is(err, context.Canceled) || tr.Epoch() != 2 || tr.batch != 2 {
		t.Fatalf("Fit = %v at epoch %d batch %d, want cancellation after epoch 3 batch 2", err, tr.Epoch(), tr.batch)
	}
	tr.afterBatch = nil
	if err := tr.Fit(context.Background(), 5, nil); err != nil || tr.Epoch() != 5 {
		t.Fatalf("Fit after cancellation = %v at epoch %d", err, tr.Epoch())
	}
	// Asking for epochs already trained does nothing.
	if err := tr.Fit(context.Background(), 3, func(EpochStats) error { return stop }); err != nil {
		t.Errorf("Fit(3) after 5 epochs = %v", err)
	}
}

func TestEpochStats(t *testing.T) {
	train, val := holdOut(Spirals(330, 2, 0.05, 4), 0.3) // 231 training samples: a partial last batch
	cfg := spiralConfig()
	cfg.Train.Epochs = 3
	cfg.Schedule = ScheduleConfig{Kind: "cosine"}
	stats, tr := fitAll(t, cfg, train, val)
	if tr.batches != 8 || tr.statsBatch != 6 {
		t.Errorf("batches %d, stats batch %d; want 8 and 6", tr.batches, tr.statsBatch)
	}
	for _, s := range stats {
		if len(s.Layers) != 3 {
			t.Fatalf("epoch %d: %d layer stats, want 3", s.Epoch, len(s.Layers))
		}
		for i, l := range s.Layers {
			total := 0
			for _, c := range l.GradHist {
				total += c
			}
			d := tr.model.denses[i]
			if l.Name != d.name || total != d.in*d.out || l.HistLow != histLow || len(l.GradHist) != histBuckets {
				t.Errorf("epoch %d layer %d: %+v", s.Epoch, i, l)
			}
			if !(l.WeightNorm > 0 && l.GradRMS > 0 && l.GradMax >= l.GradRMS) {
				t.Errorf("epoch %d %s: weight norm %v, gradient RMS %v, max %v", s.Epoch, l.Name, l.WeightNorm, l.GradRMS, l.GradMax)
			}
			if l.DeadFraction < 0 || l.DeadFraction > 1 || (i == 2 && l.DeadFraction != 0) {
				t.Errorf("%s: dead fraction %v", l.Name, l.DeadFraction)
			}
		}
	}
	// The cosine schedule ends the last epoch just above 0.
	want := tr.sched.rate(2, 7, 8)
	if got := stats[2].LearningRate; got != want || got > 0.01*0.02 {
		t.Errorf("last learning rate %v, want %v", got, want)
	}
}

func TestDeadFraction(t *testing.T) {
	y := &Tensor{Rows: 3, Cols: 4, Data: []float32{
		0, 1, 0, 0,
		0, 0, 0, 2,
		0, 3, 0, 0,
	}}
	if got := deadFraction(y, make([]bool, 4)); got != 0.5 {
		t.Errorf("dead fraction %v, want 0.5", got)
	}
}

// TestModelGradient checks the whole network's backward pass (the wiring
// of layers) against finite differences of its float32 loss.
func TestModelGradient(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  MLPConfig
		loss lossKind
	}{
		{"tanh", MLPConfig{Inputs: 3, Hidden: []int{5, 4}, Outputs: 3}, lossSoftmaxCE},
		{"batchnorm gelu", MLPConfig{Inputs: 3, Hidden: []int{5, 4}, Outputs: 2, BatchNorm: true}, lossMSE},
		{"dropout sigmoid", MLPConfig{Inputs: 3, Hidden: []int{6}, Outputs: 1, Dropout: 0.3}, lossBCE},
	} {
		t.Run(c.name, func(t *testing.T) {
			act := activation{kind: actTanh}
			switch {
			case c.cfg.BatchNorm:
				act = activation{kind: actGELU}
			case c.cfg.Dropout > 0:
				act = activation{kind: actSigmoid}
			}
			const n = 6
			m := newModel(&c.cfg, act, initGlorotNormal, initGlorotNormal, n, 3)
			x := NewTensor(n, 3)
			for i := range x.Data {
				x.Data[i] = float32(math.Sin(float64(i)*1.7)) * 2
			}
			lbl := []int32{0, 1, 2, 1, 0, 2}
			y := NewTensor(n, c.cfg.Outputs)
			for i := range y.Data {
				y.Data[i] = float32(i%3) / 2
			}
			loss := func() float64 {
				m.seedDropout(1, 1)
				dz := NewTensor(n, c.cfg.Outputs)
				return c.loss.lossGrad(m.forward(x, true), lbl, y, dz)
			}
			m.seedDropout(1, 1)
			dz := NewTensor(n, c.cfg.Outputs)
			c.loss.lossGrad(m.forward(x, true), lbl, y, dz)
			m.backward(dz)
			g := append([]float32(nil), m.g...)
			for _, p := range m.params {
				for i := range p.w {
					old := p.w[i]
					const h = 1e-2
					p.w[i] = old + h
					fp := loss()
					p.w[i] = old - h
					fm := loss()
					p.w[i] = old
					num := (fp - fm) / (2 * h)
					if got := float64(g[p.off+i]); math.Abs(got-num) > 2e-3+2e-2*math.Abs(num) {
						t.Errorf("%s[%d]: backward %v, finite difference %v", p.name, i, got, num)
					}
				}
			}
		})
	}
}

func TestGradHist(t *testing.T) {
	g := []float32{0, 1e-12, 1e-9, 0.99e-8, 1e-8, 3e-5, -3e-5, 0.1, 0.999, 1, 5, float32(math.Inf(1)), 1.17e-38, 1e-44}
	var h [histBuckets]int
	sq, mx := gradHist(g, &h)
	// Buckets: [<1e-8) [1e-8,1e-7) ... [1e-1,1) [>=1]
	want := [histBuckets]int{6, 1, 0, 0, 2, 0, 0, 0, 2, 3}
	if h != want {
		t.Errorf("histogram %v, want %v", h, want)
	}
	if !math.IsInf(sq, 1) || math.Float32frombits(mx) != float32(math.Inf(1)) {
		t.Errorf("sum of squares %v, max %v", sq, math.Float32frombits(mx))
	}
	// Every power of ten lands in its own bucket, and just below it in the
	// one before.
	for k := 1; k < histBuckets; k++ {
		p := float32(math.Pow(10, float64(histLow+k)))
		var h [histBuckets]int
		gradHist([]float32{p, math.Nextafter32(p, 0)}, &h)
		if h[k] != 1 || h[k-1] != 1 {
			t.Errorf("10^%d: histogram %v", histLow+k, h)
		}
	}
}
