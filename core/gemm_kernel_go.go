package core

// goKernel is the portable micro-kernel: a 4×4 tile of scalar accumulators.
// It is the default where there is no assembly, and is tested everywhere.
// On arm64 (32 floating-point registers) the tile stays in registers and
// the compiler fuses the multiply-adds; on amd64 with -tags purego, whose 15
// usable XMM registers cannot hold it, it spills and runs at ~3 GFLOP/s.
var goKernel = &kernel{
	name: "go",
	mr:   4, nr: 4,
	mc: 128, kc: 256, nc: 4096,
	directMaxN: 16, directMaxM: 32,
	fn: kernel4x4,
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
	for p := 0; p < k; p++ {
		ap := a[p*sa : p*sa+4 : p*sa+4]
		bp := b[p*sb : p*sb+4 : p*sb+4]
		b0, b1, b2, b3 := bp[0], bp[1], bp[2], bp[3]
		a0 := ap[0]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		a1 := ap[1]
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		a2 := ap[2]
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		a3 := ap[3]
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
	}
	if m == 4 && n == 4 {
		storeRow4(c[0*ldc:], alpha, beta, c00, c01, c02, c03)
		storeRow4(c[1*ldc:], alpha, beta, c10, c11, c12, c13)
		storeRow4(c[2*ldc:], alpha, beta, c20, c21, c22, c23)
		storeRow4(c[3*ldc:], alpha, beta, c30, c31, c32, c33)
		return
	}
	t := [4][4]float32{
		{c00, c01, c02, c03},
		{c10, c11, c12, c13},
		{c20, c21, c22, c23},
		{c30, c31, c32, c33},
	}
	for i := range m {
		ci := c[i*ldc : i*ldc+n]
		for j := range ci {
			if beta == 0 {
				ci[j] = alpha * t[i][j]
			} else {
				ci[j] = alpha*t[i][j] + beta*ci[j]
			}
		}
	}
}

func storeRow4(c []float32, alpha, beta, v0, v1, v2, v3 float32) {
	c = c[:4:4]
	if beta == 0 {
		c[0], c[1], c[2], c[3] = alpha*v0, alpha*v1, alpha*v2, alpha*v3
		return
	}
	c[0] = alpha*v0 + beta*c[0]
	c[1] = alpha*v1 + beta*c[1]
	c[2] = alpha*v2 + beta*c[2]
	c[3] = alpha*v3 + beta*c[3]
}
