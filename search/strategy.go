package search

import "github.com/dltune/dltune"

// A Strategy decides what a study does next. Next must be deterministic in
// its arguments: everything random derives from the strategy's seed and
// History.Next.
type Strategy interface {
	Next(h *History) (Decision, error)
}

// A Pruner decides, after each epoch of a running trial, whether to stop it.
type Pruner interface {
	// Prune reports whether t, which has just finished epoch t.Epochs(),
	// should stop now.
	Prune(h *History, t *Record) bool
}

// History is what a strategy knows about a study.
type History struct {
	// Trials are all the study's trials, by ascending number. Running trials
	// are included with the epochs they have reported so far.
	Trials []*Record
	// Next is the number the next new trial will get.
	Next int
	// Budget is the number of trials the study may start in all (finished
	// trials, running ones and paused ones count; retries count).
	Budget int
}

// Started returns the number of trials the budget has been charged for.
func (h *History) Started() int { return len(h.Trials) }

// Action is what a Decision asks the study to do.
type Action uint8

// The actions of a Decision.
const (
	// Start a new trial with Decision.Params, trained to Decision.Epochs.
	Start Action = iota + 1
	// Continue paused trial Decision.Trial from its checkpoint up to
	// Decision.Epochs epochs in all (a promotion).
	Continue
	// Stop paused trial Decision.Trial for good: it becomes Pruned.
	Stop
	// Wait until a running trial reports; there is nothing to do now.
	Wait
	// Done: the study is over.
	Done
)

// A Decision is a strategy's answer to Next.
type Decision struct {
	Action Action
	Params dltune.Params // Start
	Trial  int           // Continue, Stop
	// Epochs is the epoch budget of a started or continued trial.
	Epochs int
	// Bracket is stored with a started trial (successive-halving strategies).
	Bracket int
}

// A Sampler proposes the parameters of a new trial. Samplers are the models
// of Bayesian optimization (and plain random sampling); strategies decide
// when to call them and with which budget's observations.
type Sampler interface {
	// Sample proposes parameters for trial number from the observations
	// so far and the parameters of trials still in flight (pending), which
	// it should avoid duplicating. It must be deterministic in its arguments.
	Sample(obs []Observation, pending []dltune.Params, number int) (dltune.Params, error)
}

// An Observation is one trial's parameters and the loss it reached; a failed
// trial has Loss +Inf and counts as bad.
type Observation struct {
	Params dltune.Params
	Loss   float64
}
