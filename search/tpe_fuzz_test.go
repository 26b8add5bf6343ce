package search

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/dltune/dltune"
)

// FuzzTPE checks that on every valid space TPE, multivariate and
// univariate, proposes points of the space, from observations that include
// failures, ties and NaN losses.
func FuzzTPE(f *testing.F) {
	f.Add([]byte{0, 1, 2, 5, 0, 0, 0, 0, 1, 3, 0, 0, 3, 2, 0, 3}, uint64(1))
	f.Add([]byte{0, 3, 0, 0, 0, 3, 0, 0, 1, 1, 3, 5, 0, 0, 0, 9, 2, 2, 5, 8, 1, 0, 0, 0}, uint64(2))
	f.Fuzz(func(t *testing.T, data []byte, seed uint64) {
		s := fuzzSpace(data)
		if s.Validate() != nil {
			return
		}
		r := rand.New(rand.NewPCG(seed, 0))
		losses := []float64{0, 1, 1, math.Inf(1), math.NaN(), -2}
		var obs []Observation
		for range 15 {
			p := s.Sample(r)
			loss := losses[r.IntN(len(losses))]
			if r.IntN(2) == 0 {
				loss = r.Float64()
			}
			obs = append(obs, Observation{Params: p, Loss: loss})
		}
		pending := []dltune.Params{s.Sample(r)}
		for _, uni := range []bool{false, true} {
			tpe, err := NewTPE(s, TPEOptions{Seed: seed, Startup: 3, Univariate: uni})
			if err != nil {
				t.Fatal(err)
			}
			for n := 3; n <= len(obs); n += 4 {
				p, err := tpe.Sample(obs[:n], pending, n)
				if err != nil {
					t.Fatal(err)
				}
				if err := s.Contains(p); err != nil {
					t.Fatalf("space %+v, univariate %v: proposal %v: %v", s.Params, uni, p, err)
				}
			}
		}
	})
}
