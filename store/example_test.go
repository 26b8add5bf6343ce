package store_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/store"
	"github.com/dltune/dltune/study"
)

// The run loop uses a *store.DB through study.Store.
var _ study.Store = (*store.DB)(nil)

func Example() {
	dir, err := os.MkdirTemp("", "dltune")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()

	db, err := store.Open(filepath.Join(dir, "dltune.db"), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	s := &dltune.Study{Name: "quickstart", Spec: []byte("name: quickstart\n"), Created: time.Now()}
	if err := db.CreateStudy(ctx, s); err != nil {
		log.Fatal(err)
	}
	for _, lr := range []float64{0.1, 0.01} {
		t := &dltune.Trial{
			Params:  dltune.Params{"lr": dltune.Float(lr)},
			State:   dltune.Running,
			Budget:  1,
			RetryOf: -1,
			Created: time.Now(),
		}
		if err := db.CreateTrial(ctx, s.Name, t); err != nil {
			log.Fatal(err)
		}
		// One epoch trained: store the curve with a checkpoint.
		t.Curve = append(t.Curve, dltune.Epoch{Epoch: 1, TrainLoss: lr * 10, ValLoss: lr * 11})
		if err := db.SaveCheckpoint(ctx, s.Name, t, []byte("weights")); err != nil {
			log.Fatal(err)
		}
		// Finished: the checkpoint goes in the same transaction.
		t.State = dltune.Complete
		if err := db.UpdateTrial(ctx, s.Name, t); err != nil {
			log.Fatal(err)
		}
	}

	trials, err := db.Trials(ctx, s.Name)
	if err != nil {
		log.Fatal(err)
	}
	for _, t := range trials {
		_, err := db.Checkpoint(ctx, s.Name, t.Number)
		fmt.Printf("trial %d: lr=%v %s val_loss=%.2f checkpoint kept: %v\n",
			t.Number, t.Params["lr"], t.State, t.Loss(), !errors.Is(err, dltune.ErrNotFound))
	}
	// Output:
	// trial 0: lr=0.1 complete val_loss=1.10 checkpoint kept: false
	// trial 1: lr=0.01 complete val_loss=0.11 checkpoint kept: false
}

func ExampleOpen_locked() {
	dir, err := os.MkdirTemp("", "dltune")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "dltune.db")

	db, err := store.Open(path, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	// A second Open, here or in another process, fails after the timeout.
	_, err = store.Open(path, &store.Options{Timeout: 100 * time.Millisecond})
	fmt.Println(errors.Is(err, store.ErrLocked))
	// Output:
	// true
}
