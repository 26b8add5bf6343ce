package search

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/dltune/dltune"
)

// benchIDSampler is idSampler without the record, for benchmarks.
type benchIDSampler struct{}

func (benchIDSampler) Sample(_ []Observation, _ []dltune.Params, number int) (dltune.Params, error) {
	return dltune.Params{"id": dltune.Int(number)}, nil
}

// benchHistory runs a study of n trials with strategy s to about half of
// its events and returns the history then, so Next sees a mix of running,
// paused and finished trials.
func benchHistory(b *testing.B, s Strategy, n int) *History {
	outcome := randomOutcomes(1, 27, 0.02, 0.05)
	sim := newSim(b, s, n, 27, 8, rand.New(rand.NewPCG(1, 2)), outcome)
	sim.run(1 << 30)
	events := 0
	for _, t := range sim.h.Trials {
		events += len(t.Losses)
	}
	half := newSim(b, s, n, 27, 8, rand.New(rand.NewPCG(1, 2)), outcome)
	for range events / 2 {
		if half.ask(); half.done {
			break
		}
		half.advance()
	}
	return &half.h
}

// BenchmarkNext measures one decision on a study of 100 and 1000 trials
// (rungs 1, 3, 9, 27), and reports it per trial of the history.
func BenchmarkNext(b *testing.B) {
	opt := HalvingOptions{MinEpochs: 1, MaxEpochs: 27, Sampler: benchIDSampler{}}
	for _, st := range halvingStrategies {
		for _, n := range []int{100, 1000} {
			b.Run(fmt.Sprintf("%s/trials=%d", st.name, n), func(b *testing.B) {
				s, err := st.new(opt)
				if err != nil {
					b.Fatal(err)
				}
				h := benchHistory(b, s, n)
				b.ResetTimer()
				for b.Loop() {
					if _, err := s.Next(h); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(h.Trials)), "ns/trial")
			})
		}
	}
}

// BenchmarkMedianPrune measures one pruning decision among 1000 trials.
func BenchmarkMedianPrune(b *testing.B) {
	h := &History{}
	r := rand.New(rand.NewPCG(3, 4))
	for n := range 1000 {
		losses := make([]float64, 20)
		for i := range losses {
			losses[i] = r.Float64()
		}
		h.Trials = append(h.Trials, lossTrial(n, dltune.Complete, losses...))
	}
	p := NewMedianPruner(0, 1)
	b.ReportAllocs()
	for b.Loop() {
		p.Prune(h, h.Trials[500])
	}
}
