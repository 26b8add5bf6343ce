package study

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/search"
	"github.com/dltune/dltune/store"
	"github.com/dltune/dltune/trial"
)

// diagnosed is an objective that reports instant epochs carrying the
// per-layer diagnostics of a model with four weight layers, each with a
// 20-bucket gradient histogram, as trial.Run does.
func diagnosed(_ context.Context, job *trial.Job) (trial.Result, error) {
	x := job.Params["lr"].Num
	e := job.Done
	for e < job.Until {
		e++
		layers := make([]dltune.LayerStats, 4)
		for i := range layers {
			h := make([]int, 20)
			for j := range h {
				h[j] = 1000 * j * (i + 1)
			}
			layers[i] = dltune.LayerStats{Name: fmt.Sprintf("dense%d", i), WeightNorm: 1.5, GradRMS: x, GradMax: 2 * x, DeadFraction: 0.1, GradHist: h, HistLow: -12}
		}
		ep := dltune.Epoch{TrainLoss: x + 1/float64(e), ValLoss: x + 1.1/float64(e), ValAccuracy: 0.9, HasAccuracy: true, LearningRate: x, Seconds: 0.5, Layers: layers}
		stop, err := job.Report(ep, trial.State{Checkpoint: func() ([]byte, error) { return []byte("ckpt"), nil }})
		if err != nil {
			return trial.Result{Epochs: e}, err
		}
		if stop {
			return trial.Result{Epochs: e, Pruned: true}, nil
		}
	}
	return trial.Result{Epochs: e}, nil
}

// barrier is a strategy that, once at trials have started, waits until
// *open before it starts more: the test opens it when no trial runs (a
// running trial is whole, with its diagnostics) and it has measured the
// heap.
type barrier struct {
	search.Strategy
	at   int
	open *bool
}

func (b barrier) Next(h *search.History) (search.Decision, error) {
	if h.Started() == b.at && !*b.open {
		return search.Decision{Action: search.Wait}, nil
	}
	return b.Strategy.Next(h)
}

// heapUse is the heap in use after a collection, and the live bytes in it.
// It collects twice: what a sync.Pool holds (encoding/json's buffers) goes
// only at the second.
func heapUse() (inuse, alloc uint64) {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse, ms.HeapAlloc
}

// perTrial is the heap a run loop holds per trial, after a collection: in
// use (live bytes and the free space of the spans holding them) and live.
type perTrial struct{ inuse, live float64 }

func (p perTrial) String() string {
	return fmt.Sprintf("heap in use %6.0f B/trial, live %6.0f B/trial", p.inuse, p.live)
}

