package core

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestReLUKernels checks that the assembly (leaky) ReLU kernels (where there are
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
			for _, leaky := range []bool{false, true} {
				y, y2 := append([]float32(nil), y...), append([]float32(nil), y...)
				reluBias(y, b, 0.1, leaky)
				reluBiasGo(y2, b, 0, 0.1, leaky)
				sameBits(t, fmt.Sprintf("reluBias leaky=%v", leaky), y, y2)
			}
			y2 := append([]float32(nil), y...)
			reluBias(y, b, 0, false)
			reluBiasGo(y2, b, 0, 0, false)
			sameBits(t, "reluBias", y, y2)
			// Backward from the outputs just computed, and from raw values
			// (which include NaN and -0 as outputs).
			raw := randSlice(rng, rows*cols, 1)
			copy(raw, special)
			for _, out := range [][]float32{y, raw} {
				for _, leaky := range []bool{false, true} {
					d1, d2 := append([]float32(nil), dy...), append([]float32(nil), dy...)
					db1, db2 := make([]float32, cols), make([]float32, cols)
					reluBackward(d1, out, db1, 0.1, leaky)
					reluBackwardGo(d2, out, db2, 0, 0.1, leaky)
					sameBits(t, fmt.Sprintf("reluBackward leaky=%v dy", leaky), d1, d2)
					sameBits(t, fmt.Sprintf("reluBackward leaky=%v db", leaky), db1, db2)
				}
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

// TestActivationKernels checks that the assembly tanh, sigmoid and GELU
// kernels give the same bits as tanh32, sigmoid32 and gelu32 (any NaN for
// NaN) over a dense sweep of arguments and the special values.
func TestActivationKernels(t *testing.T) {
	if !useActAsm {
		t.Skip("no assembly activation kernels on this CPU")
	}
	var xs []float32
	for x := float32(-120); x < 120; x += 0.00731 {
		xs = append(xs, x)
	}
	for _, v := range []float32{0.625, 9.02, expLo, expHi, -expLo, 44.3, 1e-30, 1e-40, 87.5, 88.5, 89, 1e6, 3.4e38} {
		xs = append(xs, v, -v, math.Nextafter32(v, 0), -math.Nextafter32(v, 0), math.Nextafter32(v, 1e9), -math.Nextafter32(v, 1e9))
	}
	xs = append(xs, 0, float32(math.Copysign(0, -1)), float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)))
	for len(xs)%8 != 0 {
		xs = append(xs, 0.5)
	}
	same := func(a, b float32) bool {
		return math.Float32bits(a) == math.Float32bits(b) || (a != a && b != b)
	}
	for _, k := range []struct {
		name string
		asm  func(y []float32)
		ref  func(x float32) float32
	}{
		{"tanh", func(y []float32) { tanhAVX2(&y[0], len(y)) }, tanh32},
		{"sigmoid", func(y []float32) { sigmoidAVX2(&y[0], len(y)) }, sigmoid32},
		{"gelu", func(y []float32) { geluAVX2(&y[0], nil, len(y)) }, func(x float32) float32 { y, _ := gelu32(x); return y }},
	} {
		y := append([]float32(nil), xs...)
		k.asm(y)
		for i, x := range xs {
			if want := k.ref(x); !same(y[i], want) {
				t.Errorf("%s(%v) = %v (%#x) in assembly, %v (%#x) in Go", k.name, x, y[i], math.Float32bits(y[i]), want, math.Float32bits(want))
				break
			}
		}
	}
	y, aux := append([]float32(nil), xs...), make([]float32, len(xs))
	geluAVX2(&y[0], &aux[0], len(y))
	for i, x := range xs {
		wy, wd := gelu32(x)
		if !same(y[i], wy) || !same(aux[i], wd) {
			t.Fatalf("gelu(%v) = %v, %v in assembly; %v, %v in Go", x, y[i], aux[i], wy, wd)
		}
	}
}
