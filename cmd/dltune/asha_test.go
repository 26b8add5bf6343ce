package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestASHAOverSeeds pins what ASHA does on the spirals example in general,
// not for the one seed the example was written with. For each study seed
// it runs the example's 27 configurations twice: with random search, every
// trial trained its full 25 epochs, and with ASHA (parallel: 2, so
// promotions depend on which trial finishes first).
//
// Measured over seeds 1-12 (DLTUNE_LONG=1 runs them and logs the table):
// ASHA's best loss is 1.00-1.46 times random search's (median 1.035) for
// 0.12-0.20 of its epochs; against random search given ASHA's epochs (the
// first k full trials, k = ASHA's epochs / 25) it is 0.36-1.11 times
// (median 0.79): better or equal in 10 of 12 seeds. The bounds below are
// taken from that spread, with room for the parallel runs' variation. Seed
// 1, which the example was written with, is left out of the default run.
func TestASHAOverSeeds(t *testing.T) {
	seeds := []uint64{2, 3, 4, 5}
	if os.Getenv("DLTUNE_LONG") != "" {
		seeds = []uint64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	}
	dir := t.TempDir()
	var same, equal, epochs []float64
	for _, seed := range seeds {
		rnd := runSeeded(t, dir, "../../examples/spirals-random.yaml", seed)
		asha := runSeeded(t, dir, "../../examples/spirals-asha.yaml", seed)
		rbest, rep := best(rnd, math.MaxInt)
		abest, aep := best(asha, math.MaxInt)
		// Random search's trial n has the same parameters whatever the
		// budget, so its first k trials are a random search of k trials.
		k := max(1, int(math.Round(float64(aep)/25)))
		kbest, _ := best(rnd, k)
		same = append(same, abest/rbest)
		equal = append(equal, abest/kbest)
		epochs = append(epochs, float64(aep)/float64(rep))
		t.Logf("seed %2d: random %.4f in %d epochs; asha %.4f in %d epochs (%.3f×, %.3f of the epochs); random's first %d trials %.4f (asha %.3f×)",
			seed, rbest, rep, abest, aep, abest/rbest, float64(aep)/float64(rep), k, kbest, abest/kbest)
	}
	t.Logf("asha/random loss: median %.3f, range %.3f-%.3f", median(same), slices.Min(same), slices.Max(same))
	t.Logf("asha/random epochs: median %.3f, range %.3f-%.3f", median(epochs), slices.Min(epochs), slices.Max(epochs))
	t.Logf("asha/random at equal epochs: median %.3f, range %.3f-%.3f", median(equal), slices.Min(equal), slices.Max(equal))

	if m := median(same); m > 1.15 {
		t.Errorf("ASHA's best loss is a median %.3f× random search's, want <= 1.15", m)
	}
	if m := slices.Max(same); m > 1.6 {
		t.Errorf("ASHA's best loss is up to %.3f× random search's, want <= 1.6", m)
	}
	if m := slices.Max(epochs); m > 0.25 {
		t.Errorf("ASHA trained up to %.3f of random search's epochs, want <= 0.25", m)
	}
	if m := median(equal); m > 1.0 {
		t.Errorf("at equal epochs ASHA's best loss is a median %.3f× random search's, want <= 1", m)
	}
	if m := slices.Max(equal); m > 1.25 {
		t.Errorf("at equal epochs ASHA's best loss is up to %.3f× random search's, want <= 1.25", m)
	}
}

// runSeeded runs the example study file with its seed replaced and returns
// its trials.
func runSeeded(t *testing.T, dir, file string, seed uint64) []row {
	t.Helper()
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)^seed: \d+$`)
	if !re.Match(src) {
		t.Fatalf("%s has no seed line", file)
	}
	src = re.ReplaceAll(src, []byte("seed: "+strconv.FormatUint(seed, 10)))
	base := strings.TrimSuffix(filepath.Base(file), ".yaml")
	path := filepath.Join(dir, fmt.Sprintf("%s-%d.yaml", base, seed))
	if err := os.WriteFile(path, src, 0o600); err != nil {
		t.Fatal(err)
	}
	storage := path + ".db"
	if code, _, errs := cli(t, context.Background(), "run", path, "--storage", storage); code != 0 {
		t.Fatalf("run %s: exit %d: %s", path, code, errs)
	}
	rows := leaderboard(t, storage)
	if len(rows) != 27 {
		t.Fatalf("%s: %d trials, want 27", path, len(rows))
	}
	return rows
}

// best returns the lowest validation loss among the trials numbered below
// n, and the epochs all the trials trained.
func best(rows []row, n int) (loss float64, epochs int) {
	loss = math.Inf(1)
	for _, r := range rows {
		epochs += r.Epochs
		if r.Trial < n && r.ValLoss != nil {
			loss = min(loss, *r.ValLoss)
		}
	}
	return loss, epochs
}

func median(v []float64) float64 {
	s := slices.Sorted(slices.Values(v))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
