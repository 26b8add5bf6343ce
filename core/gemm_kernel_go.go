package core

import "runtime"

// The portable micro-kernels keep their tile of C in scalar variables, so
// that the compiler holds it in registers. Which tile fits depends on the
// architecture. Where the compiler fuses c += a*b into one FMA and there
// are 32 floating-point registers (arm64, ppc64, riscv64, s390x, loong64),
// a 4×4 tile and the eight values it multiplies fit. On amd64 (15 usable
// XMM registers, no FMA below GOAMD64=v3) the compiler places the
// additions that feed the next iteration at the end of the loop body,
// after all the products they add, so the products of a step are live
// together with the accumulators: a tile larger than 2×3 spills. Unrolled
// eight times, the k loop has only one such step in eight. Both kernels
// are built and tested everywhere; goKernel is the one for this
// architecture. On amd64 the 2×3 tile is about 2.5 times as fast as the
// 4×4 (benchmarks/README.md).

// goKernel is the portable micro-kernel of this architecture. It is the
// default where there is no assembly.
var goKernel = func() *kernel {
	switch runtime.GOARCH {
	case "arm64", "ppc64", "ppc64le", "riscv64", "s390x", "loong64":
		return go4x4Kernel
	}
	return go2x3Kernel
}()

// goKernels returns every portable micro-kernel, for tests.
func goKernels() []*kernel { return []*kernel{go2x3Kernel, go4x4Kernel} }

// go2x3Kernel is a 2×3 tile of scalar accumulators. Strided operands take
// a slower loop, so it reads in place only operands small enough to stay
// in L1.
var go2x3Kernel = &kernel{
	name: "go2x3",
	mr:   2, nr: 3,
	mc: 128, kc: 512, nc: 4096,
	fn: kernel2x3,
}

// go4x4Kernel is a 4×4 tile of scalar accumulators.
var go4x4Kernel = &kernel{
	name: "go4x4",
	mr:   4, nr: 4,
	mc: 128, kc: 256, nc: 4096,
	directMaxN: 16, directMaxM: 32,
	fn: kernel4x4,
}

// kernel2x3 computes the 2×3 tile C = alpha*Â*B̂ + beta*C as described by
// kernel.fn.
func kernel2x3(k int, a []float32, sa int, _ bool, b []float32, sb int, c []float32, ldc, m, n int, alpha, beta float32) {
	var (
		c00, c01, c02 float32
		c10, c11, c12 float32
	)
	if sa == 2 && sb == 3 {
		// Packed panels: walk them so that the loop condition proves
		// every index in range.
		a, b = a[:2*k], b[:3*k]
		for len(a) >= 16 && len(b) >= 24 { // eight steps
			a0 := a[0]
			a1 := a[1]
			b0 := b[0]
			b1 := b[1]
			b2 := b[2]
			c00 += a0 * b0
			c01 += a0 * b1
			c02 += a0 * b2
			c10 += a1 * b0
			c11 += a1 * b1
			c12 += a1 * b2
			a0 = a[2]
			a1 = a[3]
			b0 = b[3]
			b1 = b[4]
			b2 = b[5]
			c00 += a0 * b0
			c01 += a0 * b1
			c02 += a0 * b2
			c10 += a1 * b0
			c11 += a1 * b1
			c12 += a1 * b2
			a0 = a[4]
			a1 = a[5]
			b0 = b[6]
			b1 = b[7]
			b2 = b[8]
			c00 += a0 * b0
			c01 += a0 * b1
			c02 += a0 * b2
			c10 += a1 * b0
			c11 += a1 * b1
			c12 += a1 * b2
			a0 = a[6]
			a1 = a[7]
			b0 = b[9]
			b1 = b[10]
			b2 = b[11]
			c00 += a0 * b0
			c01 += a0 * b1
			c02 += a0 * b2
			c10 += a1 * b0
			c11 += a1 * b1
			c12 += a1 * b2
			a0 = a[8]
			a1 = a[9]
			b0 = b[12]
			b1 = b[13]
			b2 = b[14]
			c00 += a0 * b0
			c01 += a0 * b1
			c02 += a0 * b2
			c10 += a1 * b0
			c11 += a1 * b1
			c12 += a1 * b2
			a0 = a[10]
			a1 = a[11]
			b0 = b[15]
			b1 = b[16]
			b2 = b[17]
			c00 += a0 * b0
			c01 += a0 * b1
			c02 += a0 * b2
			c10 += a1 * b0
			c11 += a1 * b1
			c12 += a1 * b2
			a0 = a[12]
			a1 = a[13]
			b0 = b[18]
			b1 = b[19]
			b2 = b[20]
			c00 += a0 * b0
			c01 += a0 * b1
			c02 += a0 * b2
			c10 += a1 * b0
			c11 += a1 * b1
			c12 += a1 * b2
			a0 = a[14]
			a1 = a[15]
			b0 = b[21]
			b1 = b[22]
			b2 = b[23]
			c00 += a0 * b0
			c01 += a0 * b1
			c02 += a0 * b2
			c10 += a1 * b0
			c11 += a1 * b1
			c12 += a1 * b2
			a, b = a[16:], b[24:]
		}
		for len(a) >= 2 && len(b) >= 3 {
			a0 := a[0]
			a1 := a[1]
			b0 := b[0]
			b1 := b[1]
			b2 := b[2]
			c00 += a0 * b0
			c01 += a0 * b1
			c02 += a0 * b2
			c10 += a1 * b0
			c11 += a1 * b1
			c12 += a1 * b2
			a, b = a[2:], b[3:]
		}
	} else {
		for p := range k {
			ap, bp := a[p*sa:][:2], b[p*sb:][:3]
			a0 := ap[0]
			a1 := ap[1]
			b0 := bp[0]
			b1 := bp[1]
			b2 := bp[2]
			c00 += a0 * b0
			c01 += a0 * b1
			c02 += a0 * b2
			c10 += a1 * b0
			c11 += a1 * b1
			c12 += a1 * b2
		}
	}
	t := [...]float32{
		c00, c01, c02,
		c10, c11, c12,
	}
	storeTile(t[:], 3, c, ldc, m, n, alpha, beta)
}

