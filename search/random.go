package search

import (
	"math/rand/v2"

	"github.com/dltune/dltune"
)

// RandomSampler is the random-search sampler: it draws each trial's
// parameters uniformly from its space (see Space.Sample) with a source
// derived only from its seed and the trial number, so trial n gets the same
// parameters whatever happened before it. It ignores observations and
// pending trials.
//
// A RandomSampler holds no mutable state and is safe for concurrent use.
type RandomSampler struct {
	space *Space
	seed  uint64
}

var _ Sampler = (*RandomSampler)(nil)

// NewRandomSampler returns a random sampler over space with the given seed.
// The space must be valid (see Space.Validate).
func NewRandomSampler(space *Space, seed uint64) *RandomSampler {
	return &RandomSampler{space: space, seed: seed}
}

// Sample returns a random point of the space for trial number; it never
// fails.
func (s *RandomSampler) Sample(obs []Observation, pending []dltune.Params, number int) (dltune.Params, error) {
	return s.space.Sample(trialRand(s.seed, number)), nil
}

// trialRand returns the random source of trial number under seed.
func trialRand(seed uint64, number int) *rand.Rand {
	return rand.New(rand.NewPCG(seed, uint64(number)))
}
