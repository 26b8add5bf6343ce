package study

import (
	"testing"

	"github.com/dltune/dltune"
)

func curve(losses ...float64) []dltune.Epoch {
	c := make([]dltune.Epoch, len(losses))
	for i, l := range losses {
		c[i] = dltune.Epoch{Epoch: i + 1, ValLoss: l}
	}
	return c
}

func TestLeaderboard(t *testing.T) {
	trials := []*dltune.Trial{
		{Number: 0, State: dltune.Complete, Curve: curve(0.9, 0.5, 0.6)},
		{Number: 1, State: dltune.Pruned, Curve: curve(0.1)},              // low loss, 1 epoch
		{Number: 2, State: dltune.Complete, Curve: curve(0.8, 0.4, 0.45)}, // best full budget
		{Number: 3, State: dltune.Failed, Error: "diverged"},              // no epoch
		{Number: 4, State: dltune.Complete, Curve: curve(0.7, 0.5)},       // early stopped, ties trial 0
		{Number: 5, State: dltune.Running, Curve: curve(0.05)},            // not finished
		{Number: 6, State: dltune.Pruned, Curve: curve(0.3, 0.2)},         // 2 epochs
		{Number: 7, State: dltune.Failed, Curve: curve(0.35, 0.3), Error: "NaN"},
	}
	tests := []struct {
		name string
		all  bool
		want []int
	}{
		{"finished", false, []int{2, 0, 4, 6, 1, 7, 3}},
		{"all", true, []int{2, 0, 4, 6, 5, 1, 7, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows := Leaderboard(trials, 3, tt.all)
			var got []int
			for i, r := range rows {
				got = append(got, r.Trial)
				if r.Rank != i+1 {
					t.Errorf("row %d has rank %d", i, r.Rank)
				}
			}
			if len(got) != len(tt.want) {
				t.Fatalf("ranking %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("ranking %v, want %v", got, tt.want)
				}
			}
		})
	}
	rows := Leaderboard(trials, 3, false)
	if r := rows[0]; *r.ValLoss != 0.4 || r.BestEpoch != 2 || r.Epochs != 3 || !r.FullBudget {
		t.Errorf("top row %+v", r)
	}
	if r := rows[len(rows)-1]; r.ValLoss != nil || r.Error != "diverged" {
		t.Errorf("last row %+v, want the failed trial without a loss", r)
	}
}
