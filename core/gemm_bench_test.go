package core

import (
	"math/rand/v2"
	"runtime"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// benchShapes are the products of training an MLP 784-256-128-10 with the
// weights stored in×out: forward X·W, weight gradients Xᵀ·dY, input
// gradients dY·Wᵀ; plus a forward with the weights stored out×in (X·Wᵀ)
// and a square reference shape.
var benchShapes = []struct {
	name           string
	transA, transB bool
	m, n, k        int
}{
	{"fwd128_784x256", false, false, 128, 256, 784},
	{"fwd128_256x128", false, false, 128, 128, 256},
	{"fwd128_128x10", false, false, 128, 10, 128},
	{"dW128_784x256", true, false, 784, 256, 128},
	{"dW128_128x10", true, false, 128, 10, 128},
	{"dX128_256x784", false, true, 128, 784, 256},
	{"dX128_10x128", false, true, 128, 128, 10},
	{"fwd32_784x256", false, false, 32, 256, 784},
	{"fwd32_256x128", false, false, 32, 128, 256},
	{"fwd32_128x10", false, false, 32, 10, 128},
	{"dW32_784x256", true, false, 784, 256, 32},
	{"dX32_256x784", false, true, 32, 784, 256},
	{"fwdT128_784x256", false, true, 128, 256, 784},
	{"square_512", false, false, 512, 512, 512},
}

// BenchmarkSgemm reports GFLOP/s of each assembly kernel that runs here
// (avx512, avx2; GemmKernel says which one Sgemm uses), the portable kernel
// (go), the reference loop (ref) and gonum's native Sgemm (gonum), all on
// one thread, and the FMA peak of the machine (peak, peak512) to read them
// against. GFLOP/s is by the wall clock; cpu-GFLOP/s
// counts only the CPU time of the process, which is steadier on a shared
// machine.
func BenchmarkSgemm(b *testing.B) {
	benchPeak(b)
	for _, s := range benchShapes {
		ar, ac := s.m, s.k
		if s.transA {
			ar, ac = s.k, s.m
		}
		br, bc := s.k, s.n
		if s.transB {
			br, bc = s.n, s.k
		}
		rng := rand.New(rand.NewPCG(7, 8))
		rnd := func(n int) []float32 {
			x := make([]float32, n)
			for i := range x {
				x[i] = rng.Float32()*2 - 1
			}
			return x
		}
		a, bm, c := rnd(ar*ac), rnd(br*bc), rnd(s.m*s.n)
		flops := 2 * float64(s.m) * float64(s.n) * float64(s.k)
		for _, kn := range append(archKernels(), goKernel) {
			name := kn.name
			if kn == goKernel {
				name = "go"
			}
			var g Gemm
			b.Run(s.name+"/"+name, func(b *testing.B) {
				benchFlops(b, flops, func() {
					g.sgemm(kn, s.transA, s.transB, s.m, s.n, s.k, 1, a, ac, bm, bc, 0, c, s.n)
				})
			})
		}
		b.Run(s.name+"/gonum", func(b *testing.B) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
			tA, tB := blas.NoTrans, blas.NoTrans
			if s.transA {
				tA = blas.Trans
			}
			if s.transB {
				tB = blas.Trans
			}
			var impl gonum.Implementation
			benchFlops(b, flops, func() {
				impl.Sgemm(tA, tB, s.m, s.n, s.k, 1, a, ac, bm, bc, 0, c, s.n)
			})
		})
		b.Run(s.name+"/ref", func(b *testing.B) {
			benchFlops(b, flops, func() {
				sgemmRef(s.transA, s.transB, s.m, s.n, s.k, 1, a, ac, bm, bc, 0, c, s.n)
			})
		})
	}
}

// BenchmarkKernel reports the GFLOP/s of each micro-kernel alone, on packed
// panels that stay in L1: the ceiling of the blocked product.
func BenchmarkKernel(b *testing.B) {
	for _, kn := range testKernels() {
		b.Run(kn.name, func(b *testing.B) {
			const k = 256
			a := make([]float32, k*kn.mr)
			bp := make([]float32, k*kn.nr)
			c := make([]float32, kn.mr*kn.nr)
			for i := range a {
				a[i] = 1e-3
			}
			for i := range bp {
				bp[i] = 1e-3
			}
			benchFlops(b, 2*float64(kn.mr*kn.nr*k), func() {
				kn.fn(k, a, kn.mr, false, bp, kn.nr, c, kn.nr, kn.mr, kn.nr, 1, 1)
			})
		})
	}
}

// benchFlops runs f, which does flops floating-point operations, in a
// benchmark loop and reports GFLOP/s by the wall clock and, where the
// platform tells, by the CPU time of the process.
func benchFlops(b *testing.B, flops float64, f func()) {
	cpu0, ok := processCPU()
	for b.Loop() {
		f()
	}
	cpu1, _ := processCPU()
	total := flops * float64(b.N)
	b.ReportMetric(total/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	if ok && cpu1 > cpu0 {
		b.ReportMetric(total/(cpu1-cpu0).Seconds()/1e9, "cpu-GFLOP/s")
	}
}
