package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/store"
)

// TestShowCommand pins what show prints of a failed command trial: its
// command line, quoted where a shell would need it, the stderr tail in
// its error, and the stderr it kept, escaped.
func TestShowCommand(t *testing.T) {
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
		Curve:  []dltune.Epoch{{Epoch: 1, TrainLoss: 0.7, ValLoss: 0.6, ValAccuracy: 0.8, HasAccuracy: true, Seconds: 4.5}},
		Error:  "trial 0: python3 after epoch 1 of 3: exit status 1; stderr ends:\n  Traceback (most recent call last):\n  RuntimeError: out of memory \x1b[31m",
		Stderr: "epoch 1: loss 0.7\r\nTraceback (most recent call last):\n\tRuntimeError: out of memory \x1b[31m"}
	if err := db.CreateTrial(ctx, "cmd", tr); err != nil {
		t.Fatal(err)
	}
	db.Close()
	code, out, errs := cli(t, ctx, "show", "0", "--storage", path)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	golden(t, "show-command.txt", out)
}
