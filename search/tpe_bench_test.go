package search

import (
	"testing"
	"time"
)

func unitCubeSpace(d int) *Space {
	s := &Space{}
	for i := range d {
		s.Params = append(s.Params, Param{Name: string(rune('a' + i)), Type: FloatRange, Low: 0, High: 1})
	}
	return s
}

func benchmarkTPE(b *testing.B, space *Space, n int, opt TPEOptions) {
	tpe, err := NewTPE(space, opt)
	if err != nil {
		b.Fatal(err)
	}
	obs := bowlObservations(space, n, 1)
	b.ReportAllocs()
	i := 0
	var cpu time.Duration
	for b.Loop() {
		if i == 0 {
			cpu = tpeCPUTime()
		}
		if _, err := tpe.Sample(obs, nil, n+i); err != nil {
			b.Fatal(err)
		}
		i++
	}
	reportTPESuggest(b, tpeCPUTime()-cpu)
}

// BenchmarkTPE measures a suggestion at 1,000 observations: the target is
// under 7 ms on one core.
func BenchmarkTPE(b *testing.B) {
	b.Run("hartmann6-1000", func(b *testing.B) { benchmarkTPE(b, unitCubeSpace(6), 1000, TPEOptions{}) })
	b.Run("fixed-hartmann6-1000", func(b *testing.B) {
		benchmarkTPE(b, unitCubeSpace(6), 1000, TPEOptions{Bandwidth: 0.05, FixedBandwidth: true})
	})
	b.Run("uni-hartmann6-1000", func(b *testing.B) { benchmarkTPE(b, unitCubeSpace(6), 1000, TPEOptions{Univariate: true}) })
	b.Run("dim10-100", func(b *testing.B) { benchmarkTPE(b, unitCubeSpace(10), 100, TPEOptions{}) })
	b.Run("dim10-1000", func(b *testing.B) { benchmarkTPE(b, unitCubeSpace(10), 1000, TPEOptions{}) })
	b.Run("testspace-1000", func(b *testing.B) { benchmarkTPE(b, mixedTestSpace(), 1000, TPEOptions{}) })
	b.Run("uni-testspace-1000", func(b *testing.B) { benchmarkTPE(b, mixedTestSpace(), 1000, TPEOptions{Univariate: true}) })
}

// reportTPESuggest reports the wall and CPU milliseconds per suggestion; on a
// shared machine the CPU figure is the one to compare with targets.
func reportTPESuggest(b *testing.B, cpu time.Duration) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ms/suggest")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/1e6, "cpu-ms/suggest")
}
