package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/store"
)

// TestShowCommand pins what show prints of a failed command trial: its
// command line, quoted where a shell would need it, its error without the
// stderr tail it quotes, its metrics, and the stderr it kept, escaped.
func TestShowCommand(t *testing.T) {
	code, out, errs := cli(t, context.Background(), "show", "0", "--storage", commandStore(t))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	golden(t, "show-command.txt", out)
}

// TestTrialsCommandCurves pins a command study's epochs as trials
// --curves prints them: a column for each metric, empty where an epoch
// has none.
func TestTrialsCommandCurves(t *testing.T) {
	code, out, errs := cli(t, context.Background(), "trials", "--curves", "--format", "csv", "--storage", commandStore(t))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	golden(t, "trials-command-curves.csv", out)
}

// commandStore returns a store holding a command study with one failed
// trial, whose epochs have metrics.
func commandStore(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "cmd.db")
	db, err := store.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	src, err := os.ReadFile("testdata/command.yaml")
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 12, 6, 9, 30, 0, 0, time.UTC)
	if err := db.CreateStudy(ctx, &dltune.Study{Name: "cmd", File: "testdata/command.yaml", Spec: src, Created: t0}); err != nil {
		t.Fatal(err)
	}
	tr := &dltune.Trial{Params: dltune.Params{"lr": dltune.Float(0.003), "tag": dltune.String("a b")},
		State: dltune.Failed, Budget: 3, RetryOf: -1, Created: t0,
		Curve: []dltune.Epoch{
			{Epoch: 1, TrainLoss: 0.7, ValLoss: 0.6, ValAccuracy: 0.8, HasAccuracy: true, Seconds: 4.5, Metrics: map[string]float64{"f1": 0.75, "steps": 100}},
			{Epoch: 2, TrainLoss: 0.6, ValLoss: 0.65, ValAccuracy: 0.78, HasAccuracy: true, Seconds: 4.25, Metrics: map[string]float64{"steps": 200}},
		},
		Error:  "trial 0: python3 after epoch 2 of 3: exit status 1; stderr ends:\n  Traceback (most recent call last):\n  RuntimeError: out of memory \x1b[31m",
		Stderr: "epoch 2: loss 0.6\r\nTraceback (most recent call last):\n\tRuntimeError: out of memory \x1b[31m",
	}
	if err := db.CreateTrial(ctx, "cmd", tr); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestShowFailedCommandOnce runs a command trial that fails, writing to
// its stderr, and checks that show prints that stderr once, after an
// error that says where it is: the error the trial stores quotes it too.
func TestShowFailedCommandOnce(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "fail.yaml")
	os.WriteFile(filepath.Join(dir, "says"), []byte("loading data\nboom: lr is too large\n"), 0o644)
	os.WriteFile(f, []byte(`name: fail
command:
  argv: [sh, -c, 'cat says >&2; exit 3', $lr]
  epochs: 2
space:
  lr: {choice: [0.5]}
search: {strategy: grid, trials: 1}
`), 0o644)
	storage := filepath.Join(dir, "fail.db")
	if code, _, errs := cli(t, context.Background(), "run", f, "--storage", storage); code != 0 {
		t.Fatalf("run: exit %d: %s", code, errs)
	}
	tr := showTrial(t, storage, 0)
	if tr.State != dltune.Failed || !strings.Contains(tr.Error, "boom") || !strings.Contains(tr.Stderr, "boom") {
		t.Fatalf("trial 0 is %s with error %q and stderr %q; want failed, both quoting the boom", tr.State, tr.Error, tr.Stderr)
	}
	code, out, errs := cli(t, context.Background(), "show", "0", "--storage", storage)
	if code != 0 {
		t.Fatalf("show: exit %d: %s", code, errs)
	}
	for _, want := range []string{"loading data", "boom: lr is too large"} {
		if n := strings.Count(out, want); n != 1 {
			t.Errorf("show prints %q %d times, want once:\n%s", want, n, out)
		}
	}
	for _, want := range []string{
		"error: trial 0: sh before its first epoch: exit status 3; its stderr ends below\n",
		"failed: trial 0: sh before its first epoch: exit status 3; its stderr ends below\n",
		"\nstderr of the failed run, ending\n  loading data\n  boom: lr is too large\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("show does not print %q:\n%s", want, out)
		}
	}
}

// TestLeaderboardOfUnfinished checks what leaderboard says of a study
// whose trials are all unfinished: that --all shows them, and it does.
func TestLeaderboardOfUnfinished(t *testing.T) {
	path := filepath.Join(t.TempDir(), "u.db")
	db, err := store.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	src, err := os.ReadFile("testdata/tiny.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateStudy(ctx, &dltune.Study{Name: "tiny", File: "testdata/tiny.yaml", Spec: src, Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	params := dltune.Params{"lr": dltune.Float(0.01), "width": dltune.Int(8), "act": dltune.String("relu")}
	for _, s := range []dltune.State{dltune.Running, dltune.Interrupted} {
		tr := &dltune.Trial{Params: params, State: s, Budget: 4, RetryOf: -1, Created: time.Now(),
			Curve: []dltune.Epoch{{Epoch: 1, TrainLoss: 0.7, ValLoss: 0.6}}}
		if err := db.CreateTrial(ctx, "tiny", tr); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	code, out, errs := cli(t, ctx, "leaderboard", "--storage", path)
	if want := "study tiny has no finished trial yet (--all shows its 2 unfinished)\n"; code != 0 || out != want {
		t.Errorf("leaderboard: exit %d, %q %q; want %q", code, out, errs, want)
	}
	if rows := leaderboard(t, path, "--all"); len(rows) != 2 {
		t.Errorf("leaderboard --all: %d rows, want 2", len(rows))
	}
}

// TestShowFixedConfiguration checks that show prints no empty parameters
// section for a study of one fixed configuration.
func TestShowFixedConfiguration(t *testing.T) {
	tr := &dltune.Trial{State: dltune.Complete, Budget: 1, RetryOf: -1,
		Curve: []dltune.Epoch{{Epoch: 1, TrainLoss: 0.5, ValLoss: 0.4, LearningRate: 0.001, Seconds: 2}}}
	var b strings.Builder
	if err := printTrial(&b, "fixed", tr, nil, nil); err != nil {
		t.Fatal(err)
	}
	want := "study fixed, trial 0: complete after 1 of 1 epochs\nbest val_loss 0.4\nno parameters: the study trains one fixed configuration\n\nlearning curve\n"
	if !strings.HasPrefix(b.String(), want) {
		t.Errorf("show prints\n%s\nwant it to begin\n%s", b.String(), want)
	}
}

// TestLeaderboardCommandMetrics pins a command study's leaderboard: the
// metrics its program reported at the trial's best epoch are in every
// format.
func TestLeaderboardCommandMetrics(t *testing.T) {
	db := commandStore(t)
	for _, c := range []struct{ golden, format string }{
		{"leaderboard-command.txt", "table"},
		{"leaderboard-command.csv", "csv"},
		{"leaderboard-command.json", "json"},
	} {
		code, out, errs := cli(t, context.Background(), "leaderboard", "--format", c.format, "--storage", db)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", c.format, code, errs)
		}
		if !strings.Contains(out, "0.75") || !strings.Contains(out, "100") {
			t.Errorf("%s: no metrics f1 0.75 and steps 100 of the best epoch:\n%s", c.format, out)
		}
		golden(t, c.golden, out)
	}
}
