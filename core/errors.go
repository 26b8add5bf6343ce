package core

import (
	"errors"
	"fmt"
	"math"
)

// errCorrupt is wrapped by UnmarshalBinary's errors for input that is not
// an intact checkpoint.
var errCorrupt = errors.New("corrupt checkpoint")

// A DivergenceError reports that training produced a NaN or an infinity.
// The trainer cannot continue from it; resume from an earlier checkpoint
// with other settings.
type DivergenceError struct {
	// Epoch is the 1-based epoch being trained.
	Epoch int
	// Batch is the 1-based batch within the epoch, or 0 when the
	// validation loss after the epoch was not finite.
	Batch int
	// Layer names the layer whose parameter gradient was not finite
	// (dense2, bn1), or is "loss" when the loss itself was not.
	Layer string
	// What is "NaN" or "Inf".
	What string
}

// Error says where and what, e.g. "diverged at epoch 3, batch 17: NaN in
// gradient of dense2".
func (e *DivergenceError) Error() string {
	where := fmt.Sprintf("epoch %d, batch %d", e.Epoch, e.Batch)
	if e.Batch == 0 {
		where = fmt.Sprintf("epoch %d, validation", e.Epoch)
	}
	if e.Layer == "loss" {
		return fmt.Sprintf("diverged at %s: %s in loss", where, e.What)
	}
	return fmt.Sprintf("diverged at %s: %s in gradient of %s", where, e.What, e.Layer)
}

func nonFinite(v float64) string {
	if math.IsNaN(v) {
		return "NaN"
	}
	return "Inf"
}
