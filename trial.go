package dltune

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"time"
)

// State is where a trial is in its life.
type State uint8

// The states of a trial. Complete, Pruned and Failed are final and count
// against a study's budget; the others are not.
const (
	// Running: a worker is training the trial now.
	Running State = iota + 1
	// Paused: the trial reached the epoch budget its strategy gave it and
	// waits, with a checkpoint, for a promotion to a larger budget
	// (successive halving) or to be pruned.
	Paused
	// Interrupted: the trial was running when its process stopped (Ctrl-C,
	// a crash, a kill). It continues from its last checkpoint on resume.
	Interrupted
	// Complete: the trial trained for its whole budget or stopped early by
	// its own early-stopping rule.
	Complete
	// Pruned: a strategy or pruner stopped the trial before its full budget
	// because it was unpromising.
	Pruned
	// Failed: the trial could not train (divergence, a bad configuration);
	// Trial.Error says why.
	Failed
)

var stateNames = [...]string{
	Running:     "running",
	Paused:      "paused",
	Interrupted: "interrupted",
	Complete:    "complete",
	Pruned:      "pruned",
	Failed:      "failed",
}

// String returns the state's lower-case name.
func (s State) String() string {
	if int(s) < len(stateNames) && stateNames[s] != "" {
		return stateNames[s]
	}
	return fmt.Sprintf("state(%d)", s)
}

// ParseState returns the state with the given name.
func ParseState(name string) (State, error) {
	for s, n := range stateNames {
		if n != "" && n == name {
			return State(s), nil
		}
	}
	return 0, fmt.Errorf("unknown trial state %q", name)
}

// MarshalText encodes the state as its name.
func (s State) MarshalText() ([]byte, error) {
	if int(s) >= len(stateNames) || stateNames[s] == "" {
		return nil, fmt.Errorf("marshal state: invalid state %d", s)
	}
	return []byte(stateNames[s]), nil
}

