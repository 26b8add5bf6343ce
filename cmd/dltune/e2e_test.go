package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/dltune/dltune"
)

func showTrial(t *testing.T, storage string, n int) *dltune.Trial {
	t.Helper()
	code, out, errs := cli(t, context.Background(), "show", strconv.Itoa(n), "--storage", storage, "--format", "json")
	if code != 0 {
		t.Fatalf("show %d: exit %d: %s", n, code, errs)
	}
	var tr dltune.Trial
	if err := json.Unmarshal([]byte(out), &tr); err != nil {
		t.Fatalf("show %d JSON: %v", n, err)
	}
	return &tr
}

func TestRunEndToEnd(t *testing.T) {
	storage := filepath.Join(t.TempDir(), "e2e.db")
	code, out, errs := cli(t, context.Background(), "run", "testdata/tiny.yaml", "--storage", storage)
	if code != 0 {
		t.Fatalf("run: exit %d\n%s%s", code, out, errs)
	}
	if !strings.Contains(out, "study tiny: 6 trials finished") {
		t.Errorf("run printed %q, want the summary", out)
	}
	// Not a terminal: one log line per trial.
	if n := strings.Count(errs, " complete after 4 epochs"); n != 6 {
		t.Errorf("progress log has %d trial lines, want 6:\n%s", n, errs)
	}

	rows := leaderboard(t, storage)
	if len(rows) != 6 {
		t.Fatalf("leaderboard has %d rows, want 6", len(rows))
	}
	seen := map[int]bool{}
	for i, r := range rows {
		if r.Rank != i+1 || r.State != "complete" || r.Epochs != 4 || r.ValLoss == nil {
			t.Errorf("row %d = %+v, want rank %d, complete after 4 epochs", i, r, i+1)
			continue
		}
		if i > 0 && *rows[i-1].ValLoss > *r.ValLoss {
			t.Errorf("rows %d and %d are out of order: %v > %v", i-1, i, *rows[i-1].ValLoss, *r.ValLoss)
		}
		if seen[r.Trial] {
			t.Errorf("trial %d ranked twice", r.Trial)
		}
		seen[r.Trial] = true
		for _, p := range []string{"lr", "width", "act"} {
			if _, ok := r.Params[p]; !ok {
				t.Errorf("row %d lacks parameter %s", i, p)
			}
		}
		tr := showTrial(t, storage, r.Trial)
		if len(tr.Curve) != 4 {
			t.Fatalf("trial %d has %d epochs stored, want 4", r.Trial, len(tr.Curve))
		}
		for k, e := range tr.Curve {
			if e.Epoch != k+1 || !e.HasAccuracy || len(e.Layers) != 3 {
				t.Errorf("trial %d epoch entry %d = epoch %d, accuracy %v, %d layers; want epoch %d with accuracy and 3 layers",
					r.Trial, k, e.Epoch, e.HasAccuracy, len(e.Layers), k+1)
			}
		}
		if tr.Loss() != *r.ValLoss {
			t.Errorf("trial %d: leaderboard loss %v, stored curve's best %v", r.Trial, *r.ValLoss, tr.Loss())
		}
	}
	top := leaderboard(t, storage, "--top", "2")
	if len(top) != 2 || top[0].Trial != rows[0].Trial || top[1].Trial != rows[1].Trial {
		t.Errorf("--top 2 = %+v, want the first two rows", top)
	}

	// Running it again finds the budget used: nothing new, nothing changed.
	code, _, errs = cli(t, context.Background(), "run", "testdata/tiny.yaml", "--storage", storage)
	if code != 0 {
		t.Fatalf("second run: exit %d: %s", code, errs)
	}
	again := leaderboard(t, storage)
	if len(again) != 6 {
		t.Fatalf("second run left %d trials, want 6", len(again))
	}
	for i := range rows {
		if again[i].Trial != rows[i].Trial || *again[i].ValLoss != *rows[i].ValLoss {
			t.Errorf("row %d changed on the second run: %+v, was %+v", i, again[i], rows[i])
		}
	}

	// A larger budget continues the same study.
	bigger := filepath.Join(t.TempDir(), "tiny.yaml")
	src, _ := os.ReadFile("testdata/tiny.yaml")
	os.WriteFile(bigger, []byte(strings.Replace(string(src), "trials: 6", "trials: 8", 1)), 0o644)
	if code, _, errs := cli(t, context.Background(), "run", bigger, "--storage", storage); code != 0 {
		t.Fatalf("run with 8 trials: exit %d: %s", code, errs)
	}
	if n := len(leaderboard(t, storage)); n != 8 {
		t.Errorf("%d trials after raising the budget to 8", n)
	}
}

func TestRunRefusesAChangedSpace(t *testing.T) {
	storage := filepath.Join(t.TempDir(), "s.db")
	dir := t.TempDir()
	src, _ := os.ReadFile("testdata/tiny.yaml")
	small := strings.Replace(string(src), "trials: 6", "trials: 1", 1)
	f := filepath.Join(dir, "tiny.yaml")
	os.WriteFile(f, []byte(small), 0o644)
	if code, _, errs := cli(t, context.Background(), "run", f, "--storage", storage); code != 0 {
		t.Fatalf("run: exit %d: %s", code, errs)
	}
	changed := strings.Replace(small, "[1e-3, 3e-2]", "[1e-4, 3e-2]", 1)
	os.WriteFile(f, []byte(changed), 0o644)
	code, _, errs := cli(t, context.Background(), "run", f, "--storage", storage)
	if code != exitUsage || !strings.Contains(errs, "space.lr") || !strings.Contains(errs, "0.0001") {
		t.Errorf("changed space: exit %d, %q; want exit 2 naming space.lr and its new range", code, errs)
	}
	if n := len(leaderboard(t, storage)); n != 1 {
		t.Errorf("%d trials after the refused run, want 1", n)
	}
}

