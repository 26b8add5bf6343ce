package study

import (
	"context"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/internal/pgtest"
	"github.com/dltune/dltune/search"
	"github.com/dltune/dltune/store/postgres"
)

// BenchmarkSharedLoop is BenchmarkLoop on PostgreSQL with 4 workers (4
// stores, as 4 processes would open, each running one trial at a time) on
// one study of 10,000 trivial trials: what reserving, starting, recording
// and reading the others' changes cost per trial, in the first and the
// last 1,000 trials, so that growth with the study shows. The server is
// $DLTUNE_TEST_POSTGRES's; compare with BenchmarkLoop/parallel=4 run in
// the same session. DLTUNE_SHARED_TRIALS sets another study length.
func BenchmarkSharedLoop(b *testing.B) {
	const workers, window = 4, 1000
	trials := 10000
	if n, err := strconv.Atoi(os.Getenv("DLTUNE_SHARED_TRIALS")); err == nil && n >= 2*window {
		trials = n // a longer study, to see whether the cost grows
	}
	space := &search.Space{Params: []search.Param{{Name: "x", Type: search.FloatRange, Low: -1, High: 1}}}
	var first, last time.Duration
	for range b.N {
		u := pgtest.URL(b)
		ctx := context.Background()
		dbs := make([]*postgres.DB, workers)
		for i := range dbs {
			db, err := postgres.Open(ctx, u, nil)
			if err != nil {
				b.Fatal(err)
			}
			dbs[i] = db
		}
		if err := dbs[0].CreateStudy(ctx, &dltune.Study{Name: "s", Spec: []byte("x")}); err != nil {
			b.Fatal(err)
		}
		var finished atomic.Int64
		var mu sync.Mutex
		var marks [2]time.Time // after window trials, before the last window
		progress := func(s Status) {
			n := finished.Add(int64(len(s.Ended)))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case n >= window && marks[0].IsZero():
				marks[0] = time.Now()
			case n >= int64(trials-window) && marks[1].IsZero():
				marks[1] = time.Now()
			}
		}
		start := time.Now()
		var wg sync.WaitGroup
		for i, db := range dbs {
			wg.Go(func() {
				cfg := loopConfig{
					Strategy:  search.NewSampling(search.NewRandomSampler(space, uint64(i)), 1),
					Parallel:  1,
					Budget:    trials,
					MaxEpochs: 1,
					Progress:  progress,
				}
				if _, err := loop(ctx, db, "s", cfg, trivial); err != nil {
					b.Error(err)
				}
			})
		}
		wg.Wait()
		end := time.Now()
		for _, db := range dbs {
			db.Close()
		}
		ts, err := func() ([]*dltune.Trial, error) {
			db, err := postgres.Open(ctx, u, nil)
			if err != nil {
				return nil, err
			}
			defer db.Close()
			return db.Trials(ctx, "s")
		}()
		if err != nil || len(ts) != trials {
			b.Fatalf("%d trials, %v; want %d", len(ts), err, trials)
		}
		first += marks[0].Sub(start)
		last += end.Sub(marks[1])
	}
	n := float64(b.N * window)
	b.ReportMetric(float64(first.Microseconds())/1000/n, "ms/trial-first1k")
	b.ReportMetric(float64(last.Microseconds())/1000/n, "ms/trial-last1k")
}
