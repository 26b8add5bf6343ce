package study

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/search"
	"github.com/dltune/dltune/store"
	"github.com/dltune/dltune/trial"
)

// trivial is an objective that trains one instant epoch.
func trivial(_ context.Context, job *trial.Job) (trial.Result, error) {
	x := job.Params["x"].Num
	if _, err := job.Report(dltune.Epoch{TrainLoss: x, ValLoss: x * x}, trial.State{Checkpoint: func() ([]byte, error) { return []byte("ckpt"), nil }}); err != nil {
		return trial.Result{}, err
	}
	return trial.Result{Epochs: 1}, nil
}

// BenchmarkLoop measures what the run loop itself costs per trial, with a
// trivial objective and the bbolt store: creating a trial and recording how
// it ended are each one durable (fsynced) transaction. Each iteration runs
// a study of 10,000 trials and reports the cost per trial of the first and
// of the last 1,000, so that growth with the count shows. DLTUNE_LOOP_DIR
// puts the store elsewhere (a tmpfs such as /dev/shm measures the loop
// without the disk's fsync latency).
func BenchmarkLoop(b *testing.B) {
	for _, parallel := range []int{1, 4, 16} {
		b.Run(fmt.Sprintf("parallel=%d", parallel), func(b *testing.B) {
			dir := b.TempDir()
			if d := os.Getenv("DLTUNE_LOOP_DIR"); d != "" {
				var err error
				if dir, err = os.MkdirTemp(d, "loop"); err != nil {
					b.Fatal(err)
				}
				defer os.RemoveAll(dir)
			}
			space := &search.Space{Params: []search.Param{{Name: "x", Type: search.FloatRange, Low: -1, High: 1}}}
			const trials, window = 10000, 1000
			var first, last time.Duration
			for i := range b.N {
				db, err := store.Open(filepath.Join(dir, fmt.Sprintf("loop%d.db", i)), nil)
				if err != nil {
					b.Fatal(err)
				}
				ctx := context.Background()
				if err := db.CreateStudy(ctx, &dltune.Study{Name: "s", Spec: []byte("x")}); err != nil {
					b.Fatal(err)
				}
				var marks [3]time.Time // at the start, after window trials, before the last window
				start := time.Now()
				cfg := loopConfig{
					Strategy:  search.NewSampling(search.NewRandomSampler(space, 1), 1),
					Parallel:  parallel,
					Budget:    trials,
					MaxEpochs: 1,
					Progress: func(s Status) {
						switch {
						case s.Finished >= window && marks[1].IsZero():
							marks[1] = time.Now()
						case s.Finished >= trials-window && marks[2].IsZero():
							marks[2] = time.Now()
						}
					},
				}
				marks[0] = start
				sum, err := loop(ctx, db, "s", cfg, trivial)
				if err != nil {
					b.Fatal(err)
				}
				end := time.Now()
				if sum.Finished != trials {
					b.Fatalf("%d trials finished, want %d", sum.Finished, trials)
				}
				first += marks[1].Sub(marks[0])
				last += end.Sub(marks[2])
				db.Close()
			}
			n := float64(b.N * window)
			b.ReportMetric(float64(first.Microseconds())/1000/n, "ms/trial-first1k")
			b.ReportMetric(float64(last.Microseconds())/1000/n, "ms/trial-last1k")
		})
	}
}
