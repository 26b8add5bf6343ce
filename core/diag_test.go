package core

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestGradHistRandom compares gradHist with counting the powers of ten at
// or below |g|, on random values (most between 2^-37 and 2^7, the others
// of any bit pattern) in slices of every length modulo 4.
func TestGradHistRandom(t *testing.T) {
	var edges [histBuckets - 1]float64
	for k := range edges {
		edges[k] = float64(float32(math.Pow(10, float64(histLow+k+1))))
	}
	rng := rand.New(rand.NewPCG(3, 4))
	counted := 0
	for round := range 400 {
		g := make([]float32, round%13)
		var want [histBuckets]int
		wantSq, wantMax := 0.0, float32(0)
		for i := range g {
			b := rng.Uint32()
			if rng.IntN(4) > 0 {
				b = b&^(0xff<<23) | uint32(90+rng.IntN(45))<<23
			}
			g[i] = math.Float32frombits(b)
			a, k := math.Abs(float64(g[i])), 0
			for k < len(edges) && a >= edges[k] {
				k++
			}
			if math.IsNaN(a) {
				k = histBuckets - 1
			} else {
				wantMax = max(wantMax, float32(a))
			}
			want[k]++
			wantSq += a * a
		}
		var h [histBuckets]int
		sq, mx := gradHist(g, &h)
		if h != want {
			t.Errorf("%v: histogram %v, want %v", g, h, want)
		}
		if !math.IsNaN(wantSq) && math.Abs(sq-wantSq) > 1e-12*wantSq {
			t.Errorf("%v: sum of squares %v, want %v", g, sq, wantSq)
		}
		if f := math.Float32frombits(mx); !math.IsNaN(float64(f)) && f != wantMax {
			t.Errorf("%v: max %v, want %v", g, f, wantMax)
		}
		for _, c := range want[1 : histBuckets-1] {
			counted += c
		}
	}
	if counted < 1000 {
		t.Errorf("only %d values between the end buckets", counted)
	}
}

// BenchmarkGradHist is the gradient pass of the diagnostics on the
// 200,704 weights of a 784×256 layer, gradients spread over four decades.
func BenchmarkGradHist(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	g := make([]float32, 784*256)
	for i := range g {
		g[i] = float32(rng.NormFloat64() * math.Pow(10, -2-2*rng.Float64()))
	}
	var h [histBuckets]int
	cpu := startTrainTimer()
	for b.Loop() {
		gradHist(g, &h)
	}
	if d := cpu.stop(); d > 0 {
		b.ReportMetric(float64(d.Nanoseconds())/float64(b.N*len(g)), "cpu-ns/value")
	}
}
