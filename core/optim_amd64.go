//go:build !purego

package core

import "golang.org/x/sys/cpu"

// useAdamAsm reports whether the AVX2 Adam kernel runs on this CPU. Tests
// clear it to compare the kernels; nothing else changes it.
var useAdamAsm = cpu.X86.HasAVX2

// adamAsm runs the AVX2 kernel on whole vectors of 8 and adamGo on the
// rest. Both round every operation the same way (no fused multiply-add),
// so the results are the same bits.
func adamAsm(w, g, m, v []float32, a *adamArgs) uint32 {
	n := len(w) &^ 7
	g, m, v = g[:len(w)], m[:len(w)], v[:len(w)]
	var mx uint32
	if n > 0 {
		mx = adamAVX2(&w[0], &g[0], &m[0], &v[0], n, a)
	}
	if n < len(w) {
		mx = max(mx, adamGo(w[n:], g[n:], m[n:], v[n:], a))
	}
	return mx
}

// adamAVX2 is adamGo on n elements, n a positive multiple of 8.
//
//go:noescape
func adamAVX2(pw, pg, pm, pv *float32, n int, args *adamArgs) uint32
