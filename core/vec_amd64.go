//go:build !purego

package core

import "golang.org/x/sys/cpu"

// useAVX2 is set once at start-up: whether the assembly vector helpers run
// on this CPU.
var useAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

func axpyImpl(alpha float32, x, y []float32) {
	if !useAVX2 || len(x) == 0 {
		axpyGo(alpha, x, y)
		return
	}
	_ = y[len(x)-1]
	axpyAVX2(alpha, &x[0], &y[0], len(x))
}

func dotImpl(x, y []float32) float32 {
	if !useAVX2 || len(x) == 0 {
		return dotGo(x, y)
	}
	_ = y[len(x)-1]
	return dotAVX2(&x[0], &y[0], len(x))
}

func scalImpl(alpha float32, x []float32) {
	if !useAVX2 || len(x) == 0 {
		scalGo(alpha, x)
		return
	}
	scalAVX2(alpha, &x[0], len(x))
}

// The assembly helpers (vec_amd64.s) take n ≥ 1 elements.

//go:noescape
func axpyAVX2(alpha float32, x, y *float32, n int)

//go:noescape
func dotAVX2(x, y *float32, n int) float32

//go:noescape
func scalAVX2(alpha float32, x *float32, n int)
