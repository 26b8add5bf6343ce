package core

import (
	"slices"
	"strings"
	"testing"
)

// shifted reports whether out is img (c planes of h×w) mirrored left to
// right if flip, then shifted by (dy, dx) with zeros coming in.
func shifted(img, out []float32, s imageShape, dy, dx int, flip bool) bool {
	for ch := range s.c {
		for y := range s.h {
			for x := range s.w {
				sy, sx := y+dy, x+dx
				if flip {
					sx = s.w - 1 - x + dx
				}
				want := float32(0)
				if sy >= 0 && sy < s.h && sx >= 0 && sx < s.w {
					want = img[(ch*s.h+sy)*s.w+sx]
				}
				if out[(ch*s.h+y)*s.w+x] != want {
					return false
				}
			}
		}
	}
	return true
}

func TestAugment(t *testing.T) {
	s := imageShape{2, 5, 6}
	const n = 400
	base := make([]float32, s.size())
	for i := range base {
		base[i] = float32(i + 1) // distinct and non-zero, so shifts are told apart
	}
	batch := func() *Tensor {
		x := &Tensor{Rows: n, Cols: s.size(), Data: make([]float32, n*s.size())}
		for r := range n {
			copy(x.Row(r), base)
		}
		return x
	}
	for _, cfg := range []AugmentConfig{{Flip: true}, {Crop: 2}, {Crop: 1, Flip: true}} {
		a := newAugmenter(cfg, s)
		x := batch()
		a.apply(x, 7, 3)
		seen := map[[3]int]int{}
		for r := range n {
			found := false
			for dy := -cfg.Crop; dy <= cfg.Crop && !found; dy++ {
				for dx := -cfg.Crop; dx <= cfg.Crop && !found; dx++ {
					for _, flip := range []bool{false, true} {
						if (!flip || cfg.Flip) && shifted(base, x.Row(r), s, dy, dx, flip) {
							seen[[3]int{dy, dx, boolInt(flip)}]++
							found = true
							break
						}
					}
				}
			}
			if !found {
				t.Fatalf("%+v: sample %d is not a shift or mirror of the image: %v", cfg, r, x.Row(r))
			}
		}
		// Every transformation the settings allow occurs.
		want := (2*cfg.Crop + 1) * (2*cfg.Crop + 1)
		if cfg.Flip {
			want *= 2
		}
		if len(seen) != want {
			t.Errorf("%+v: %d distinct transformations in %d samples, want %d", cfg, len(seen), n, want)
		}
		// The same seed and batch give the same images, another batch
		// others.
		y := batch()
		a.apply(y, 7, 3)
		if !slices.Equal(x.Data, y.Data) {
			t.Errorf("%+v: batch 3 differs when augmented again", cfg)
		}
		z := batch()
		a.apply(z, 7, 4)
		if slices.Equal(x.Data, z.Data) {
			t.Errorf("%+v: batches 3 and 4 augmented alike", cfg)
		}
	}
}

// TestAugmentTraining checks that the trainer augments training batches:
// each gathered image is the sample or its mirror, and some are mirrored.
func TestAugmentTraining(t *testing.T) {
	train, val := bars(64, 12, 1), bars(16, 12, 2)
	cfg := Config{Conv: smallCNN(12), Augment: AugmentConfig{Flip: true},
		Optimizer: OptimizerConfig{Name: "sgd", LearningRate: 0.1}, Train: TrainConfig{Epochs: 1, BatchSize: 32, Seed: 4}}
	tr, err := NewTrainer(cfg, train, val)
	if err != nil {
		t.Fatal(err)
	}
	tr.ensurePerm()
	if err := tr.step(); err != nil {
		t.Fatal(err)
	}
	s := imageShape{1, 12, 12}
	flipped := 0
	for i, r := range tr.perm[:32] {
		got, img := tr.xb.t.Row(i), train.X.Row(int(r))
		switch {
		case shifted(img, got, s, 0, 0, false):
		case shifted(img, got, s, 0, 0, true):
			flipped++
		default:
			t.Fatalf("batch row %d is neither sample %d nor its mirror", i, r)
		}
	}
	if flipped < 8 || flipped > 24 {
		t.Errorf("%d of 32 images mirrored", flipped)
	}
}

func TestAugmentErrors(t *testing.T) {
	train, val := bars(64, 12, 1), bars(16, 12, 2)
	mlp := Config{Model: MLPConfig{Hidden: []int{4}}, Optimizer: OptimizerConfig{Name: "sgd", LearningRate: 0.1},
		Train: TrainConfig{Epochs: 1, BatchSize: 8}}
	cnn := mlp
	cnn.Conv = smallCNN(12)
	for _, c := range []struct {
		name string
		cfg  Config
		aug  AugmentConfig
		want string
	}{
		{"negative", cnn, AugmentConfig{Crop: -1}, "augment.crop: -1 is negative"},
		{"too large", cnn, AugmentConfig{Crop: 13}, "augment.crop: 13 is more than the 12x12 image's smaller side"},
		{"mlp", mlp, AugmentConfig{Flip: true}, "augment: needs images, that is a convolutional model"},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.cfg.Augment = c.aug
			if _, err := NewTrainer(c.cfg, train, val); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("NewTrainer = %v, want %q", err, c.want)
			}
			if _, err := c.cfg.EstimateMemory(ShapeOf(train, val)); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("EstimateMemory = %v, want %q", err, c.want)
			}
		})
	}
}
