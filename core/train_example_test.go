package core_test

import (
	"context"
	"fmt"
	"log"

	"github.com/dltune/dltune/core"
)

// Train a small network on two interleaved spirals and report the last
// epoch.
func ExampleNewTrainer() {
	data := core.Spirals(1000, 2, 0.03, 7)
	train, val := sampleRange(data, 0, 700), sampleRange(data, 700, 1000)
	cfg := core.Config{
		Model:     core.MLPConfig{Hidden: []int{32, 32}},
		Optimizer: core.OptimizerConfig{Name: "adam", LearningRate: 0.01},
		Train:     core.TrainConfig{Epochs: 40, BatchSize: 32, Seed: 1},
	}
	tr, err := core.NewTrainer(cfg, train, val)
	if err != nil {
		log.Fatal(err)
	}
	var last core.EpochStats
	err = tr.Fit(context.Background(), cfg.Train.Epochs, func(s core.EpochStats) error {
		last = s
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("epoch %d: validation accuracy %.2f\n", last.Epoch, last.ValAccuracy)
	// Output: epoch 40: validation accuracy 1.00
}

// Stop training, keep a checkpoint, and continue in a new trainer as if
// nothing had happened.
func ExampleTrainer_MarshalBinary() {
	data := core.Moons(400, 0.1, 1)
	train, val := sampleRange(data, 0, 300), sampleRange(data, 300, 400)
	cfg := core.Config{
		Model:     core.MLPConfig{Hidden: []int{16}},
		Optimizer: core.OptimizerConfig{Name: "sgd", LearningRate: 0.1, Momentum: 0.9},
		Train:     core.TrainConfig{Epochs: 6, BatchSize: 32, Seed: 1},
	}
	a, err := core.NewTrainer(cfg, train, val)
	if err != nil {
		log.Fatal(err)
	}
	if err := a.Fit(context.Background(), 3, nil); err != nil {
		log.Fatal(err)
	}
	ckpt, err := a.MarshalBinary()
	if err != nil {
		log.Fatal(err)
	}

	b, err := core.NewTrainer(cfg, train, val) // same Config and data
	if err != nil {
		log.Fatal(err)
	}
	if err := b.UnmarshalBinary(ckpt); err != nil {
		log.Fatal(err)
	}
	fmt.Println("resumed after epoch", b.Epoch())
	err = b.Fit(context.Background(), 6, func(s core.EpochStats) error {
		fmt.Printf("epoch %d\n", s.Epoch)
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	// Output:
	// resumed after epoch 3
	// epoch 4
	// epoch 5
	// epoch 6
}

// sampleRange returns samples [lo, hi) of d, sharing its storage.
func sampleRange(d *core.Dataset, lo, hi int) *core.Dataset {
	return &core.Dataset{
		X:    &core.Tensor{Rows: hi - lo, Cols: d.X.Cols, Data: d.X.Data[lo*d.X.Cols : hi*d.X.Cols]},
		Y:    &core.Tensor{Rows: hi - lo, Cols: d.Y.Cols, Data: d.Y.Data[lo*d.Y.Cols : hi*d.Y.Cols]},
		Task: d.Task, Classes: d.Classes,
	}
}
