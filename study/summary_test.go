package study

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/dltune/dltune"
)

func TestCount(t *testing.T) {
	var trials []*dltune.Trial
	for i, s := range []dltune.State{dltune.Complete, dltune.Failed, dltune.Pruned, dltune.Running,
		dltune.Paused, dltune.Interrupted, dltune.Failed, dltune.Complete} {
		trials = append(trials, &dltune.Trial{Number: i, State: s})
	}
	tests := []struct {
		name   string
		trials []*dltune.Trial
		want   Counts
	}{
		{"none", nil, Counts{}},
		{"every state", trials, Counts{Trials: 8, Finished: 5, Failed: 2, Unfinished: 3}},
		{"one failed", trials[1:2], Counts{Trials: 1, Finished: 1, Failed: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Count(tt.trials); got != tt.want {
				t.Errorf("Count = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	created := time.Date(2026, 11, 27, 9, 30, 0, 0, time.UTC)
	s := &dltune.Study{Name: "s", File: "s.yaml", Created: created}
	tests := []struct {
		name      string
		trials    []*dltune.Trial
		bestLoss  float64 // 0: none
		bestTrial int
	}{
		{"no trials", nil, 0, 0},
		{"no epoch", []*dltune.Trial{{Number: 0, State: dltune.Failed}}, 0, 0},
		{"lowest loss of any state", []*dltune.Trial{
			{Number: 0, State: dltune.Complete, Curve: curve(0.9, 0.5)},
			{Number: 1, State: dltune.Running, Curve: curve(0.3)},
			{Number: 2, State: dltune.Pruned, Curve: curve(0.4)},
		}, 0.3, 1},
		{"tie to the lower number", []*dltune.Trial{
			{Number: 0, State: dltune.Complete, Curve: curve(0.9)},
			{Number: 1, State: dltune.Complete, Curve: curve(0.2, 0.7)},
			{Number: 2, State: dltune.Complete, Curve: curve(0.2)},
		}, 0.2, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := Summarize(s, tt.trials)
			if o.Name != "s" || o.File != "s.yaml" || !o.Created.Equal(created) || o.Counts != Count(tt.trials) {
				t.Errorf("overview %+v does not carry the study record and counts", o)
			}
			switch {
			case tt.bestLoss == 0:
				if o.BestLoss != nil || o.BestTrial != nil {
					t.Errorf("best %v of trial %v, want none", *o.BestLoss, *o.BestTrial)
				}
			case o.BestLoss == nil || o.BestTrial == nil:
				t.Errorf("no best, want %v of trial %d", tt.bestLoss, tt.bestTrial)
			case *o.BestLoss != tt.bestLoss || *o.BestTrial != tt.bestTrial:
				t.Errorf("best %v of trial %d, want %v of trial %d", *o.BestLoss, *o.BestTrial, tt.bestLoss, tt.bestTrial)
			}
		})
	}
}

// TestOverviewJSON pins the JSON field names and order, which dltune
// studies --format json prints.
func TestOverviewJSON(t *testing.T) {
	l, n := 0.25, 3
	o := Overview{Name: "s", File: "s.yaml", Created: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Counts: Counts{Trials: 4, Finished: 3, Failed: 1, Unfinished: 1}, BestLoss: &l, BestTrial: &n}
	b, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"name":"s","file":"s.yaml","created":"2026-01-02T03:04:05Z","trials":4,"finished":3,"failed":1,"unfinished":1,"best_val_loss":0.25,"best_trial":3}`
	if string(b) != want {
		t.Errorf("JSON\n%s\nwant\n%s", b, want)
	}
}

// lister is a Lister over fixed studies.
type lister struct {
	studies []*dltune.Study
	trials  map[string][]*dltune.Trial
	err     error // returned by Trials
}

func (l *lister) Studies(context.Context) ([]*dltune.Study, error) { return l.studies, nil }
func (l *lister) TrialSummaries(_ context.Context, name string) ([]*dltune.Trial, error) {
	return l.trials[name], l.err
}

func TestOverviews(t *testing.T) {
	ctx := context.Background()
	l := &lister{
		studies: []*dltune.Study{{Name: "b"}, {Name: "a"}},
		trials: map[string][]*dltune.Trial{
			"a": {{Number: 0, State: dltune.Complete, Curve: curve(0.5)}},
			"b": {{Number: 0, State: dltune.Failed}, {Number: 1, State: dltune.Running}},
		},
	}
	got, err := Overviews(ctx, l)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Name != "b" || got[1].Name != "a" {
		t.Fatalf("overviews %+v, want b then a", got)
	}
	if got[0].Counts != (Counts{Trials: 2, Finished: 1, Failed: 1, Unfinished: 1}) || got[1].BestLoss == nil || *got[1].BestLoss != 0.5 {
		t.Errorf("overviews %+v", got)
	}

	empty, err := Overviews(ctx, &lister{})
	if err != nil || empty == nil || len(empty) != 0 {
		t.Errorf("Overviews of no study = %#v, %v; want an empty, non-nil slice (JSON [])", empty, err)
	}

	l.err = errors.New("disk on fire")
	if _, err := Overviews(ctx, l); !errors.Is(err, l.err) {
		t.Errorf("error %v, want the store's", err)
	}
}
