package core

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"hash/crc32"
	"os"
	"path/filepath"
	"testing"
)

var updateCheckpoint = flag.Bool("update-checkpoint", false, "rewrite testdata/checkpoint-v1.bin")

func ckptData() (train, val *Dataset) { return holdOut(Spirals(300, 3, 0.05, 9), 0.25) }

// ckptConfigs covers every optimizer, with and without dropout and batch
// normalization.
func ckptConfigs() map[string]Config {
	base := func(opt OptimizerConfig, m MLPConfig) Config {
		m.Hidden = []int{16, 12}
		return Config{Model: m, Optimizer: opt,
			Schedule: ScheduleConfig{Kind: "cosine", WarmupEpochs: 1},
			Train:    TrainConfig{Epochs: 4, BatchSize: 16, Seed: 5, Patience: 10}}
	}
	return map[string]Config{
		"sgd":                      base(OptimizerConfig{Name: "sgd", LearningRate: 0.1}, MLPConfig{}),
		"sgd nesterov dropout":     base(OptimizerConfig{Name: "sgd", LearningRate: 0.1, Momentum: 0.9, Nesterov: true}, MLPConfig{Dropout: 0.2}),
		"adam batchnorm":           base(OptimizerConfig{Name: "adam", LearningRate: 0.01, ClipNorm: 1}, MLPConfig{BatchNorm: true}),
		"adamw dropout batchnorm":  base(OptimizerConfig{Name: "adamw", LearningRate: 0.01, WeightDecay: 0.01}, MLPConfig{Dropout: 0.1, BatchNorm: true, Activation: "gelu"}),
		"rmsprop momentum dropout": base(OptimizerConfig{Name: "rmsprop", LearningRate: 0.003, Momentum: 0.5, WeightDecay: 1e-3}, MLPConfig{Dropout: 0.3, Activation: "tanh"}),
	}
}

// runStats trains tr to until, collecting the epoch stats.
func runStats(t *testing.T, tr *Trainer, ctx context.Context, until int) ([]EpochStats, error) {
	t.Helper()
	var s []EpochStats
	err := tr.Fit(ctx, until, func(e EpochStats) error { s = append(s, e); return nil })
	return s, err
}

func sameStats(t *testing.T, got, want []EpochStats) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d epochs, want %d", len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.Epoch != w.Epoch || g.TrainLoss != w.TrainLoss || g.ValLoss != w.ValLoss ||
			g.ValAccuracy != w.ValAccuracy || g.LearningRate != w.LearningRate {
			t.Errorf("epoch %d: train %v val %v acc %v lr %v; uninterrupted %v %v %v %v",
				g.Epoch, g.TrainLoss, g.ValLoss, g.ValAccuracy, g.LearningRate, w.TrainLoss, w.ValLoss, w.ValAccuracy, w.LearningRate)
		}
		for j := range g.Layers {
			gl, wl := g.Layers[j], w.Layers[j]
			if gl.WeightNorm != wl.WeightNorm || gl.GradRMS != wl.GradRMS || gl.DeadFraction != wl.DeadFraction {
				t.Errorf("epoch %d %s: diagnostics differ: %+v, uninterrupted %+v", g.Epoch, gl.Name, gl, wl)
			}
		}
	}
}

