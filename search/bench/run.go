package bench

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/dltune/dltune/search"
)

// Run runs one sequential study of trials trials: it asks s for each
// trial's parameters given all the previous observations, evaluates fn
// there and records the result. It returns the best value found after each
// trial (best[i] after trial i+1) and the mean wall time a suggestion took.
//
// It returns an error if ctx is done, s fails, or s proposes a point
// outside fn.Space.
func Run(ctx context.Context, fn Function, s search.Sampler, trials int) (best []float64, perSuggest time.Duration, err error) {
	best = make([]float64, trials)
	obs := make([]search.Observation, 0, trials)
	var spent time.Duration
	lowest := math.Inf(1)
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
		obs = append(obs, search.Observation{Params: p, Loss: y})
		if y < lowest {
			lowest = y
		}
		best[i] = lowest
	}
	if trials > 0 {
		perSuggest = spent / time.Duration(trials)
	}
	return best, perSuggest, nil
}