func TestExitStatuses(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("name: x\nseed: 1\nsearch: {strategy: random, trials: 0}\n"), 0o644)
	storage := filepath.Join(dir, "none.db")
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown command", []string{"frobnicate"}, exitUsage, "unknown command"},
		{"unknown flag", []string{"leaderboard", "--frob"}, exitUsage, "unknown flag"},
		{"missing argument", []string{"run"}, exitUsage, "accepts 1 arg"},
		{"bad format", []string{"leaderboard", "--format", "xml", "--storage", storage}, exitUsage, `invalid argument "xml" for "--format" flag: unknown format (want table, json or csv)`},
		{"invalid study", []string{"run", bad, "--storage", storage}, exitUsage, "bad.yaml:3:"},
		{"missing study file", []string{"validate", filepath.Join(dir, "nope.yaml")}, exitFailure, "nope.yaml"},
		{"no store", []string{"leaderboard", "--storage", storage}, exitFailure, "no store at"},
		{"show bad trial", []string{"show", "x", "--storage", storage}, exitUsage, `"x" is not a trial number`},
		{"retry nothing", []string{"retry", "--storage", storage}, exitUsage, "--failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errs := cli(t, context.Background(), tt.args...)
			if code != tt.code || !strings.Contains(errs, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, errs, tt.code, tt.want)
			}
		})
	}
	if _, err := os.Stat(storage); err == nil {
		t.Error("a failed command created a store")
	}
}

func TestValidate(t *testing.T) {
	code, out, errs := cli(t, context.Background(), "validate", "testdata/tiny.yaml", "../../examples/quickstart.yaml")
	if code != 0 || strings.Count(out, ": ok:") != 2 {
		t.Errorf("validate good files: exit %d, %q %q", code, out, errs)
	}
	files, _ := filepath.Glob("../../studyfile/testdata/bad/*.yaml")
	if len(files) < 40 {
		t.Fatalf("only %d bad study files", len(files))
	}
	sort.Strings(files)
	for _, f := range files {
		code, _, errs := cli(t, context.Background(), "validate", f)
		if code != exitUsage || !strings.Contains(errs, f+":") {
			t.Errorf("validate %s: exit %d, %q; want exit 2 naming the file and line", f, code, errs)
		}
	}
}

func TestRetryFailed(t *testing.T) {
	dir := t.TempDir()
	storage := filepath.Join(dir, "r.db")
	f := filepath.Join(dir, "diverge.yaml")
	os.WriteFile(f, []byte(`name: diverge
seed: 5
data:
  kind: synthetic
  synthetic: {generator: friedman1, samples: 200, noise: 0.1}
model: {hidden: [8]}
train: {epochs: 2, batch_size: 16, optimizer: sgd, learning_rate: $lr}
space:
  lr: {choice: [0.001, 1000]}
search: {strategy: grid, trials: 2}
`), 0o644)
	code, out, errs := cli(t, context.Background(), "run", f, "--storage", storage)
	if code != 0 || !strings.Contains(out, "(1 failed)") {
		t.Fatalf("run: exit %d, %q %q; want one failed trial", code, out, errs)
	}
	rows := leaderboard(t, storage)
	failed := rows[len(rows)-1]
	if failed.State != "failed" {
		t.Fatalf("last row %+v, want the failed trial", failed)
	}
	if tr := showTrial(t, storage, failed.Trial); !strings.Contains(tr.Error, "diverged") {
		t.Errorf("failed trial's error %q does not say it diverged", tr.Error)
	}

	code, _, errs = cli(t, context.Background(), "retry", "--failed", "--storage", storage)
	if code != 0 {
		t.Fatalf("retry: exit %d: %s", code, errs)
	}
	rows = leaderboard(t, storage)
	if len(rows) != 3 {
		t.Fatalf("%d trials after the retry, want 3 (the budget grows by one)", len(rows))
	}
	retry := showTrial(t, storage, 2)
	orig := showTrial(t, storage, failed.Trial)
	if retry.RetryOf != failed.Trial || !retry.Params.Equal(orig.Params) || orig.State != dltune.Failed {
		t.Errorf("retry = trial 2 retrying %d with %v; want a copy of failed trial %d, kept failed", retry.RetryOf, retry.Params, failed.Trial)
	}
	// Retried trials are not retried again by --failed; the retry failed too.
	code, out, _ = cli(t, context.Background(), "retry", "--failed", "--storage", storage)
	if code != 0 || len(leaderboard(t, storage)) != 4 {
		t.Errorf("second retry --failed: exit %d, %q", code, out)
	}
	code, _, errs = cli(t, context.Background(), "retry", "0", "--storage", storage)
	if code != exitUsage || !strings.Contains(errs, "only failed trials") {
		t.Errorf("retry of a complete trial: exit %d, %q", code, errs)
	}
}

// TestInterruptedBeforeStart cancels a run before its study starts, as a
// Ctrl-C while it loads the data does: it exits 130, says it was
// interrupted rather than what Go calls it, and creates no store.
func TestInterruptedBeforeStart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	storage := filepath.Join(t.TempDir(), "s.db")
	code, out, errs := cli(t, ctx, "run", "testdata/tiny.yaml", "--storage", storage)
	if code != exitInterrupted || errs != "dltune: interrupted\n" || out != "" {
		t.Errorf("exit %d, stdout %q, stderr %q; want exit 130 and %q", code, out, errs, "dltune: interrupted\n")
	}
	if _, err := os.Stat(storage); !os.IsNotExist(err) {
		t.Errorf("the interrupted run left a store: %v", err)
	}
}
