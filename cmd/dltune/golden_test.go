package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/internal/pgtest"
	"github.com/dltune/dltune/store"
	"github.com/dltune/dltune/store/postgres"
	"github.com/dltune/dltune/study"
)

// fixtureStore writes a store with a fixed study, so that commands that
// print it can be compared with golden files.
func fixtureStore(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fixture.db")
	db, err := store.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fillFixture(t, db)
	return path
}

// fixturePostgres writes the fixture study into a new schema of the test
// PostgreSQL server and returns its URL.
func fixturePostgres(t *testing.T) string {
	t.Helper()
	u := pgtest.URL(t)
	db, err := postgres.Open(context.Background(), u, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fillFixture(t, db)
	return u
}

// fillFixture stores the fixed study in db.
func fillFixture(t *testing.T, db study.Store) {
	t.Helper()
	ctx := context.Background()
	src, err := os.ReadFile("testdata/tiny.yaml")
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 27, 9, 30, 0, 0, time.UTC)
	if err := db.CreateStudy(ctx, &dltune.Study{Name: "tiny", File: "testdata/tiny.yaml", Spec: src, Created: t0}); err != nil {
		t.Fatal(err)
	}
	layers := func(g float64) []dltune.LayerStats {
		return []dltune.LayerStats{
			{Name: "dense1", WeightNorm: 4.2, GradRMS: g / 10, GradMax: g, DeadFraction: 0.25, GradHist: []int{0, 1, 3, 9, 30, 12, 2, 0}, HistLow: -8},
			{Name: "dense2", WeightNorm: 3.1, GradRMS: g / 3, GradMax: 2 * g, GradHist: []int{0, 0, 1, 4, 10, 20, 5, 1}, HistLow: -8},
			{Name: "dense3", WeightNorm: 1.5, GradRMS: g, GradMax: 3 * g, GradHist: []int{0, 0, 0, 1, 2, 4, 3, 1}, HistLow: -8},
		}
	}
	curve := func(losses ...float64) []dltune.Epoch {
		var c []dltune.Epoch
		for i, l := range losses {
			c = append(c, dltune.Epoch{Epoch: i + 1, TrainLoss: l * 0.9, ValLoss: l, ValAccuracy: 1 - l/2, HasAccuracy: true,
				LearningRate: 0.01, Seconds: 0.25, Layers: layers(0.01 * float64(i+1))})
		}
		return c
	}
	ev := func(min int, epoch int, what string) dltune.Event {
		return dltune.Event{Time: t0.Add(time.Duration(min) * time.Minute), Epoch: epoch, What: what}
	}
	trials := []*dltune.Trial{
		{Params: dltune.Params{"lr": dltune.Float(0.003), "width": dltune.Int(16), "act": dltune.String("relu")},
			State: dltune.Complete, Budget: 4, RetryOf: -1, Curve: curve(0.9, 0.6, 0.5, 0.45),
			Events: []dltune.Event{ev(0, 0, "created"), ev(1, 2, "interrupted after epoch 2"), ev(2, 2, "resumed from its checkpoint after epoch 2"), ev(3, 4, "complete after 4 epochs")}},
		{Params: dltune.Params{"lr": dltune.Float(0.02), "width": dltune.Int(8), "act": dltune.String("tanh")},
			State: dltune.Failed, Budget: 4, RetryOf: -1, Error: "trial 1: diverged at epoch 1, batch 3: NaN in loss"},
		{Params: dltune.Params{"lr": dltune.Float(0.001), "width": dltune.Int(32), "act": dltune.String("tanh")},
			State: dltune.Pruned, Budget: 4, RetryOf: -1, Curve: curve(0.4),
			Filters: &dltune.Filters{Shape: [4]int{2, 1, 2, 2}, Epoch: 1, Data: []float32{0.5, -0.25, 0.125, 1, -1, 0.1, 0, 2}}},
		{Params: dltune.Params{"lr": dltune.Float(0.01), "width": dltune.Int(24), "act": dltune.String("relu")},
			State: dltune.Complete, Budget: 4, RetryOf: -1, Curve: curve(0.7, 0.35, 0.3, 0.32),
			Filters: &dltune.Filters{Shape: [4]int{128, 16, 3, 3}, Epoch: 4}},
	}
	for _, tr := range trials {
		tr.Created = t0
		if err := db.CreateTrial(ctx, "tiny", tr); err != nil {
			t.Fatal(err)
		}
	}
}

func TestGolden(t *testing.T) {
	t.Run("bbolt", func(t *testing.T) { testGolden(t, fixtureStore(t)) })
	// A PostgreSQL store shows the same study the same way.
	t.Run("postgres", func(t *testing.T) { testGolden(t, fixturePostgres(t)) })
}

func testGolden(t *testing.T, storage string) {
	tests := []struct {
		name string
		args []string
	}{
		{"leaderboard.txt", []string{"leaderboard"}},
		{"leaderboard.csv", []string{"leaderboard", "--format", "csv"}},
		{"leaderboard.json", []string{"leaderboard", "--format", "json", "--top", "2"}},
		{"studies.txt", []string{"studies"}},
		{"studies.json", []string{"studies", "--format", "json"}},
		{"studies.csv", []string{"studies", "--format", "csv"}},
		{"show.txt", []string{"show", "0"}},
		{"show-failed.txt", []string{"show", "1"}},
		{"show-filters.txt", []string{"show", "2"}},
		{"show-filters.json", []string{"show", "2", "--format", "json"}},
		{"show-filters-not-kept.txt", []string{"show", "3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := cli(t, context.Background(), append(tt.args, "--storage", storage)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			golden(t, tt.name, out)
		})
	}
}

// TestLeaderboardCSVMatchesJSON checks that leaderboard --format csv
// carries every field of the JSON under the same name (params and
// metrics flattened as params_NAME, metrics_NAME) with the same value.
func TestLeaderboardCSVMatchesJSON(t *testing.T) {
	for _, db := range []string{fixtureStore(t), commandStore(t)} {
		ctx := context.Background()
		_, js, _ := cli(t, ctx, "leaderboard", "--format", "json", "--storage", db)
		code, cs, errs := cli(t, ctx, "leaderboard", "--format", "csv", "--storage", db)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		var rows []map[string]any
		if err := json.Unmarshal([]byte(js), &rows); err != nil {
			t.Fatal(err)
		}
		records, err := csv.NewReader(strings.NewReader(cs)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) == 0 || len(records) != len(rows)+1 {
			t.Fatalf("%d JSON rows, %d CSV records", len(rows), len(records))
		}
		header := records[0]
		for i, row := range rows {
			flat := map[string]any{}
			for k, v := range row {
				if m, ok := v.(map[string]any); ok {
					for n, x := range m {
						flat[k+"_"+n] = x
					}
					continue
				}
				flat[k] = v
			}
			for k, v := range flat {
				j := slices.Index(header, k)
				if j < 0 {
					t.Errorf("JSON field %s is not a CSV column (%v)", k, header)
					continue
				}
				want := fmt.Sprint(v)
				switch v := v.(type) {
				case nil:
					want = "" // JSON's null, CSV's empty field
				case float64:
					want = strconv.FormatFloat(v, 'g', -1, 64)
				}
				if got := records[i+1][j]; got != want {
					t.Errorf("row %d %s: CSV %q, JSON %q", i, k, got, want)
				}
			}
			for j, k := range header {
				if _, ok := flat[k]; !ok && records[i+1][j] != "" {
					t.Errorf("row %d: CSV column %s = %q is not in the JSON", i, k, records[i+1][j])
				}
			}
		}
	}
}
