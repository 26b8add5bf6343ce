package dltune

import (
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
