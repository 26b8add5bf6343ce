package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestMain lets the test binary stand in for dltune: with DLTUNE_AS_MAIN
// set, it runs Main with the arguments after "--" and exits, so that tests
// can drive a real dltune process (signals, kill -9) without building one.
// With TEST_FAKE_TRAINER set, it is a command study's program instead
// (see fakeTrainer).
func TestMain(m *testing.M) {
	// A trainer started by a dltune child inherits DLTUNE_AS_MAIN.
	if os.Getenv("TEST_FAKE_TRAINER") == "1" {
		os.Exit(fakeTrainer())
	}
	if os.Getenv("DLTUNE_AS_MAIN") == "1" {
		args := os.Args[1:]
		for i, a := range args {
			if a == "--" {
				args = args[i+1:]
				break
			}
		}
		main2(args)
		return
	}
	time.Local = time.UTC // golden files show times
	os.Exit(m.Run())
}

// main2 is main with explicit arguments.
func main2(args []string) {
	os.Args = append([]string{"dltune"}, args...)
	main()
}

// cli runs dltune in-process and returns its exit status and output.
func cli(t *testing.T, ctx context.Context, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(ctx, args, &out, &errb)
	return code, out.String(), errb.String()
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// row is the part of a leaderboard JSON row the tests read.
type row struct {
	Rank    int                `json:"rank"`
	Trial   int                `json:"trial"`
	State   string             `json:"state"`
	ValLoss *float64           `json:"val_loss"`
	Epochs  int                `json:"epochs"`
	Params  map[string]any     `json:"params"`
	Extra   map[string]float64 `json:"-"`
}

func leaderboard(t *testing.T, storage string, extra ...string) []row {
	t.Helper()
	args := append([]string{"leaderboard", "--storage", storage, "--format", "json"}, extra...)
	code, out, errs := cli(t, context.Background(), args...)
	if code != 0 {
		t.Fatalf("leaderboard: exit %d: %s", code, errs)
	}
	var rows []row
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("leaderboard JSON: %v\n%s", err, out)
	}
	return rows
}
