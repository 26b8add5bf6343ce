package main

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/store"
)

func TestImportanceFlags(t *testing.T) {
	checkFlags(t, newImportanceCmd, func(o *importanceOptions) { o.globals = nil }, []flagCase[importanceOptions]{
		{name: "defaults", args: []string{"importance"}, want: &importanceOptions{Format: formatTable}},
		{name: "all set", args: []string{"importance", "--study", "s", "--format", "csv", "--seed", "9"}, want: &importanceOptions{Study: "s", Format: formatCSV, Seed: 9}},
		{name: "sample", args: []string{"importance", "--sample", "2000"}, want: &importanceOptions{Format: formatTable, Sample: 2000}},
		{name: "negative sample", args: []string{"importance", "--sample", "-1"}, code: exitUsage, err: "--sample -1 is negative (0 fits every trial)"},
		{name: "bad format", args: []string{"importance", "--format", "xml"}, code: exitUsage, err: "unknown format (want table, json or csv)"},
		{name: "argument", args: []string{"importance", "s"}, code: exitUsage, err: "accepts 0 arg"},
		{name: "text seed", args: []string{"importance", "--seed", "abc"}, code: exitUsage, err: `invalid argument "abc" for "--seed" flag: want a whole number, 0 or more` + "\n"},
		{name: "negative seed", args: []string{"importance", "--seed", "-3"}, code: exitUsage, err: `invalid argument "-3" for "--seed" flag: want a whole number, 0 or more` + "\n"},
		{name: "huge seed", args: []string{"importance", "--seed", "99999999999999999999999"}, code: exitUsage, err: `for "--seed" flag: out of range (want a whole number, 0 or more)` + "\n"},
	})
}

// TestImportanceRanksDominantFirst stores 40 complete trials of the tiny
// study whose loss depends on lr only, and checks that importance says so,
// the same twice.
func TestImportanceRanksDominantFirst(t *testing.T) {
	path := filepath.Join(t.TempDir(), "imp.db")
	db, err := store.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	src, _ := os.ReadFile("testdata/tiny.yaml")
	if err := db.CreateStudy(ctx, &dltune.Study{Name: "tiny", File: "testdata/tiny.yaml", Spec: src, Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(4, 4))
	for range 40 {
		lr := math.Pow(10, -3+1.4*rng.Float64())
		tr := &dltune.Trial{State: dltune.Complete, Budget: 4, RetryOf: -1,
			Params: dltune.Params{"lr": dltune.Float(lr), "width": dltune.Int(4 + rng.IntN(29)), "act": dltune.String([]string{"relu", "tanh"}[rng.IntN(2)])},
			Curve:  []dltune.Epoch{{Epoch: 1, ValLoss: math.Abs(math.Log10(lr) + 2)}}}
		if err := db.CreateTrial(ctx, "tiny", tr); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	var outs []string
	for range 2 {
		code, out, errs := cli(t, ctx, "importance", "--format", "json", "--storage", path)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		outs = append(outs, out)
	}
	if outs[0] != outs[1] {
		t.Errorf("two runs differ:\n%s\n%s", outs[0], outs[1])
	}
	var got []struct {
		Param      string
		Importance float64
	}
	if err := json.Unmarshal([]byte(outs[0]), &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].Param != "lr" || got[0].Importance < 0.8 {
		t.Errorf("got %+v, want lr first with most of the variance", got)
	}

	// --sample 10 fits 10 of the 40 trials, says so, and still finds lr.
	code, out, errs := cli(t, ctx, "importance", "--sample", "10", "--storage", path)
	if code != 0 {
		t.Fatalf("--sample 10: exit %d: %s", code, errs)
	}
	if want := "study tiny: 40 complete trials compared, a sample of 10 of them\n"; !strings.HasPrefix(out, want) {
		t.Errorf("--sample 10 printed\n%s\nwant it to begin %q", out, want)
	}
	if lines := strings.Split(out, "\n"); len(lines) < 5 || !strings.Contains(lines[4], " lr ") {
		t.Errorf("--sample 10 printed\n%s\nwant lr ranked first", out)
	}
	_, all, _ := cli(t, ctx, "importance", "--storage", path)
	if _, sampled, _ := cli(t, ctx, "importance", "--sample", "40", "--storage", path); sampled != all {
		t.Errorf("--sample 40 of 40 printed\n%s\nwant what all trials give\n%s", sampled, all)
	}
}
