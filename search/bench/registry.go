package bench

import (
	"fmt"
	"slices"
	"strings"

	"github.com/dltune/dltune/search"
)

// NewSampler builds a sampler over space with the given seed.
type NewSampler func(space *search.Space, seed uint64) (search.Sampler, error)

// A Registry maps strategy names to sampler constructors. Add one with
// reg[name] = constructor.
type Registry map[string]NewSampler

// DefaultRegistry returns a new registry of the samplers of package search:
// "random", "tpe" (multivariate, the default TPE), "tpe-univariate" and
// "gp" (the Gaussian-process sampler with default options).
func DefaultRegistry() Registry {
	return Registry{
		"random": func(s *search.Space, seed uint64) (search.Sampler, error) {
			return search.NewRandomSampler(s, seed), nil
		},
		"tpe": func(s *search.Space, seed uint64) (search.Sampler, error) {
			return search.NewTPE(s, search.TPEOptions{Seed: seed})
		},
		"tpe-univariate": func(s *search.Space, seed uint64) (search.Sampler, error) {
			return search.NewTPE(s, search.TPEOptions{Seed: seed, Univariate: true})
		},
		"gp": func(s *search.Space, seed uint64) (search.Sampler, error) {
			return search.NewGP(s, search.GPOptions{Seed: seed})
		},
	}
}

// Names returns the registered names in sorted order.
func (r Registry) Names() []string {
	names := make([]string, 0, len(r))
	for n := range r {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// New builds the named sampler over space with seed. Its signature fits
// Compare's newSampler argument. An unknown name is an error that lists the
// known ones.
func (r Registry) New(name string, space *search.Space, seed uint64) (search.Sampler, error) {
	f, ok := r[name]
	if !ok {
		return nil, fmt.Errorf("unknown strategy %q (have %s)", name, strings.Join(r.Names(), ", "))
	}
	s, err := f(space, seed)
	if err != nil {
		return nil, fmt.Errorf("strategy %s: %w", name, err)
	}
	return s, nil
}
