package search

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/dltune/dltune"
)

// TestGPAcqFindsGridOptimum checks the acquisition maximizer against an
// exhaustive grid: its point must score at least as well as the best grid
// point, up to the grid's resolution.
func TestGPAcqFindsGridOptimum(t *testing.T) {
	cases := []struct {
		name  string
		space *Space
		grid  func(enc *gpEncoder, yield func(u []float64))
	}{
		{
			name: "continuous 2-D",
			space: &Space{Params: []Param{
				{Name: "a", Type: FloatRange, Low: 0, High: 1},
				{Name: "b", Type: FloatRange, Low: -3, High: 3},
			}},
			grid: func(enc *gpEncoder, yield func(u []float64)) {
				for i := 0; i <= 200; i++ {
					for j := 0; j <= 200; j++ {
						yield([]float64{float64(i) / 200, float64(j) / 200})
					}
				}
			},
		},
		{
			name: "choice and int",
			space: &Space{Params: []Param{
				{Name: "c", Type: Choice, Choices: []dltune.Value{dltune.String("x"), dltune.String("y"), dltune.String("z")}},
				{Name: "k", Type: IntRange, Low: 0, High: 40},
				{Name: "a", Type: FloatRange, Low: 0, High: 1},
			}},
			grid: func(enc *gpEncoder, yield func(u []float64)) {
				u := make([]float64, enc.dim)
				for c := 0; c < 3; c++ {
					for k := 0; k <= 40; k++ {
						for i := 0; i <= 100; i++ {
							enc.params[0].setLevel(u, c)
							enc.params[1].setLevel(u, k)
							u[enc.params[2].off] = float64(i) / 100
							yield(u)
						}
					}
				}
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			enc := newGPEncoder(c.space)
			r := rand.New(rand.NewPCG(1, 2))
			// A bumpy function observed at 12 random points.
			n := 12
			x := make([]float64, n*enc.dim)
			y := make([]float64, n)
			state := make([]int, len(enc.params))
			for i := range y {
				u := x[i*enc.dim : (i+1)*enc.dim]
				enc.random(r, u, state)
				for j, v := range u {
					y[i] += math.Sin(5*v + float64(j))
				}
			}
			h := gpTestHyper(enc.dim, 0.3, 1, 1e-6)
			m, err := newGPModel(x, y, enc.dim, h, 0)
			if err != nil {
				t.Fatal(err)
			}
			best := math.Inf(1)
			for _, v := range y {
				best = math.Min(best, v)
			}
			acq := newGPAcq(m, enc, best)
			var incumbents [][]float64
			for i := 0; i < 3; i++ {
				incumbents = append(incumbents, x[i*enc.dim:(i+1)*enc.dim])
			}
			u, got := acq.maximize(r, 256, 5, incumbents)
			if again := acq.value(u); math.Abs(again-got) > 1e-12 {
				t.Errorf("maximize reports %v, the point scores %v", got, again)
			}
			gridBest := math.Inf(-1)
			c.grid(enc, func(g []float64) {
				gridBest = math.Max(gridBest, acq.value(g))
			})
			t.Logf("log EI: maximize %.6g, grid %.6g", got, gridBest)
			if got < gridBest-1e-3*math.Abs(gridBest) {
				t.Errorf("maximize found log EI %.6g, the grid %.6g", got, gridBest)
			}
		})
	}
}
