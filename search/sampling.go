package search

import (
	"fmt"
	"math"

	"github.com/dltune/dltune"
)

// Sampling is the strategy of random search and of Bayesian optimization:
// while the budget lasts it starts a new trial with the parameters its
// Sampler proposes, trained for a fixed number of epochs, and then answers
// Done.
//
// The sampler sees as observations every finished trial in order: Complete
// and Pruned ones at their Loss, Failed ones at +Inf (a failure is bad, not
// absent); and as pending the parameters of the Running, Paused and
// Interrupted trials.
//
// A Sampling is as safe for concurrent use as its sampler; the study loop
// calls it from one goroutine.
type Sampling struct {
	sampler Sampler
	epochs  int
	obs     []Observation
	pending []dltune.Params
}

var _ Strategy = (*Sampling)(nil)

// NewSampling returns a strategy that starts trials proposed by s with an
// epoch budget of epochs. It panics if s is nil or epochs < 1.
func NewSampling(s Sampler, epochs int) *Sampling {
	if s == nil {
		panic("search: NewSampling with a nil sampler")
	}
	if epochs < 1 {
		panic(fmt.Sprintf("search: NewSampling with %d epochs", epochs))
	}
	return &Sampling{sampler: s, epochs: epochs}
}

// Next starts the sampler's proposal for trial h.Next, or answers Done when
// h.Started() has reached h.Budget. It returns the sampler's error, wrapped.
func (s *Sampling) Next(h *History) (Decision, error) {
	if h.Started() >= h.Budget {
		return Decision{Action: Done}, nil
	}
	s.obs, s.pending = s.obs[:0], s.pending[:0]
	if _, blind := s.sampler.(*RandomSampler); !blind {
		// Random sampling ignores the history: skip building it, so that a
		// random study's cost per trial does not grow with its length.
		s.obs, s.pending = Observations(h, s.obs, s.pending)
	}
	p, err := s.sampler.Sample(s.obs, s.pending, h.Next)
	if err != nil {
		return Decision{}, fmt.Errorf("sample trial %d: %w", h.Next, err)
	}
	return Decision{Action: Start, Params: p, Epochs: s.epochs}, nil
}

// Observations appends to obs the finished trials of h (Complete and Pruned
// at their Loss, Failed at +Inf) and to pending the parameters of its
// unfinished ones (Running, Paused, Interrupted), both in trial order, and
// returns the extended slices. Strategies other than Sampling use it to
// feed a Sampler.
func Observations(h *History, obs []Observation, pending []dltune.Params) ([]Observation, []dltune.Params) {
	for _, t := range h.Trials {
		switch t.State {
		case dltune.Complete, dltune.Pruned:
			obs = append(obs, Observation{Params: t.Params, Loss: t.Loss()})
		case dltune.Failed:
			obs = append(obs, Observation{Params: t.Params, Loss: math.Inf(1)})
		default:
			pending = append(pending, t.Params)
		}
	}
	return obs, pending
}
