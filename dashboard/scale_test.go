package dashboard

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/store"
)

// bigEpochs is the length of a complete trial of study big.
const bigEpochs = 20

// bigStudy writes study big (testdata/big.yaml) with n made-up trials into
// a new bbolt store at path: most complete after 20 epochs, some pruned
// at a few epochs, some failed, the last few running. Nothing trains; the
// trials are imported concurrently, so that the store's group commit
// writes many per transaction.
func bigStudy(tb testing.TB, path string, n int) *store.DB {
	tb.Helper()
	spec, err := os.ReadFile("testdata/big.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	db, err := store.Open(path, nil)
	if err != nil {
		tb.Fatal(err)
	}
	ctx := context.Background()
	t0 := time.Now().Add(-24 * time.Hour)
	if err := db.CreateStudy(ctx, &dltune.Study{Name: "big", File: "testdata/big.yaml", Spec: spec, Created: t0}); err != nil {
		db.Close()
		tb.Fatal(err)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(256)
	for i := range n {
		t := bigTrial(i, n, t0)
		g.Go(func() error { return db.ImportTrial(gctx, "big", t, nil) })
	}
	if err := g.Wait(); err != nil {
		db.Close()
		tb.Fatal(err)
	}
	return db
}

// bigTrial makes up trial i of n, seeded by its number.
func bigTrial(i, n int, t0 time.Time) *dltune.Trial {
	r := rand.New(rand.NewPCG(uint64(i), 17))
	acts := []string{"relu", "tanh", "gelu"}
	lr := math.Exp(math.Log(1e-4) + r.Float64()*math.Log(1e3))
	t := &dltune.Trial{
		Number: i,
		Params: dltune.Params{
			"lr":      dltune.Float(lr),
			"hidden":  dltune.Int(16 + r.IntN(497)),
			"act":     dltune.String(acts[r.IntN(len(acts))]),
			"dropout": dltune.Float(r.Float64() * 0.5),
		},
		State: dltune.Complete, Budget: bigEpochs, RetryOf: -1,
		Created: t0.Add(time.Duration(i) * 8 * time.Second),
	}
	t.Started = t.Created
	epochs := bigEpochs
	switch {
	case i >= n-4:
		t.State, epochs = dltune.Running, r.IntN(bigEpochs)
	case i%50 == 7:
		t.State, epochs, t.Error = dltune.Failed, 1+r.IntN(3), "exit status 1"
	case i%3 == 1:
		t.State, epochs = dltune.Pruned, 2+r.IntN(6)
	}
	floor := 0.2 + math.Abs(math.Log10(lr)+2.5)*0.1 + r.Float64()*0.05
	for e := 1; e <= epochs; e++ {
		val := floor + 2/float64(e+1) + r.Float64()*0.02
		t.Curve = append(t.Curve, dltune.Epoch{Epoch: e, TrainLoss: val * 0.9, ValLoss: val,
			ValAccuracy: 1 - val/3, HasAccuracy: true, LearningRate: lr, Seconds: 7 + r.Float64()})
	}
	t.Events = []dltune.Event{{Time: t.Started, What: "created"}}
	if t.State.Finished() {
		t.Finished = t.Started.Add(time.Duration(epochs) * 8 * time.Second)
		t.Events = append(t.Events, dltune.Event{Time: t.Finished, Epoch: epochs, What: t.State.String()})
	}
	return t
}

// TestWriteBig writes study big with 10,000 trials to the store file
// $DLTUNE_BIG_STORE, for measuring dltune serve on it; without it, it
// skips.
//
//	DLTUNE_BIG_STORE=/tmp/big.db go test ./dashboard -run TestWriteBig
//	dltune serve --storage /tmp/big.db
func TestWriteBig(t *testing.T) {
	path := os.Getenv("DLTUNE_BIG_STORE")
	if path == "" {
		t.Skip("set DLTUNE_BIG_STORE to a new store file to write the 10,000-trial study")
	}
	path, _ = filepath.Abs(path)
	t0 := time.Now()
	db := bigStudy(t, path, 10000)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote 10,000 trials to %s (%d MB) in %s", path, fi.Size()>>20, time.Since(t0).Round(time.Millisecond))
}
