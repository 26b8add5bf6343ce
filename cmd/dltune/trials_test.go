package main

import (
	"context"
	"encoding/csv"
	"strings"
	"testing"
)

func TestTrialsFlags(t *testing.T) {
	checkFlags(t, newTrialsCmd, func(o *trialsOptions) { o.globals = nil }, []flagCase[trialsOptions]{
		{name: "defaults", args: []string{"trials"}, want: &trialsOptions{Format: formatTable}},
		{name: "all set", args: []string{"trials", "--study", "s", "--format", "csv", "--curves"}, want: &trialsOptions{Study: "s", Format: formatCSV, Curves: true}},
		{name: "bad format", args: []string{"trials", "--format", "xlsx"}, code: exitUsage, err: "unknown format (want table, json or csv)"},
		{name: "argument", args: []string{"trials", "4"}, code: exitUsage, err: "accepts 0 arg"},
	})
}

func TestTrialsGolden(t *testing.T) {
	storage := fixtureStore(t)
	for _, tt := range []struct {
		name string
		args []string
	}{
		{"trials.txt", []string{"trials"}},
		{"trials.csv", []string{"trials", "--format", "csv"}},
		{"trials.json", []string{"trials", "--format", "json"}},
		{"trials-curves.csv", []string{"trials", "--curves", "--format", "csv"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := cli(t, context.Background(), append(tt.args, "--storage", storage)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			golden(t, tt.name, out)
		})
	}
}

// TestTrialsCurvesRows checks the per-epoch CSV against the fixture: one
// row per epoch trained, every row as wide as the header.
func TestTrialsCurvesRows(t *testing.T) {
	code, out, errs := cli(t, context.Background(), "trials", "--curves", "--format", "csv", "--storage", fixtureStore(t))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	// The fixture's trials trained 4, 0, 1 and 4 epochs.
	if len(recs) != 1+9 {
		t.Fatalf("%d records, want a header and 9 epochs", len(recs))
	}
	perTrial := map[string]int{}
	for _, r := range recs[1:] {
		perTrial[r[0]]++
	}
	if perTrial["0"] != 4 || perTrial["1"] != 0 || perTrial["2"] != 1 || perTrial["3"] != 4 {
		t.Errorf("epochs per trial %v, want 0:4 2:1 3:4", perTrial)
	}
}
