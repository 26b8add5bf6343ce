package studyfile

import (
	"fmt"

	"github.com/dltune/dltune/search"
)

// Strategy builds the spec's search strategy and pruner (nil if none).
func (s *Spec) Strategy() (search.Strategy, search.Pruner, error) {
	sp := s.Search
	epochs := s.MaxEpochs()
	var pruner search.Pruner
	if p := sp.Pruner; p != nil {
		pruner = search.NewMedianPruner(p.WarmupEpochs, p.MinTrials)
	}
	sampler := func(name string) (search.Sampler, error) {
		switch name {
		case "", "random":
			return search.NewRandomSampler(s.Space, s.Seed), nil
		case "tpe":
			return search.NewTPE(s.Space, search.TPEOptions{Startup: sp.Startup, Univariate: sp.Univariate, Seed: s.Seed})
		case "gp":
			return search.NewGP(s.Space, search.GPOptions{Startup: sp.Startup, Seed: s.Seed})
		}
		return nil, fmt.Errorf("%s: unknown sampler %q", s.File, name)
	}
	halving := func() (search.HalvingOptions, error) {
		smp, err := sampler(sp.Sampler)
		return search.HalvingOptions{MinEpochs: sp.MinEpochs, MaxEpochs: epochs, Eta: sp.Eta, Sampler: smp}, err
	}
	var strat search.Strategy
	var err error
	switch sp.Strategy {
	case "grid":
		strat, err = search.NewGrid(s.Space, sp.Points, epochs)
	case "random":
		strat = search.NewSampling(search.NewRandomSampler(s.Space, s.Seed), epochs)
	case "bayesian":
		var smp search.Sampler
		method := sp.Method
		if method == "" {
			method = "tpe"
		}
		smp, err = sampler(method)
		if err == nil {
			strat = search.NewSampling(smp, epochs)
		}
	case "successive-halving", "asha", "hyperband":
		var o search.HalvingOptions
		o, err = halving()
		if err != nil {
			break
		}
		switch sp.Strategy {
		case "successive-halving":
			strat, err = search.NewSuccessiveHalving(s.Space, o)
		case "asha":
			strat, err = search.NewASHA(s.Space, o)
		default:
			strat, err = search.NewHyperband(s.Space, o)
		}
	default:
		err = fmt.Errorf("unknown strategy %q", sp.Strategy)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%s: search: %w", s.File, err)
	}
	return strat, pruner, nil
}

// Rungs returns the epoch budgets at which a strategy of the
// successive-halving family compares trials (see search.Rungs), or nil
// for other strategies.
func (s *Spec) Rungs() []int {
	sp := &s.Search
	lo, hi := sp.MinEpochs, s.MaxEpochs()
	if !halving(sp.Strategy) || lo < 1 || hi < lo || sp.Eta < 2 {
		return nil
	}
	return search.Rungs(lo, hi, sp.Eta)
}
