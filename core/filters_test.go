package core

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestFirstConvWeights checks that the first convolution's weights come out
// in out × in × kh × kw order: a cross-correlation computed from them, read
// in that order, is what the layer computes.
func TestFirstConvWeights(t *testing.T) {
	// Two-channel 5×5 images; batch norm leaves the convolution without
	// bias or activation, so its output is the bare cross-correlation.
	train, val := newSynth(8, 2*5*5, 1, Classification, 2), newSynth(4, 2*5*5, 1, Classification, 2)
	for i := range train.Len() {
		train.Y.Set(i, 0, float32(i%2))
	}
	for i := range val.Len() {
		val.Y.Set(i, 0, float32(i%2))
	}
	tests := []struct {
		name  string
		first ConvBlock
		want  [4]int
	}{
		{"conv", ConvBlock{Filters: 3, Kernel: 3, Padding: 1, BatchNorm: true}, [4]int{3, 2, 3, 3}},
		{"residual", ConvBlock{Filters: 4, Kernel: 3, Residual: true}, [4]int{4, 2, 3, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Config{Conv: &ConvConfig{Channels: 2, Height: 5, Width: 5, Blocks: []ConvBlock{tt.first, {Filters: 2, Kernel: 1}}},
				Optimizer: OptimizerConfig{Name: "sgd", LearningRate: 0.1},
				Train:     TrainConfig{Epochs: 1, BatchSize: 4, Seed: 5}}
			_, tr := fitAll(t, cfg, train, val)
			w, shape := tr.FirstConvWeights()
			if shape != tt.want || len(w) != shape[0]*shape[1]*shape[2]*shape[3] {
				t.Fatalf("shape %v with %d weights, want %v", shape, len(w), tt.want)
			}
			c := tr.model.firstConv()
			first := tr.model.layers[0]
			if r, ok := first.(*residual); ok {
				first = r.conv1
			}
			if layer(c) != first {
				t.Fatalf("first convolution is %s", c.name)
			}
			w[0]++
			if c.w.w[0] == w[0] {
				t.Fatal("FirstConvWeights returned the model's weights, not a copy")
			}
			w[0]--
			if tt.first.Residual {
				return // the layout is the same layer's; its output has an activation
			}
			x := NewTensor(1, 2*5*5)
			rng := rand.New(rand.NewPCG(1, 2))
			for i := range x.Data {
				x.Data[i] = float32(rng.NormFloat64())
			}
			y := c.forward(x, false)
			O, I, K := shape[0], shape[1], shape[2]
			for o := range O {
				for oy := range 5 {
					for ox := range 5 {
						var want float64
						for i := range I {
							for kh := range K {
								for kw := range K {
									iy, ix := oy+kh-1, ox+kw-1
									if iy < 0 || iy >= 5 || ix < 0 || ix >= 5 {
										continue
									}
									want += float64(w[((o*I+i)*K+kh)*K+kw]) * float64(x.Data[(i*5+iy)*5+ix])
								}
							}
						}
						if got := float64(y.Data[(o*5+oy)*5+ox]); math.Abs(got-want) > 1e-5 {
							t.Errorf("output %d,%d,%d: layer %v, from the weights %v", o, oy, ox, got, want)
						}
					}
				}
			}
		})
	}

	// An MLP has none.
	mlp := Config{Model: MLPConfig{Hidden: []int{3}}, Optimizer: OptimizerConfig{Name: "sgd", LearningRate: 0.1},
		Train: TrainConfig{Epochs: 1, BatchSize: 4, Seed: 5}}
	tr, err := NewTrainer(mlp, train, val)
	if err != nil {
		t.Fatal(err)
	}
	if w, shape := tr.FirstConvWeights(); w != nil || shape != [4]int{} {
		t.Errorf("MLP: %d weights of shape %v", len(w), shape)
	}
}
