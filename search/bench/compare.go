package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/dltune/dltune/search"
)

// A Result summarizes the studies of one sampler on one function.
type Result struct {
	Function string `json:"function"` // Function.Name
	Strategy string `json:"strategy"` // the registry name of the sampler
	// HeldOut is Function.HeldOut: the defaults were not tuned on it.
	HeldOut bool `json:"held_out"`
	// Regret holds, by trial count, the distribution over seeds of the
	// best value found within that many trials minus the optimum.
	Regret Regret `json:"regret"`
	// MsPerSuggest is the mean time a suggestion took, in milliseconds.
	MsPerSuggest float64 `json:"ms_per_suggest"`
}

// Quartiles summarize a distribution: its median and its first and third
// quartiles (linear interpolation between order statistics, as numpy's
// default percentile).
type Quartiles struct {
	Median float64 `json:"median"`
	Q1     float64 `json:"q1"` // 25th percentile
	Q3     float64 `json:"q3"` // 75th percentile
}

// Regret maps a trial count to the quartiles of the regret after that many
// trials. It marshals to a JSON object keyed by the counts in increasing
// order: {"25": {...}, "50": {...}, "100": {...}}.
type Regret map[int]Quartiles

// MarshalJSON encodes r with its keys in numeric order.
func (r Regret) MarshalJSON() ([]byte, error) {
	keys := make([]int, 0, len(r))
	for k := range r {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		q, err := json.Marshal(r[k])
		if err != nil {
			return nil, fmt.Errorf("regret after %d trials: %w", k, err)
		}
		b.WriteString(strconv.Quote(strconv.Itoa(k)))
		b.WriteByte(':')
		b.Write(q)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// Checkpoints returns the trial counts Compare reports for studies of
// trials trials: those of 25, 50 and 100 that do not exceed trials, and
// trials itself.
func Checkpoints(trials int) []int {
	var cs []int
	for _, c := range []int{25, 50, 100} {
		if c < trials {
			cs = append(cs, c)
		}
	}
	if trials > 0 {
		cs = append(cs, trials)
	}
	return cs
}

// Compare runs, for each function and each named strategy, seeds studies
// of trials trials (seeds 0, 1, ..., seeds-1) and returns one Result per
// (function, strategy), functions outermost, in the order given. Samplers
// come from newSampler, typically a Registry's New. The regret is reported
// at Checkpoints(trials).
//
// Studies run in parallel on GOMAXPROCS workers; the regrets do not depend
// on it, the timings do (set GOMAXPROCS=1 for clean ones). Compare stops at
// the first error and returns it.
func Compare(ctx context.Context, funcs []Function, strategies []string, trials, seeds int,
	newSampler func(name string, space *search.Space, seed uint64) (search.Sampler, error)) ([]Result, error) {
	if trials < 1 || seeds < 1 {
		return nil, fmt.Errorf("compare: need at least 1 trial and 1 seed, have %d and %d", trials, seeds)
	}
	type run struct {
		best []float64
		dt   time.Duration
	}
	runs := make([]run, len(funcs)*len(strategies)*seeds)
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for fi, fn := range funcs {
		for si, name := range strategies {
			for seed := range seeds {
				i := (fi*len(strategies)+si)*seeds + seed
				g.Go(func() error {
					s, err := newSampler(name, fn.Space, uint64(seed))
					if err != nil {
						return fmt.Errorf("%s: %w", fn.Name, err)
					}
					best, dt, err := Run(ctx, fn, s, trials, uint64(seed))
					if err != nil {
						return fmt.Errorf("%s seed %d: %w", name, seed, err)
					}
					runs[i] = run{best, dt}
					return nil
				})
			}
		}
	}
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("compare: %w", err)
	}
	checks := Checkpoints(trials)
	results := make([]Result, 0, len(funcs)*len(strategies))
	regrets := make([]float64, seeds)
	for fi, fn := range funcs {
		for si, name := range strategies {
			group := runs[(fi*len(strategies)+si)*seeds:][:seeds]
			res := Result{Function: fn.Name, Strategy: name, HeldOut: fn.HeldOut, Regret: Regret{}}
			for _, c := range checks {
				for j, r := range group {
					regrets[j] = r.best[c-1] - fn.Optimum
				}
				res.Regret[c] = quartiles(regrets)
			}
			var total time.Duration
			for _, r := range group {
				total += r.dt
			}
			res.MsPerSuggest = float64(total) / float64(seeds) / float64(time.Millisecond)
			results = append(results, res)
		}
	}
	return results, nil
}

// quartiles returns the quartiles of xs, which it sorts.
func quartiles(xs []float64) Quartiles {
	slices.Sort(xs)
	return Quartiles{Median: percentile(xs, 0.5), Q1: percentile(xs, 0.25), Q3: percentile(xs, 0.75)}
}

// percentile returns the q-quantile of sorted xs by linear interpolation.
func percentile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	pos := q * float64(len(xs)-1)
	i := int(pos)
	if i >= len(xs)-1 {
		return xs[len(xs)-1]
	}
	f := pos - float64(i)
	return xs[i] + f*(xs[i+1]-xs[i])
}
