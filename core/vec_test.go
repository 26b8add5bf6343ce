package core

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// vecImpl is one implementation of the vector helpers under test.
type vecImpl struct {
	name string
	axpy func(alpha float32, x, y []float32)
	dot  func(x, y []float32) float32
	scal func(alpha float32, x []float32)
}

// vecImpls returns the dispatching implementation (assembly where the CPU
// has it) and the portable one.
func vecImpls() []vecImpl {
	return []vecImpl{
		{"impl", axpyImpl, dotImpl, scalImpl},
		{"go", axpyGo, dotGo, scalGo},
	}
}

// vecLengths cover empty, every tail length of the 32-, 8- and 1-wide
// loops, and long vectors.
func vecLengths() []int {
	var ns []int
	for n := 0; n <= 70; n++ {
		ns = append(ns, n)
	}
	return append(ns, 255, 256, 257, 1000, 4099)
}

func randVec(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = rng.Float32()*2 - 1
	}
	return x
}

func TestVecHelpers(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	eps := math.Pow(2, -23)
	for _, im := range vecImpls() {
		for _, n := range vecLengths() {
			for _, off := range []int{0, 1, 3} { // misaligned starts
				t.Run(fmt.Sprintf("%s/n%d/off%d", im.name, n, off), func(t *testing.T) {
					x := randVec(rng, n+off+2)
					y := randVec(rng, n+off+2)
					xs, ys := x[off:off+n], y[off:off+n]
					const alpha = -0.75

					// axpy changes y[off:off+n] only.
					want := append([]float32(nil), y...)
					for i := range xs {
						want[off+i] = float32(float64(want[off+i]) + alpha*float64(xs[i]))
					}
					got := append([]float32(nil), y...)
					im.axpy(alpha, xs, got[off:off+n])
					for i := range got {
						if d := math.Abs(float64(got[i] - want[i])); d > 2*eps {
							t.Fatalf("axpy: y[%d] = %v, want %v", i, got[i], want[i])
						}
					}

					// dot within a few ulps of the sum of |x||y| per term.
					var sum, abs float64
					for i := range xs {
						sum += float64(xs[i]) * float64(ys[i])
						abs += math.Abs(float64(xs[i]) * float64(ys[i]))
					}
					if d := math.Abs(float64(im.dot(xs, ys)) - sum); d > 2*float64(n+1)*eps*abs+1e-30 {
						t.Fatalf("dot = %v, want %v", im.dot(xs, ys), sum)
					}

					// scal changes x[off:off+n] only, exactly.
					got = append([]float32(nil), x...)
					im.scal(alpha, got[off:off+n])
					for i := range got {
						w := x[i]
						if i >= off && i < off+n {
							w = alpha * x[i]
						}
						if got[i] != w {
							t.Fatalf("scal: x[%d] = %v, want %v", i, got[i], w)
						}
					}
				})
			}
		}
	}
}

func TestAddBiasRowsSumRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	tests := []struct{ rows, cols, ld int }{
		{0, 0, 1}, {1, 1, 1}, {3, 10, 10}, {5, 10, 13}, {32, 128, 128}, {7, 33, 40},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%dx%d_ld%d", tt.rows, tt.cols, tt.ld), func(t *testing.T) {
			n := max((tt.rows-1)*tt.ld+tt.cols, 0)
			c := randVec(rng, n)
			bias := randVec(rng, tt.cols)
			got := append([]float32(nil), c...)
			addBiasRows(got, tt.rows, tt.cols, tt.ld, bias)
			for i := range got {
				w := c[i]
				if j := i % tt.ld; j < tt.cols {
					w = c[i] + bias[j]
				}
				if got[i] != w {
					t.Fatalf("addBiasRows: c[%d] = %v, want %v", i, got[i], w)
				}
			}

			dst := randVec(rng, tt.cols+1)
			want := make([]float64, len(dst))
			for j := range dst {
				want[j] = float64(dst[j])
			}
			for i := 0; i < tt.rows; i++ {
				for j := 0; j < tt.cols; j++ {
					want[j] += float64(c[i*tt.ld+j])
				}
			}
			sumRows(dst, c, tt.rows, tt.cols, tt.ld)
			for j := range dst {
				if d := math.Abs(float64(dst[j]) - want[j]); d > 1e-5*float64(tt.rows+1) {
					t.Fatalf("sumRows: dst[%d] = %v, want %v", j, dst[j], want[j])
				}
			}
		})
	}
}

func TestVecPanics(t *testing.T) {
	s := make([]float32, 10)
	tests := []struct {
		name string
		f    func()
	}{
		{"axpy short y", func() { axpyUnitary(1, s, s[:9]) }},
		{"dot short y", func() { dotUnitary(s, s[:9]) }},
		{"addBiasRows short c", func() { addBiasRows(s, 3, 4, 4, s) }},
		{"addBiasRows short bias", func() { addBiasRows(s, 2, 5, 5, s[:4]) }},
		{"sumRows stride", func() { sumRows(s, s, 2, 5, 4) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("no panic")
				}
			}()
			tt.f()
		})
	}
}

// BenchmarkVec reports the throughput of the vector helpers on vectors
// that stay in L1 (256) and in L2 (16384), for both implementations.
func BenchmarkVec(b *testing.B) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, n := range []int{256, 16384} {
		x, y := randVec(rng, n), randVec(rng, n)
		for _, im := range vecImpls() {
			b.Run(fmt.Sprintf("axpy/%d/%s", n, im.name), func(b *testing.B) {
				benchFlops(b, 2*float64(n), func() { im.axpy(1e-3, x, y) })
			})
			b.Run(fmt.Sprintf("dot/%d/%s", n, im.name), func(b *testing.B) {
				var s float32
				benchFlops(b, 2*float64(n), func() { s += im.dot(x, y) })
			})
		}
	}
}