// kernel4x4 computes the 4×4 tile C = alpha*Â*B̂ + beta*C as described by
// kernel.fn.
func kernel4x4(k int, a []float32, sa int, _ bool, b []float32, sb int, c []float32, ldc, m, n int, alpha, beta float32) {
	var (
		c00, c01, c02, c03 float32
		c10, c11, c12, c13 float32
		c20, c21, c22, c23 float32
		c30, c31, c32, c33 float32
	)
	if sa == 4 && sb == 4 {
		// Packed panels: walk them so that the loop condition proves
		// every index in range.
		a, b = a[:4*k], b[:4*k]
		for len(a) >= 8 && len(b) >= 8 { // two steps
			a0 := a[0]
			a1 := a[1]
			a2 := a[2]
			a3 := a[3]
			b0 := b[0]
			b1 := b[1]
			b2 := b[2]
			b3 := b[3]
			c00 += a0 * b0
			c01 += a0 * b1
			c02 += a0 * b2
			c03 += a0 * b3
			c10 += a1 * b0
			c11 += a1 * b1
			c12 += a1 * b2
			c13 += a1 * b3
			c20 += a2 * b0
			c21 += a2 * b1
			c22 += a2 * b2
			c23 += a2 * b3
			c30 += a3 * b0
			c31 += a3 * b1
			c32 += a3 * b2
			c33 += a3 * b3
			a0 = a[4]
			a1 = a[5]
			a2 = a[6]
			a3 = a[7]
			b0 = b[4]
			b1 = b[5]
			b2 = b[6]
			b3 = b[7]
			c00 += a0 * b0
			c01 += a0 * b1
			c02 += a0 * b2
			c03 += a0 * b3
			c10 += a1 * b0
			c11 += a1 * b1
			c12 += a1 * b2
			c13 += a1 * b3
			c20 += a2 * b0
			c21 += a2 * b1
			c22 += a2 * b2
			c23 += a2 * b3
			c30 += a3 * b0
			c31 += a3 * b1
			c32 += a3 * b2
			c33 += a3 * b3
			a, b = a[8:], b[8:]
		}
		for len(a) >= 4 && len(b) >= 4 {
			a0 := a[0]
			a1 := a[1]
			a2 := a[2]
			a3 := a[3]
			b0 := b[0]
			b1 := b[1]
			b2 := b[2]
			b3 := b[3]
			c00 += a0 * b0
			c01 += a0 * b1
			c02 += a0 * b2
			c03 += a0 * b3
			c10 += a1 * b0
			c11 += a1 * b1
			c12 += a1 * b2
			c13 += a1 * b3
			c20 += a2 * b0
			c21 += a2 * b1
			c22 += a2 * b2
			c23 += a2 * b3
			c30 += a3 * b0
			c31 += a3 * b1
			c32 += a3 * b2
			c33 += a3 * b3
			a, b = a[4:], b[4:]
		}
	} else {
		for p := range k {
			ap, bp := a[p*sa:][:4], b[p*sb:][:4]
			a0 := ap[0]
			a1 := ap[1]
			a2 := ap[2]
			a3 := ap[3]
			b0 := bp[0]
			b1 := bp[1]
			b2 := bp[2]
			b3 := bp[3]
			c00 += a0 * b0
			c01 += a0 * b1
			c02 += a0 * b2
			c03 += a0 * b3
			c10 += a1 * b0
			c11 += a1 * b1
			c12 += a1 * b2
			c13 += a1 * b3
			c20 += a2 * b0
			c21 += a2 * b1
			c22 += a2 * b2
			c23 += a2 * b3
			c30 += a3 * b0
			c31 += a3 * b1
			c32 += a3 * b2
			c33 += a3 * b3
		}
	}
	t := [...]float32{
		c00, c01, c02, c03,
		c10, c11, c12, c13,
		c20, c21, c22, c23,
		c30, c31, c32, c33,
	}
	storeTile(t[:], 4, c, ldc, m, n, alpha, beta)
}

// storeTile sets the top-left m×n corner of C (rows ldc apart) to
// alpha*t + beta*C, where t holds a tile of nr columns row by row; when
// beta is 0, C is not read.
func storeTile(t []float32, nr int, c []float32, ldc, m, n int, alpha, beta float32) {
	for i := range m {
		ti := t[i*nr : i*nr+n]
		ci := c[i*ldc : i*ldc+n]
		if beta == 0 {
			for j, v := range ti {
				ci[j] = alpha * v
			}
			continue
		}
		for j, v := range ti {
			ci[j] = alpha*v + beta*ci[j]
		}
	}
}
