package dltune

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// Weights are a trial's model after its best epoch: a model file (.dltm,
// see core.LoadModel) kept with the trial in the store, so that the model
// can be exported without training the trial again.
//
// A store writes them in the same change as the record whose curve has
// Epoch as its best, and drops them when the trial restarts from scratch,
// so they describe the stored record's best epoch; Match checks it.
type Weights struct {
	// Epoch is the epoch after which the weights were taken (1-based):
	// the epoch of the trial's lowest validation loss.
	Epoch int
	// Loss is the validation loss after Epoch.
	Loss float64
	// Model is the model file's bytes.
	Model []byte
}

// Match reports whether w are the weights after t's best epoch: the first
// epoch of t's lowest validation loss is w.Epoch, with the loss w.Loss bit
// for bit. A trial that restarted without a checkpoint has a new curve,
// which its old weights no longer match.
func (w *Weights) Match(t *Trial) bool {
	if w == nil || w.Epoch < 1 || w.Epoch > len(t.Curve) {
		return false
	}
	best, epoch := math.Inf(1), 0
	for i, e := range t.Curve {
		if e.ValLoss < best {
			best, epoch = e.ValLoss, i+1
		}
	}
	return epoch == w.Epoch && math.Float64bits(best) == math.Float64bits(w.Loss)
}

// Check reports whether w is consistent: a positive epoch, a finite loss
// and a model.
func (w *Weights) Check() error {
	switch {
	case w.Epoch < 1:
		return fmt.Errorf("weights: epoch %d", w.Epoch)
	case math.IsNaN(w.Loss) || math.IsInf(w.Loss, 0):
		return fmt.Errorf("weights: loss %v", w.Loss)
	case len(w.Model) == 0:
		return fmt.Errorf("weights: no model")
	}
	return nil
}

// Clone returns a deep copy of w; nil for nil.
func (w *Weights) Clone() *Weights {
	if w == nil {
		return nil
	}
	c := *w
	c.Model = slices.Clone(w.Model)
	return &c
}

// HeldWeights is what a store knows, when it decides which weights to
// keep, of a trial whose weights it holds: their loss (the trial's best
// validation loss), and the trial's state and epochs trained as stored.
type HeldWeights struct {
	Trial  int
	Loss   float64
	State  State
	Epochs int
}

// DropWeights returns the trials of held, in the order given, whose
// weights a store that keeps those of keep trials deletes: all but those
// that a leaderboard may rank among its first keep, so that the best
// trial's weights are there when its model is exported.
//
// Of the finished trials, the keep first in a leaderboard's order stay:
// complete trials by loss, then pruned ones by epochs trained (most
// first) then loss, failed ones last; ties go to the lower number. A
// trial not finished (running, paused, interrupted) stays if it would be
// among them were it to complete with its loss now: its loss only falls
// while it trains, and its weights are replaced when it does, so only
// complete trials with a lower loss can outrank it for good. Weights
// beyond keep are thus those of unfinished trials, each of which holds a
// checkpoint at least as large; they go when the trial's end is stored
// with them, or at the next change that stores weights. (The study loop
// stores a trial's end with its weights, and once more the best trial's
// when a run ends, so that a study that ended keeps exactly keep.)
//
// keep <= 0 drops all. held is not modified.
func DropWeights(held []HeldWeights, keep int) []int {
	keep = max(keep, 0)
	var fin []HeldWeights
	for _, h := range held {
		if h.State.Finished() {
			fin = append(fin, h)
		}
	}
	slices.SortStableFunc(fin, func(a, b HeldWeights) int {
		if c := cmp.Compare(a.rankClass(), b.rankClass()); c != 0 {
			return c
		}
		if a.State == Pruned && b.State == Pruned && a.Epochs != b.Epochs {
			return cmp.Compare(b.Epochs, a.Epochs)
		}
		if c := cmp.Compare(a.Loss, b.Loss); c != 0 {
			return c
		}
		return cmp.Compare(a.Trial, b.Trial)
	})
	stay := map[int]bool{}
	for _, h := range fin[:min(keep, len(fin))] {
		stay[h.Trial] = true
	}
	var drop []int
	for _, h := range held {
		if h.State.Finished() {
			if !stay[h.Trial] {
				drop = append(drop, h.Trial)
			}
			continue
		}
		better := 0
		for _, f := range fin {
			if f.State == Complete && (f.Loss < h.Loss || f.Loss == h.Loss && f.Trial < h.Trial) {
				better++
			}
		}
		if better >= keep {
			drop = append(drop, h.Trial)
		}
	}
	return drop
}

// rankClass orders finished trials as a leaderboard does: complete, then
// stopped short, then failed.
func (h HeldWeights) rankClass() int {
	switch h.State {
	case Complete:
		return 0
	case Failed:
		return 2
	}
	return 1
}
