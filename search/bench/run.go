package bench

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/dltune/dltune/search"
)

// noiseStream keeps the noise of a study apart from the samplers' streams.
const noiseStream = 0x6e6f_6973_65 // "noise"

// Run runs one sequential study of trials trials: it asks s for each
// trial's parameters given all the previous observations, evaluates fn
// there and records the result. It returns the best value found after each
// trial (best[i] after trial i+1) and the mean wall time a suggestion took.
//
// If fn is noisy, s observes Eval plus noise drawn from a stream seeded by
// seed, and best[i] is the noiseless value at the point s observed lowest,
// which is what a user would pick.
//
// It returns an error if ctx is done, s fails, or s proposes a point
// outside fn.Space.
func Run(ctx context.Context, fn Function, s search.Sampler, trials int, seed uint64) (best []float64, perSuggest time.Duration, err error) {
	best = make([]float64, trials)
	obs := make([]search.Observation, 0, trials)
	noise := rand.New(rand.NewPCG(seed, noiseStream))
	var spent time.Duration
	lowest, incumbent := math.Inf(1), math.Inf(1)
	for i := range trials {
		if err := ctx.Err(); err != nil {
			return nil, 0, err
		}
		start := time.Now()
		p, err := s.Sample(obs, nil, i)
		spent += time.Since(start)
		if err != nil {
			return nil, 0, fmt.Errorf("%s trial %d: %w", fn.Name, i, err)
		}
		if err := fn.Space.Contains(p); err != nil {
			return nil, 0, fmt.Errorf("%s trial %d: sampler proposed %v: %w", fn.Name, i, p, err)
		}
		y := fn.Eval(p)
		seen := y
		if fn.Noise > 0 {
			seen += fn.Noise * noise.NormFloat64()
		}
		obs = append(obs, search.Observation{Params: p, Loss: seen})
		if seen < lowest {
			lowest, incumbent = seen, y
		}
		best[i] = incumbent
	}
	if trials > 0 {
		perSuggest = spent / time.Duration(trials)
	}
	return best, perSuggest, nil
}
