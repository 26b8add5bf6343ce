package study

import (
	"maps"
	"math"
	"sort"
	"time"

	"github.com/dltune/dltune"
)

// A Row is one trial's line on a leaderboard.
type Row struct {
	Rank  int          `json:"rank"`
	Trial int          `json:"trial"`
	State dltune.State `json:"state"`
	// ValLoss is the trial's lowest validation loss; nil when it trained no
	// epoch (a trial that failed at once).
	ValLoss *float64 `json:"val_loss"`
	// ValAccuracy is the validation accuracy at that epoch, for classifiers.
	ValAccuracy *float64 `json:"val_accuracy,omitempty"`
	// BestEpoch is the epoch of ValLoss; Epochs the epochs trained in all.
	BestEpoch int `json:"best_epoch"`
	Epochs    int `json:"epochs"`
	// FullBudget is true when the trial trained its whole budget (or
	// stopped early by its own early-stopping rule): its loss is comparable
	// with the other full-budget trials'. Trials pruned or paused at fewer
	// epochs rank after all full-budget ones.
	FullBudget bool          `json:"full_budget"`
	Params     dltune.Params `json:"params"`
	// Metrics are the other numbers a command trial's program reported
	// at BestEpoch (dltune.Epoch.Metrics); nil for the core's trials, and
	// for trials loaded as summaries.
	Metrics map[string]float64 `json:"metrics,omitempty"`
	Seconds float64            `json:"seconds"`
	Error   string             `json:"error,omitempty"`
}

// Leaderboard ranks trials, best first. Trials that trained their full
// budget come first, by lowest validation loss. Trials stopped short
// (pruned, paused) follow, by the epochs they reached, most first, then by
// loss. Failed trials come last, in the same order. Ties go to the lower
// trial number. Unless all is set, only finished trials (complete, pruned,
// failed) are ranked.
func Leaderboard(trials []*dltune.Trial, maxEpochs int, all bool) []Row {
	var rows []Row
	for _, t := range trials {
		if !all && !t.State.Finished() {
			continue
		}
		r := Row{Trial: t.Number, State: t.State, Epochs: t.Epochs(), Params: t.Params, Error: t.Error}
		r.FullBudget = t.State == dltune.Complete || t.Epochs() >= maxEpochs
		best := math.Inf(1)
		for _, e := range t.Curve {
			if e.ValLoss < best {
				best = e.ValLoss
				r.BestEpoch = e.Epoch
				v := e.ValLoss
				r.ValLoss = &v
				r.ValAccuracy = nil
				r.Metrics = maps.Clone(e.Metrics)
				if e.HasAccuracy {
					a := e.ValAccuracy
					r.ValAccuracy = &a
				}
			}
			r.Seconds += e.Seconds
		}
		if r.Seconds == 0 && !t.Finished.IsZero() && !t.Started.IsZero() {
			r.Seconds = t.Finished.Sub(t.Started).Round(time.Millisecond).Seconds()
		}
		rows = append(rows, r)
	}
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := &rows[i], &rows[j]
		if fa, fb := a.State == dltune.Failed, b.State == dltune.Failed; fa != fb {
			return fb
		}
		if (a.ValLoss == nil) != (b.ValLoss == nil) {
			return b.ValLoss == nil
		}
		if a.ValLoss == nil {
			return a.Trial < b.Trial
		}
		if a.FullBudget != b.FullBudget {
			return a.FullBudget
		}
		if !a.FullBudget && a.Epochs != b.Epochs {
			return a.Epochs > b.Epochs
		}
		if *a.ValLoss != *b.ValLoss {
			return *a.ValLoss < *b.ValLoss
		}
		return a.Trial < b.Trial
	})
	for i := range rows {
		rows[i].Rank = i + 1
	}
	return rows
}
