package search

import (
	"math"

	"github.com/dltune/dltune"
)

// A Record is what a strategy knows of a trial: who it is, where it is in
// its life, its parameters and its validation loss after each epoch. It
// leaves out what strategies never read (per-epoch training metrics and
// diagnostics, events, times), so that a study can keep every trial's
// record in memory at a cost that does not grow with what training
// measures.
type Record struct {
	// Number, State, Budget, Bracket and RetryOf are the trial's
	// (see dltune.Trial).
	Number  int
	State   dltune.State
	Budget  int
	Bracket int
	RetryOf int
	// Params are the trial's parameter values. Strategies and samplers
	// must not modify them.
	Params dltune.Params
	// Losses holds the validation loss of each epoch trained, in order:
	// Losses[k] is epoch k+1's.
	Losses []float64
}

// NewRecord returns the record of t. It shares t's Params and copies the
// losses of its curve into a slice of their exact length.
func NewRecord(t *dltune.Trial) *Record {
	r := &Record{Number: t.Number, State: t.State, Budget: t.Budget, Bracket: t.Bracket, RetryOf: t.RetryOf, Params: t.Params}
	if len(t.Curve) > 0 {
		r.Losses = make([]float64, len(t.Curve))
		for i, e := range t.Curve {
			r.Losses[i] = e.ValLoss
		}
	}
	return r
}

// Epochs returns the number of epochs the trial has trained.
func (r *Record) Epochs() int { return len(r.Losses) }

// Loss returns the trial's objective: the lowest validation loss over the
// epochs it trained, or +Inf if it trained none. It equals
// dltune.Trial.Loss of the trial.
func (r *Record) Loss() float64 { return lowest(r.Losses) }

// LossAt returns the lowest validation loss over the first epochs epochs,
// or +Inf if the trial has not trained that far. It equals
// dltune.Trial.LossAt of the trial.
func (r *Record) LossAt(epochs int) float64 {
	if epochs <= 0 || epochs > len(r.Losses) {
		return math.Inf(1)
	}
	return lowest(r.Losses[:epochs])
}

// lowest returns the least of losses, skipping NaNs, or +Inf if there is
// none, as dltune.Trial.Loss does.
func lowest(losses []float64) float64 {
	best := math.Inf(1)
	for _, l := range losses {
		if l < best {
			best = l
		}
	}
	return best
}
