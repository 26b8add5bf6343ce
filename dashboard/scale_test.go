package dashboard

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
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

// TestCurvesBounded checks that the curves plot of a study of many trials
// draws the best maxCurves and says so.
func TestCurvesBounded(t *testing.T) {
	db := bigStudy(t, filepath.Join(t.TempDir(), "big.db"), maxCurves+50)
	t.Cleanup(func() { db.Close() })
	code, _, body := get(t, New(db, nil), "/study/big/plot/curves.svg")
	if code != 200 {
		t.Fatalf("status %d:\n%s", code, body)
	}
	if want := fmt.Sprintf("the best %d of %d trials", maxCurves, maxCurves+50); !strings.Contains(body, want) {
		t.Errorf("the curves plot does not say %q", want)
	}
}

// TestPlotsBounded checks that the parallel, slice and timeline plots of
// a study of many trials draw maxTrials of them and say so.
func TestPlotsBounded(t *testing.T) {
	const n = 3 * maxTrials
	db := bigStudy(t, filepath.Join(t.TempDir(), "big.db"), n)
	t.Cleanup(func() { db.Close() })
	h := New(db, nil)
	for _, c := range []struct{ kind, want string }{
		{"parallel", fmt.Sprintf("the best %d and %d others evenly spread, of", maxTrials/2, maxTrials/2)},
		{"slice", fmt.Sprintf("the best %d and %d others evenly spread, of", maxTrials/2, maxTrials/2)},
		{"timeline", fmt.Sprintf("the %d trials that started last, of %d", maxTrials, n-4)},
	} {
		code, _, body := get(t, h, "/study/big/plot/"+c.kind+".svg")
		if code != 200 {
			t.Fatalf("%s: status %d:\n%s", c.kind, code, body)
		}
		if !strings.Contains(body, c.want) {
			t.Errorf("the %s plot does not say %q", c.kind, c.want)
		}
	}
}

// TestImportanceBounded checks that the importance plot of a study of
// many trials fits a sample of maxImportanceTrials of them and says so.
func TestImportanceBounded(t *testing.T) {
	const n = 2 * maxImportanceTrials // about two thirds complete
	db := bigStudy(t, filepath.Join(t.TempDir(), "big.db"), n)
	t.Cleanup(func() { db.Close() })
	code, _, body := get(t, New(db, nil), "/study/big/plot/importance.svg")
	if code != 200 {
		t.Fatalf("status %d:\n%s", code, body)
	}
	if want := fmt.Sprintf("from a sample of %d of ", maxImportanceTrials); !strings.Contains(body, want) {
		t.Errorf("the importance plot does not say %q", want)
	}
}

// BenchmarkStudyPage10k serves the pages of a study of 10,000 trials of
// up to 20 epochs from a bbolt store, and reports the bytes each sends.
// "cold" is a new handler each time, which reads and ranks every trial;
// the others reuse the handler's view of the unchanged study, as a
// dashboard does between changes.
//
//	go test ./dashboard -run '^$' -bench StudyPage10k -benchtime 20x
func BenchmarkStudyPage10k(b *testing.B) {
	db := bigStudy(b, filepath.Join(b.TempDir(), "big.db"), 10000)
	b.Cleanup(func() { db.Close() })
	warm := New(db, nil)
	if _, err := warm.view(context.Background(), "big"); err != nil {
		b.Fatal(err)
	}
	cases := []struct {
		name, path string
		cold       bool
	}{
		{"study/cold", "/study/big", true},
		{"study", "/study/big", false},
		{"studies", "/", false},
		{"leaderboard", "/study/big/leaderboard", false},
		{"leaderboard/sort=lr/page=100", "/study/big/leaderboard?sort=lr&order=desc&page=100", false},
		{"trial", "/study/big/trial/5000", false},
		{"history.json", "/study/big/history.json", false},
		{"curves.json", "/study/big/curves.json", false},
		{"curve.json", "/study/big/trial/5000/curve.json", false},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			var n int
			for b.Loop() {
				h := warm
				if c.cold {
					h = New(db, nil)
				}
				r := httptest.NewRequest(http.MethodGet, c.path, nil)
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != 200 {
					b.Fatalf("%s: status %d", c.path, w.Code)
				}
				n = w.Body.Len()
			}
			b.ReportMetric(float64(n), "bytes/page")
		})
	}
	// Sorting 10,000 rows, which a view does once per order asked for.
	b.Run("sort/lr", func(b *testing.B) {
		v, _ := warm.view(context.Background(), "big")
		s, err := parseSorting("sort=lr&order=desc", columns(v.params))
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			s.sorted(v.rows)
		}
	})
	// What an event stream's poller does each second.
	b.Run("poll/revision", func(b *testing.B) {
		for b.Loop() {
			if _, err := warm.revision(context.Background(), "big"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("poll/fingerprint", func(b *testing.B) {
		h := New(noRevision{db}, nil)
		for b.Loop() {
			if _, err := h.revision(context.Background(), "big"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