// TestCheckpointResume stops training after an epoch and in the middle of
// one, restores the checkpoint into a new trainer and checks that the
// rest of training is bit-identical to an uninterrupted run.
func TestCheckpointResume(t *testing.T) {
	mlpTrain, mlpVal := ckptData()
	cnnTrain, cnnVal := convCkptData()
	configs := ckptConfigs()
	for name, cfg := range convCkptConfigs() {
		configs[name] = cfg
	}
	for name, cfg := range configs {
		train, val := mlpTrain, mlpVal
		if cfg.Conv != nil {
			train, val = cnnTrain, cnnVal
		}
		t.Run(name, func(t *testing.T) {
			ref, err := NewTrainer(cfg, train, val)
			if err != nil {
				t.Fatal(err)
			}
			want, err := runStats(t, ref, context.Background(), 4)
			if err != nil {
				t.Fatal(err)
			}
			for _, stop := range []struct {
				name         string
				epoch, batch int // cancel after this batch; batch 0: after the epoch
			}{{"after epoch 2", 2, 0}, {"epoch 2 batch 5", 2, 5}, {"epoch 3 last batch", 3, 15}, {"epoch 1 batch 1", 1, 1}} {
				t.Run(stop.name, func(t *testing.T) {
					a, _ := NewTrainer(cfg, train, val)
					var first []EpochStats
					if stop.batch == 0 {
						first, err = runStats(t, a, context.Background(), stop.epoch)
					} else {
						ctx, cancel := context.WithCancel(context.Background())
						a.afterBatch = func(e, b int) {
							if e == stop.epoch && b == stop.batch {
								cancel()
							}
						}
						first, err = runStats(t, a, ctx, 4)
						if !errors.Is(err, context.Canceled) {
							t.Fatalf("Fit = %v, want cancellation", err)
						}
						err = nil
					}
					if err != nil {
						t.Fatal(err)
					}
					ck, err := a.MarshalBinary()
					if err != nil {
						t.Fatal(err)
					}
					b, _ := NewTrainer(cfg, train, val)
					if err := b.UnmarshalBinary(ck); err != nil {
						t.Fatal(err)
					}
					if b.Epoch() != a.Epoch() || b.batch != a.batch {
						t.Fatalf("restored at epoch %d batch %d, saved at %d/%d", b.Epoch(), b.batch, a.Epoch(), a.batch)
					}
					// Re-marshalling the restored trainer gives the same bytes.
					ck2, _ := b.MarshalBinary()
					if !bytes.Equal(ck, ck2) {
						t.Errorf("checkpoint of the restored trainer differs")
					}
					rest, err := runStats(t, b, context.Background(), 4)
					if err != nil {
						t.Fatal(err)
					}
					sameStats(t, append(first, rest...), want)
				})
			}
		})
	}
}

// TestCheckpointEarlyStopping checks that the early-stopping state travels
// with the checkpoint.
func TestCheckpointEarlyStopping(t *testing.T) {
	train, val := holdOut(Blobs(200, 2, 2, 4, 5), 0.5)
	cfg := Config{
		Model:     MLPConfig{Hidden: []int{32}},
		Optimizer: OptimizerConfig{Name: "adam", LearningRate: 0.05},
		Train:     TrainConfig{Epochs: 100, BatchSize: 8, Patience: 3, Seed: 1},
	}
	ref, _ := NewTrainer(cfg, train, val)
	if _, err := runStats(t, ref, context.Background(), 100); err != nil || !ref.Stopped() {
		t.Fatalf("reference run: %v, stopped %v", err, ref.Stopped())
	}
	stopAt := ref.Epoch()
	a, _ := NewTrainer(cfg, train, val)
	if _, err := runStats(t, a, context.Background(), stopAt-2); err != nil {
		t.Fatal(err)
	}
	ck, _ := a.MarshalBinary()
	b, _ := NewTrainer(cfg, train, val)
	if err := b.UnmarshalBinary(ck); err != nil {
		t.Fatal(err)
	}
	if _, err := runStats(t, b, context.Background(), 100); err != nil {
		t.Fatal(err)
	}
	if !b.Stopped() || b.Epoch() != stopAt {
		t.Errorf("resumed run stopped %v at epoch %d, uninterrupted at %d", b.Stopped(), b.Epoch(), stopAt)
	}
}

func TestCheckpointCorrupt(t *testing.T) {
	train, val := ckptData()
	cfg := ckptConfigs()["adamw dropout batchnorm"]
	a, _ := NewTrainer(cfg, train, val)
	ctx, cancel := context.WithCancel(context.Background())
	a.afterBatch = func(e, b int) {
		if e == 2 && b == 3 {
			cancel()
		}
	}
	a.Fit(ctx, 4, nil)
	ck, err := a.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewTrainer(cfg, train, val)
	before, _ := b.MarshalBinary()
	unchanged := func(what string) {
		t.Helper()
		now, _ := b.MarshalBinary()
		if !bytes.Equal(now, before) {
			t.Fatalf("%s: a failed restore changed the trainer", what)
		}
	}
	for n := 0; n < len(ck); n += 1 + n/7 {
		if err := b.UnmarshalBinary(ck[:n]); err == nil {
			t.Fatalf("truncated to %d of %d bytes: no error", n, len(ck))
		}
	}
	unchanged("truncation")
	for i := 0; i < len(ck); i += 1 + i/13 {
		bad := append([]byte(nil), ck...)
		bad[i] ^= 0x10
		if err := b.UnmarshalBinary(bad); err == nil {
			t.Fatalf("byte %d flipped: no error", i)
		}
	}
	unchanged("corruption")
	if err := b.UnmarshalBinary(append(append([]byte(nil), ck...), 0)); err == nil {
		t.Errorf("trailing byte: no error")
	}
	// Another configuration.
	other := cfg
	other.Model.Hidden = []int{16, 13}
	c, _ := NewTrainer(other, train, val)
	if err := c.UnmarshalBinary(ck); err == nil {
		t.Errorf("restored into a different model")
	}
	other = cfg
	other.Optimizer.Name = "adam"
	c, _ = NewTrainer(other, train, val)
	if err := c.UnmarshalBinary(ck); err == nil {
		t.Errorf("restored into a different optimizer")
	}
	// A correct checksum over impossible progress: batch 999 of 15.
	bad := append([]byte(nil), ck[:len(ck)-4]...)
	at := 6 + len(b.appendShape(nil)) + 4
	binary.LittleEndian.PutUint32(bad[at:], 999)
	bad = binary.LittleEndian.AppendUint32(bad, crc32.Checksum(bad, ckptTable))
	if err := b.UnmarshalBinary(bad); err == nil || !errors.Is(err, errCorrupt) {
		t.Errorf("batch 999: error %v", err)
	}
	unchanged("impossible progress")
	if err := b.UnmarshalBinary(ck); err != nil {
		t.Fatal(err)
	}
}

