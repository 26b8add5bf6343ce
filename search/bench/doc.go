// Package bench measures how well search samplers optimize: built-in test
// functions with known optima, a runner that records the best loss after
// each trial and the time each suggestion took, and Compare, which runs
// many seeded studies per function and sampler and summarizes their regret
// (best found minus the optimum) by median and interquartile range.
//
// It is the library behind `dltune bench search`. Samplers are named and
// built through a Registry the caller passes in, so adding one is one line:
//
//	reg := bench.DefaultRegistry()
//	reg["gp"] = func(s *search.Space, seed uint64) (search.Sampler, error) { return search.NewGP(s, ...) }
//
// Results are deterministic in the seeds, except the timings.
package bench