// UnmarshalText decodes a state name.
func (s *State) UnmarshalText(b []byte) error {
	v, err := ParseState(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Finished reports whether s is final: Complete, Pruned or Failed.
func (s State) Finished() bool { return s == Complete || s == Pruned || s == Failed }

// A Trial is one configuration of a study and everything known about its
// training so far.
type Trial struct {
	// Number identifies the trial within its study; numbers start at 0 and
	// are never reused.
	Number int `json:"number"`
	// Params are the trial's hyperparameter values.
	Params Params `json:"params"`
	// State is where the trial is in its life.
	State State `json:"state"`
	// Budget is the number of epochs the trial may train to, as its
	// strategy last set it. Successive halving raises it on promotion.
	Budget int `json:"budget"`
	// Curve holds one entry per epoch trained, in order, starting at epoch 1.
	Curve []Epoch `json:"curve,omitempty"`
	// Bracket is the successive-halving bracket the trial belongs to, for
	// strategies that have brackets; 0 otherwise.
	Bracket int `json:"bracket,omitempty"`
	// RetryOf is the number of the failed trial this one retries, or -1.
	RetryOf int `json:"retry_of"`
	// Error says why a Failed trial failed.
	Error string `json:"error,omitempty"`
	// Created, Started and Finished are the trial's wall-clock milestones;
	// Started and Finished are zero until they happen.
	Created  time.Time `json:"created"`
	Started  time.Time `json:"started,omitzero"`
	Finished time.Time `json:"finished,omitzero"`
	// Events tell the trial's history in order: starts, interruptions,
	// resumptions, promotions, the reason it stopped.
	Events []Event `json:"events,omitempty"`
	// Filters are a CNN's first convolution weights, set each time the
	// trial completes, is pruned or pauses, and kept through a later
	// failure or interruption (Filters.Epoch says when they were taken).
	// Nil for an MLP, and until then.
	Filters *Filters `json:"filters,omitempty"`
	// Stderr is the end of what a command trial's program wrote to its
	// stderr in its latest run that wrote any (at most MaxStderr bytes of
	// its last lines), as it was written: escape it before printing it
	// to a terminal. Empty for other trials.
	Stderr string `json:"stderr,omitempty"`
}

// MaxStderr bounds Trial.Stderr.
const MaxStderr = 4 << 10

// An Event is one step of a trial's history.
type Event struct {
	Time  time.Time `json:"time"`
	Epoch int       `json:"epoch"` // epochs trained when it happened
	What  string    `json:"what"`
}

// Epochs returns the number of epochs the trial has trained.
func (t *Trial) Epochs() int { return len(t.Curve) }

// Loss returns the trial's objective: the lowest validation loss over the
// epochs it trained, or +Inf if it trained none.
func (t *Trial) Loss() float64 {
	best := math.Inf(1)
	for _, e := range t.Curve {
		if e.ValLoss < best {
			best = e.ValLoss
		}
	}
	return best
}

// LossAt returns the lowest validation loss over the first epochs epochs,
// or +Inf if the trial has not trained that far.
func (t *Trial) LossAt(epochs int) float64 {
	if epochs <= 0 || epochs > len(t.Curve) {
		return math.Inf(1)
	}
	best := math.Inf(1)
	for _, e := range t.Curve[:epochs] {
		if e.ValLoss < best {
			best = e.ValLoss
		}
	}
	return best
}

// Clone returns a deep copy of t.
func (t *Trial) Clone() *Trial {
	c := *t
	c.Params = t.Params.Clone()
	c.Curve = append([]Epoch(nil), t.Curve...)
	for i := range c.Curve {
		c.Curve[i].Layers = append([]LayerStats(nil), t.Curve[i].Layers...)
		c.Curve[i].Metrics = maps.Clone(t.Curve[i].Metrics)
		for j := range c.Curve[i].Layers {
			c.Curve[i].Layers[j].GradHist = append([]int(nil), t.Curve[i].Layers[j].GradHist...)
		}
	}
	c.Events = append([]Event(nil), t.Events...)
	c.Filters = t.Filters.Clone()
	return &c
}

// An Epoch is what one epoch of training measured.
type Epoch struct {
	Epoch     int     `json:"epoch"` // 1-based
	TrainLoss float64 `json:"train_loss"`
	ValLoss   float64 `json:"val_loss"`
	// ValAccuracy is the validation accuracy of a classifier; regression
	// leaves it 0 and HasAccuracy false.
	ValAccuracy float64 `json:"val_accuracy,omitempty"`
	HasAccuracy bool    `json:"has_accuracy,omitempty"`
	// LearningRate is the rate at the end of the epoch.
	LearningRate float64 `json:"lr"`
	// Seconds is the wall time the epoch took, validation included.
	Seconds float64 `json:"seconds"`
	// Layers are per-layer learning diagnostics, input side first.
	Layers []LayerStats `json:"layers,omitempty"`
	// Metrics are the other numbers a command trial's program reported
	// for the epoch, by name: at most MaxMetrics. Nil for the core's
	// trials.
	Metrics map[string]float64 `json:"metrics,omitempty"`
}

// MaxMetrics bounds the metrics of an epoch.
const MaxMetrics = 32

// MetricNames returns the names of the metrics of the epochs of curve,
// sorted.
func MetricNames(curve []Epoch) []string {
	seen := map[string]bool{}
	for _, e := range curve {
		for n := range e.Metrics {
			seen[n] = true
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// Gap returns the validation loss minus the training loss: large and growing
// means overfitting.
func (e Epoch) Gap() float64 { return e.ValLoss - e.TrainLoss }

// LayerStats are the learning diagnostics of one layer's weights over an epoch.
type LayerStats struct {
	Name       string  `json:"name"`
	WeightNorm float64 `json:"weight_norm"`
	GradRMS    float64 `json:"grad_rms"`
	GradMax    float64 `json:"grad_max"`
	// DeadFraction is the fraction of the layer's ReLU units that were zero
	// for every sample of the epoch's last batch; 0 for other activations.
	DeadFraction float64 `json:"dead_fraction"`
	// GradHist counts weight gradients by decade of |g|: bucket i holds
	// 10^(HistLow+i) <= |g| < 10^(HistLow+i+1), the first bucket also
	// everything smaller (zeros included), the last everything larger.
	GradHist []int `json:"grad_hist,omitempty"`
	HistLow  int   `json:"hist_low,omitempty"`
}
