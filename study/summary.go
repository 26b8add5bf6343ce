package study

import (
	"context"
	"math"
	"time"

	"github.com/dltune/dltune"
)

// Counts are a study's trials by state.
type Counts struct {
	Trials   int `json:"trials"`
	Finished int `json:"finished"` // complete, pruned or failed
	Failed   int `json:"failed"`
	// Unfinished counts trials that are running, paused or interrupted:
	// resuming the study continues them.
	Unfinished int `json:"unfinished"`
}

// Count counts trials by state.
func Count(trials []*dltune.Trial) Counts {
	c := Counts{Trials: len(trials)}
	for _, t := range trials {
		if t.State.Finished() {
			c.Finished++
		} else {
			c.Unfinished++
		}
		if t.State == dltune.Failed {
			c.Failed++
		}
	}
	return c
}

// An Overview is a stored study at a glance: its record, its trials by
// state and its best trial so far.
type Overview struct {
	Name    string    `json:"name"`
	File    string    `json:"file"`
	Created time.Time `json:"created"`
	Counts
	// BestLoss is the lowest validation loss any trial reached, whatever
	// its state, and BestTrial that trial (the lower number on a tie);
	// both are nil before any epoch ended.
	BestLoss  *float64 `json:"best_val_loss"`
	BestTrial *int     `json:"best_trial"`
}

// Summarize returns the overview of study s with the given trials.
func Summarize(s *dltune.Study, trials []*dltune.Trial) Overview {
	o := Overview{Name: s.Name, File: s.File, Created: s.Created, Counts: Count(trials)}
	best := math.Inf(1)
	for _, t := range trials {
		if l := t.Loss(); l < best {
			best = l
			n := t.Number
			o.BestLoss, o.BestTrial = &l, &n
		}
	}
	return o
}

// A Lister lists stored studies and their trials. The store implements it.
type Lister interface {
	// Studies returns every stored study.
	Studies(ctx context.Context) ([]*dltune.Study, error)
	// TrialSummaries returns the study's trials by ascending number,
	// without their events, errors or per-layer diagnostics.
	TrialSummaries(ctx context.Context, study string) ([]*dltune.Trial, error)
}

// Overviews summarizes every study in st, in the order st lists them. It
// reads every trial of every study, without diagnostics.
func Overviews(ctx context.Context, st Lister) ([]Overview, error) {
	studies, err := st.Studies(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Overview, 0, len(studies))
	for _, s := range studies {
		trials, err := st.TrialSummaries(ctx, s.Name)
		if err != nil {
			return nil, err
		}
		out = append(out, Summarize(s, trials))
	}
	return out, nil
}
