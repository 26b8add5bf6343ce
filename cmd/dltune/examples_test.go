package main

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestExamplesValidate(t *testing.T) {
	files, _ := filepath.Glob("../../examples/*.yaml")
	if len(files) < 4 {
		t.Fatalf("only %d examples", len(files))
	}
	for _, f := range files {
		if code, _, errs := cli(t, context.Background(), "validate", f); code != 0 {
			t.Errorf("%s: exit %d: %s", f, code, errs)
		}
	}
}

// TestASHAEfficiency runs the same 27 configurations with random search
// and with ASHA: ASHA must find a best validation loss within 2% of random
// search's while training at most a third of the epochs.
func TestASHAEfficiency(t *testing.T) {
	dir := t.TempDir()
	run := func(file string) (best float64, epochs int) {
		storage := filepath.Join(dir, filepath.Base(file)+".db")
		if code, _, errs := cli(t, context.Background(), "run", file, "--storage", storage); code != 0 {
			t.Fatalf("run %s: exit %d: %s", file, code, errs)
		}
		rows := leaderboard(t, storage)
		if len(rows) != 27 {
			t.Fatalf("%s: %d trials, want 27", file, len(rows))
		}
		for _, r := range rows {
			epochs += r.Epochs
		}
		return *rows[0].ValLoss, epochs
	}
	rbest, repochs := run("../../examples/spirals-random.yaml")
	abest, aepochs := run("../../examples/spirals-asha.yaml")

	// show tells the winner's way up the rungs.
	storage := filepath.Join(dir, "spirals-asha.yaml.db")
	top := leaderboard(t, storage, "--top", "1")[0]
	_, out, _ := cli(t, context.Background(), "show", strconv.Itoa(top.Trial), "--storage", storage)
	for _, want := range []string{"rungs at 1, 3, 9, 25 epochs: reached 4 of 4", "promoted from 1 to 3 epochs", "promoted from 9 to 25 epochs", "complete after 25 epochs"} {
		if !strings.Contains(out, want) {
			t.Errorf("show %d lacks %q:\n%s", top.Trial, want, out)
		}
	}
	t.Logf("random: best %.4f in %d epochs; asha: best %.4f in %d epochs", rbest, repochs, abest, aepochs)
	if abest > rbest*1.02 {
		t.Errorf("ASHA's best %.4f is more than 2%% above random's %.4f", abest, rbest)
	}
	if 3*aepochs > repochs {
		t.Errorf("ASHA trained %d epochs, more than a third of random's %d", aepochs, repochs)
	}
}
