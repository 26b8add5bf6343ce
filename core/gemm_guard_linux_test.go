//go:build linux

package core

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime/debug"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// guardedFloats returns n float32s that end exactly where an inaccessible
// page begins, so that any access past the end faults.
func guardedFloats(t *testing.T, n int) []float32 {
	t.Helper()
	page := unix.Getpagesize()
	size := (n*4+page-1)/page*page + page
	mem, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		t.Fatalf("mmap: %v", err)
	}
	t.Cleanup(func() { unix.Munmap(mem) })
	if err := unix.Mprotect(mem[size-page:], unix.PROT_NONE); err != nil {
		t.Fatalf("mprotect: %v", err)
	}
	all := unsafe.Slice((*float32)(unsafe.Pointer(&mem[0])), (size-page)/4)
	return all[len(all)-n:]
}

// TestSgemmGuardPages runs products whose operands end at an inaccessible
// page: the masked loads and stores of partial tiles must not touch it (a
// fault becomes a test failure instead of a crash).
func TestSgemmGuardPages(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for _, kn := range testVariants() {
		for _, tc := range []gemmCase{
			{m: 7, n: 10, k: 5, alpha: 1, beta: 1},
			{m: 7, n: 10, k: 5, alpha: 1, beta: 0},
			{m: 13, n: 3, k: 9, alpha: 2, beta: 1},
			{m: 13, n: 3, k: 9, alpha: 2, beta: 0},
			{m: 5, n: 21, k: 4, alpha: 1, beta: 0.5, transA: true},
			{m: 9, n: 13, k: 17, alpha: 1, beta: 1, transB: true},
			{m: 1, n: 1, k: 1, alpha: 1, beta: 1},
			{m: 12, n: 32, k: 7, alpha: 1, beta: 0},
			{m: 13, n: 35, k: 9, alpha: 1, beta: 1},
			{m: 12, n: 32, k: 7, alpha: 1, beta: 1, transA: true},
			{m: 7, n: 35, k: 9, alpha: 1, beta: 1, transB: true},
			{m: 7, n: 50, k: 5, alpha: 1, beta: 1},
			{m: 7, n: 50, k: 5, alpha: 1, beta: 0},
			{m: 5, n: 27, k: 6, alpha: 1, beta: 1, transA: true},
			{m: 13, n: 64, k: 9, alpha: 1, beta: 1},
		} {
			t.Run(fmt.Sprintf("%s/%v", kn.name, tc), func(t *testing.T) {
				o := newGemmOperands(tc, rng)
				ga := guardedFloats(t, len(o.a))
				gb := guardedFloats(t, len(o.b))
				gc := guardedFloats(t, len(o.c))
				copy(ga, o.a)
				copy(gb, o.b)
				copy(gc, o.c)
				want := append([]float32(nil), o.c...)
				sgemmRef(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, o.a, o.lda, o.b, o.ldb, tc.beta, want, o.ldc)
				func() {
					// Per goroutine: each subtest runs in its own.
					defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
					defer func() {
						if r := recover(); r != nil {
							t.Fatalf("fault: %v", r)
						}
					}()
					var g Gemm
					g.sgemm(kn, tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, ga, o.lda, gb, o.ldb, tc.beta, gc, o.ldc)
				}()
				for i := range want {
					if d := math.Abs(float64(gc[i] - want[i])); d > 1e-5 {
						t.Fatalf("C[%d] = %v, want %v", i, gc[i], want[i])
					}
				}
			})
		}
	}
}