// loopMemory runs a study of n trials of epochs epochs each against a bbolt
// store in dir, with three parameters, and returns the heap the loop holds
// per trial while it runs: the growth of the heap after a collection
// between the moment n/5 trials had finished and the moment all n had,
// divided by the 4n/5 trials in between, so that the fixed cost of the
// loop, the store and the test cancels out. It then runs the finished
// study again, which loads its n trials and stops, and returns the heap
// the loop holds per trial once loaded (the fixed cost included).
func loopMemory(t testing.TB, dir string, n, epochs int) (run, load perTrial) {
	t.Helper()
	db, err := store.Open(filepath.Join(dir, fmt.Sprintf("mem-%d-%d.db", n, epochs)), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if err := db.CreateStudy(ctx, &dltune.Study{Name: "s", Spec: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	space := &search.Space{Params: []search.Param{
		{Name: "lr", Type: search.FloatRange, Low: 1e-4, High: 1e-1, Log: true},
		{Name: "hidden", Type: search.IntRange, Low: 16, High: 512},
		{Name: "act", Type: search.Choice, Choices: []dltune.Value{dltune.String("relu"), dltune.String("tanh")}},
	}}
	var marks [2]struct {
		at           int
		inuse, alloc uint64
		done         bool
	}
	marks[0].at, marks[1].at = n/5, n
	cfg := loopConfig{
		Strategy:  barrier{search.NewSampling(search.NewRandomSampler(space, 1), epochs), marks[0].at, &marks[0].done},
		Parallel:  4,
		Budget:    n,
		MaxEpochs: epochs,
		Progress: func(s Status) {
			for i := range marks {
				if m := &marks[i]; !m.done && s.Finished >= m.at && s.Running == 0 {
					m.inuse, m.alloc = heapUse()
					m.done = true
				}
			}
		},
	}
	sum, err := loop(ctx, db, "s", cfg, diagnosed)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Finished != n || !marks[0].done || !marks[1].done {
		t.Fatalf("%d of %d trials finished; heap measured at %d: %t, at %d: %t", sum.Finished, n, marks[0].at, marks[0].done, marks[1].at, marks[1].done)
	}
	// The trials really carried diagnostics to the store.
	last, err := db.Trial(ctx, "s", n-1)
	if err != nil {
		t.Fatal(err)
	}
	if len(last.Curve) != epochs || len(last.Curve[epochs-1].Layers) != 4 || len(last.Curve[epochs-1].Layers[3].GradHist) != 20 {
		t.Fatalf("stored trial %d has %d epochs, last with layers %+v", n-1, len(last.Curve), last.Curve[len(last.Curve)-1].Layers)
	}
	per := float64(marks[1].at - marks[0].at)
	run = perTrial{(float64(marks[1].inuse) - float64(marks[0].inuse)) / per, (float64(marks[1].alloc) - float64(marks[0].alloc)) / per}

	last = nil
	inuse0, alloc0 := heapUse()
	loaded := false
	cfg.Progress = func(s Status) {
		if !loaded {
			inuse, alloc := heapUse()
			load = perTrial{(float64(inuse) - float64(inuse0)) / float64(n), (float64(alloc) - float64(alloc0)) / float64(n)}
			loaded = true
		}
	}
	sum, err = loop(ctx, db, "s", cfg, diagnosed)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Finished != n || !loaded {
		t.Fatalf("second run: %d of %d trials finished, heap measured: %t", sum.Finished, n, loaded)
	}
	return run, load
}

// TestLoopMemoryPerTrial fails if the run loop keeps more than a bound of
// heap per trial: it must hold only what the strategies read (a
// search.Record), not the trials' per-layer diagnostics nor their other
// per-epoch metrics. It holds about 700 bytes per trial of 10 epochs and
// three parameters, most of it the parameters' map (about 460 bytes); a
// dltune.Trial with its curve would be 1,600.
func TestLoopMemoryPerTrial(t *testing.T) {
	if testing.Short() {
		t.Skip("runs 250 trials against the bbolt store")
	}
	const n, epochs, bound = 250, 10, 1024
	run, load := loopMemory(t, loopDir(t), n, epochs)
	t.Logf("%d trials of %d epochs: running: %v; loaded: %v", n, epochs, run, load)
	// Live bytes, not the heap in use: over a few hundred trials the free
	// space in partly used spans makes the latter vary by hundreds of bytes
	// a trial from run to run.
	for _, c := range []struct {
		what string
		live float64
	}{{"running the study", run.live}, {"after loading the study", load.live}} {
		if !(c.live <= bound) {
			t.Errorf("%s the loop holds %.0f live bytes per trial of %d epochs, want at most %d", c.what, c.live, epochs, bound)
		}
	}
}

// TestLoopMemoryScale measures the loop's heap per trial at 1,000 and 10,000
// trials of 10 and 50 epochs, for the record (see the issue on memory). It is slow; set
// DLTUNE_MEMORY=1 to run it, and DLTUNE_LOOP_DIR=/dev/shm to keep the store
// off the disk:
//
//	DLTUNE_MEMORY=1 DLTUNE_LOOP_DIR=/dev/shm go test ./study -run TestLoopMemoryScale -v
func TestLoopMemoryScale(t *testing.T) {
	if os.Getenv("DLTUNE_MEMORY") == "" {
		t.Skip("set DLTUNE_MEMORY=1 to measure the loop's memory at 10,000 trials")
	}
	for _, c := range []struct{ n, epochs int }{{1000, 10}, {10000, 10}, {1000, 50}, {10000, 50}} {
		run, load := loopMemory(t, loopDir(t), c.n, c.epochs)
		t.Logf("%5d trials of %2d epochs: running: %v; loaded: %v", c.n, c.epochs, run, load)
	}
}

// loopDir is where a memory test puts its store: DLTUNE_LOOP_DIR if set,
// else a temporary directory.
func loopDir(t testing.TB) string {
	d := os.Getenv("DLTUNE_LOOP_DIR")
	if d == "" {
		return t.TempDir()
	}
	dir, err := os.MkdirTemp(d, "loopmem")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}
