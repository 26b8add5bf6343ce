package search

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/dltune/dltune"
)

// gpBenchObs returns n observations of a smooth synthetic loss over s,
// drawn uniformly, with every 20th trial failed.
func gpBenchObs(s *Space, n int) []Observation {
	enc := newGPEncoder(s)
	r := rand.New(rand.NewPCG(42, 42))
	u := make([]float64, enc.dim)
	state := make([]int, len(enc.params))
	obs := make([]Observation, n)
	for i := range obs {
		enc.random(r, u, state)
		var loss float64
		for j, v := range u {
			d := v - 0.3 - 0.05*float64(j%5)
			loss += d*d + 0.1*math.Sin(7*v)
		}
		loss += 0.01 * r.NormFloat64()
		if i%20 == 19 {
			loss = math.Inf(1)
		}
		obs[i] = Observation{Params: enc.decode(u), Loss: loss}
	}
	return obs
}

// BenchmarkGPSuggest measures one suggestion of the GP sampler on the mixed
// 8-parameter space (13 encoded coordinates) at several history sizes, with
// and without 8 pending trials. The figure to quote is ms/suggest at -cpu 1
// (and cpu-ms/suggest, the process CPU time, when other work shares the
// machine).
func BenchmarkGPSuggest(b *testing.B) {
	s := gpMixedSpace()
	for _, n := range []int{100, 500, 2000} {
		obs := gpBenchObs(s, n+8)
		pending := make([]dltune.Params, 8)
		for i := range pending {
			pending[i] = obs[n+i].Params
		}
		for _, np := range []int{0, 8} {
			b.Run(fmt.Sprintf("obs=%d/pending=%d", n, np), func(b *testing.B) {
				g, err := NewGP(s, GPOptions{Seed: 1})
				if err != nil {
					b.Fatal(err)
				}
				start, cpu := time.Now(), gpCPUTime()
				for i := 0; i < b.N; i++ {
					if _, err := g.Sample(obs[:n], pending[:np], n+i); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(time.Since(start).Microseconds())/1e3/float64(b.N), "ms/suggest")
				if c := gpCPUTime() - cpu; c > 0 {
					// On a shared machine CPU time is the steadier figure.
					b.ReportMetric(float64(c.Microseconds())/1e3/float64(b.N), "cpu-ms/suggest")
				}
			})
		}
	}
}
