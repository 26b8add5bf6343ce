package core

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestReLUKernels checks that the assembly ReLU kernels (where there are
// some) give the same bits as the Go ones, for every width around the
// vector length, with NaN, infinities and signed zeros.
func TestReLUKernels(t *testing.T) {
	if !useActAsm {
		t.Skip("no assembly activation kernels on this CPU")
	}
	rng := rand.New(rand.NewPCG(4, 4))
	special := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 0, float32(math.Copysign(0, -1)), 1e-40, -1e-40}
	for _, cols := range []int{1, 7, 8, 9, 16, 23, 24, 40} {
		for _, rows := range []int{1, 3, 5} {
			y, b := randSlice(rng, rows*cols, 1), randSlice(rng, cols, 0.5)
			dy := randSlice(rng, rows*cols, 1)
			for i, v := range special {
				if i < len(y) {
					y[i] = v
					dy[len(dy)-1-i] = v
				}
			}
			y2 := append([]float32(nil), y...)
			reluBias(y, b)
			reluBiasGo(y2, b, 0)
			sameBits(t, "reluBias", y, y2)
			// Backward from the outputs just computed, and from raw values
			// (which include NaN and -0 as outputs).
			raw := randSlice(rng, rows*cols, 1)
			copy(raw, special)
			for _, out := range [][]float32{y, raw} {
				d1, d2 := append([]float32(nil), dy...), append([]float32(nil), dy...)
				db1, db2 := make([]float32, cols), make([]float32, cols)
				reluBackward(d1, out, db1)
				reluBackwardGo(d2, out, db2, 0)
				sameBits(t, "reluBackward dy", d1, d2)
				sameBits(t, "reluBackward db", db1, db2)
			}
		}
	}
}

func sameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range got {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s[%d] = %v (%#x), Go kernel %v (%#x)", what, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
		}
	}
}
