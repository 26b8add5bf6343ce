package study

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/dltune/dltune"
)

// The memory studies are files because cmd/dltune runs them too.
var hugeStudy, wideStudy = readTestdata("testdata/memory/huge.yaml"), readTestdata("testdata/memory/wide.yaml")

func readTestdata(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func TestPrepareRefusesWhatNoTrialFits(t *testing.T) {
	ctx := context.Background()
	lim := MemoryLimit{Bytes: 8 << 30, Source: "the test", Hint: "ask for more"}
	_, err := Prepare(ctx, parse(t, hugeStudy), PrepareOptions{Memory: lim})
	var me *MemoryError
	if !errors.As(err, &me) {
		t.Fatalf("Prepare: %v, want a MemoryError", err)
	}
	if me.Estimate.Total() < 4*16<<30 || me.Share >= lim.Bytes || me.Share < lim.Bytes-1<<20 || me.Parallel != 1 {
		t.Errorf("estimate %d bytes, share %d, parallel %d: want over 64 GiB (params, gradients, two moments), a share just under 8 GiB, 1",
			me.Estimate.Total(), me.Share, me.Parallel)
	}
	for _, want := range []string{"small.yaml: every trial needs an estimated ", "(parameters 16.", "optimizer state 32.",
		"more than the 8.0 GiB a trial may use (8.0 GiB from the test, less ", " of data; ask for more)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

// TestCheckCountsParallelTrials refuses a study whose every trial fits
// alone but not beside the others that run at once, before it touches the
// store.
func TestCheckCountsParallelTrials(t *testing.T) {
	ctx := context.Background()
	spec := parse(t, strings.Replace(hugeStudy, "[65536, 65536]", "[1024]", 1))
	p, err := Prepare(ctx, spec, PrepareOptions{Memory: MemoryLimit{Bytes: 120 << 20, Source: "the test"}})
	if err != nil {
		t.Fatal(err)
	}
	// The checkpoint counts the model file of a new best epoch too
	// (search.keep_weights).
	if p.fixed == nil || p.fixed.Total() > 60<<20 || p.fixed.Total() < 41<<20 {
		t.Fatalf("fixed estimate %v: the test wants one between 41 and 60 MiB", p.fixed)
	}
	if err := p.Check(Options{Parallel: 1}); err != nil {
		t.Errorf("one at a time: %v", err)
	}
	err = p.Check(Options{Parallel: 3})
	var me *MemoryError
	if !errors.As(err, &me) || me.Parallel != 3 || !strings.Contains(err.Error(), "shared by 3 trials at once") {
		t.Errorf("three at a time: %v, want a MemoryError shared by 3 trials", err)
	}
	st := newMemStore()
	if _, err := p.Run(ctx, st, Options{Parallel: 3}); !errors.As(err, &me) {
		t.Errorf("Run: %v, want a MemoryError", err)
	}
	if _, err := st.Study(ctx, spec.Name); !errors.Is(err, dltune.ErrNotFound) {
		t.Errorf("the refused study was stored: %v", err)
	}
}

// TestTrialTooBigFails fails the trial whose width cannot fit and
// completes the others.
func TestTrialTooBigFails(t *testing.T) {
	ctx := context.Background()
	p, err := Prepare(ctx, parse(t, wideStudy), PrepareOptions{Memory: MemoryLimit{Bytes: 256 << 20, Source: "the test"}})
	if err != nil {
		t.Fatal(err)
	}
	st := newMemStore()
	sum, err := p.Run(ctx, st, Options{})
	if err != nil {
		t.Fatal(err)
	}
	trials, _ := st.Trials(ctx, "wide")
	if len(trials) != 3 || sum.Failed != 1 {
		t.Fatalf("%d trials, %d failed; want 3 and 1", len(trials), sum.Failed)
	}
	for _, tr := range trials {
		big := tr.Params["width"].Int() == 65536
		switch {
		case big && (tr.State != dltune.Failed || !strings.HasPrefix(tr.Error, "training needs an estimated ") ||
			!strings.Contains(tr.Error, "more than the 255.") || tr.Epochs() != 0):
			t.Errorf("trial %d (width 65536): %s after %d epochs, error %q; want failed with the estimate", tr.Number, tr.State, tr.Epochs(), tr.Error)
		case !big && tr.State != dltune.Complete:
			t.Errorf("trial %d (%s): %s, %q; want complete", tr.Number, tr.Params, tr.State, tr.Error)
		}
	}
}

func TestSyntheticDataBound(t *testing.T) {
	src := strings.Replace(hugeStudy, "samples: 100, features: 784", "samples: 10000000, features: 100000", 1)
	_, err := Prepare(context.Background(), parse(t, src), PrepareOptions{Memory: MemoryLimit{Bytes: 1 << 30, Source: "the test"}})
	if err == nil || !strings.Contains(err.Error(), "small.yaml: data.synthetic: 10000000 samples take 3.6 TiB, more than the data may (512.0 MiB, half the 1.0 GiB from the test)") {
		t.Errorf("Prepare: %v", err)
	}
}

func TestMemoryErrorSaysOnlyWhatItHas(t *testing.T) {
	e := &MemoryError{Share: 1 << 20, Limit: MemoryLimit{Bytes: 1 << 20, Source: "x"}, Parallel: 1}
	if s := e.Error(); strings.Contains(s, "data") || strings.Contains(s, "shared") || strings.Contains(s, ";") {
		t.Errorf("%q mentions data, sharing or a hint it was not given", s)
	}
}