// TestCheckpointGolden loads a version-1 checkpoint written by an earlier
// build, so that format changes are deliberate (run with
// -update-checkpoint to rewrite it after bumping the version).
func TestCheckpointGolden(t *testing.T) {
	path := filepath.Join("testdata", "checkpoint-v1.bin")
	tr := goldenTrainer(t)
	if *updateCheckpoint {
		ctx, cancel := context.WithCancel(context.Background())
		tr.afterBatch = func(e, b int) {
			if e == 2 && b == 2 {
				cancel()
			}
		}
		tr.Fit(ctx, 3, nil)
		ck, err := tr.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		// The elapsed time is the only nondeterministic field; zero it.
		tr.elapsed = 0
		ck, _ = tr.MarshalBinary()
		if err := os.WriteFile(path, ck, 0o644); err != nil {
			t.Fatal(err)
		}
		tr = goldenTrainer(t)
	}
	ck, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.UnmarshalBinary(ck); err != nil {
		t.Fatal(err)
	}
	if tr.Epoch() != 1 || tr.batch != 2 {
		t.Fatalf("golden checkpoint at epoch %d batch %d, want 1 and 2", tr.Epoch(), tr.batch)
	}
	if again, _ := tr.MarshalBinary(); !bytes.Equal(again, ck) {
		t.Errorf("re-marshalling the golden checkpoint changed it")
	}
	// A build that trains to the same bits as the one that wrote the file
	// (not, say, one with GOAMD64=v3, whose fused multiply-adds round
	// differently) continues exactly like a trainer never stopped.
	ref := goldenTrainer(t)
	ctx, cancel := context.WithCancel(context.Background())
	ref.afterBatch = func(e, b int) {
		if e == 2 && b == 2 {
			cancel()
		}
	}
	ref.Fit(ctx, 3, nil)
	ref.afterBatch = nil
	ref.elapsed = 0
	refCk, _ := ref.MarshalBinary()
	got, err := runStats(t, tr, context.Background(), 3)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(refCk, ck) {
		t.Logf("this build does not reproduce the golden checkpoint bit for bit; not comparing losses")
		return
	}
	want, err := runStats(t, ref, context.Background(), 3)
	if err != nil {
		t.Fatal(err)
	}
	sameStats(t, got, want)
}

func goldenTrainer(t testing.TB) *Trainer {
	train, val := holdOut(Moons(60, 0.1, 1), 0.25)
	tr, err := NewTrainer(Config{
		Model:     MLPConfig{Hidden: []int{4}, BatchNorm: true, Dropout: 0.1},
		Optimizer: OptimizerConfig{Name: "adam", LearningRate: 0.01},
		Train:     TrainConfig{Epochs: 3, BatchSize: 8, Seed: 1},
	}, train, val)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// FuzzUnmarshalBinary feeds arbitrary bytes to UnmarshalBinary: it must
// return an error or restore, never panic.
func FuzzUnmarshalBinary(f *testing.F) {
	tr := goldenTrainer(f)
	good, err := tr.MarshalBinary()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte(ckptMagic))
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := tr.UnmarshalBinary(b); err == nil {
			if _, err := tr.MarshalBinary(); err != nil {
				t.Fatal(err)
			}
		}
	})
}
