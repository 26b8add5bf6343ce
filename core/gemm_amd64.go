//go:build !purego

package core

import (
	"math"

	"golang.org/x/sys/cpu"
)

// avx2Kernel is the AVX2+FMA micro-kernel: a 6×16 tile held in twelve ymm
// accumulators (gemm_amd64.s, written by gemm_asm_gen.go). Its block sizes
// and direct-read thresholds were chosen by interleaved measurements on a
// Zen 3 (32 KiB L1d, 512 KiB L2). A B micro-panel of kc×16 floats (up to
// 50 KiB) is read from L2 by each tile of its column, which L2 sustains
// (64 bytes per 12 FMAs); a long kc means fewer tiles and fewer passes over
// C (k = 784 in one block rather than two: +3-5% on the MLP's forward
// product). A not transposed is read where it is (six rows at a time),
// which saves packing it and lets the hardware prefetchers fetch it while
// the kernel computes. B not transposed is packed by the panel kernel as
// it goes, which costs so little that it pays from the second tile on: B
// is read in place only below one tile.
var avx2Kernel = &kernel{
	name: "avx2",
	mr:   6, nr: 16,
	mc: 144, kc: 800, nc: 4080,
	directMaxN: 128, directRowsMaxN: math.MaxInt, directMaxM: 5,
	partial: true, rowsA: true,
	fn:    kernel6x16,
	panel: panel6x16,
	packA: packA6,
	packB: packB16,
}

// bestKernel is the micro-kernel that Gemm uses: the best of archKernels,
// or the portable one.
var bestKernel = func() *kernel {
	if ks := archKernels(); len(ks) > 0 {
		return ks[0]
	}
	return goKernel
}()

// archKernels returns the assembly micro-kernels that run on this CPU, best
// first. There is no AVX-512 kernel yet: AVX-512 CPUs use the AVX2 one.
func archKernels() []*kernel {
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		return []*kernel{avx2Kernel}
	}
	return nil
}

// kernel6x16 checks the extent of the operands and calls the assembly.
func kernel6x16(k int, a []float32, sa int, rowsA bool, b []float32, sb int, c []float32, ldc, m, n int, alpha, beta float32) {
	if m < 1 || m > 6 || n < 1 || n > 16 {
		panic("core: kernel6x16: bad tile")
	}
	if rowsA {
		_ = a[(m-1)*sa+k-1]
	} else {
		_ = a[(k-1)*sa+m-1]
	}
	_ = b[(k-1)*sb+n-1]
	_ = c[(m-1)*ldc+n-1]
	sgemmKernel6x16(k, &a[0], sa, rowsA, &b[0], sb, &c[0], ldc, m, n, alpha, beta)
}

// panel6x16 checks the extent of the operands and calls the assembly.
func panel6x16(k int, a []float32, sa, ta int, rowsA bool, b []float32, sb int, pb []float32, c []float32, ldc, tiles int, alpha, beta float32) {
	if tiles < 1 || k < 1 {
		panic("core: panel6x16: bad panel")
	}
	if last := (tiles - 1) * ta; rowsA {
		_ = a[last+5*sa+k-1]
	} else {
		_ = a[last+(k-1)*sa+5]
	}
	_ = b[(k-1)*sb+15]
	var pp *float32
	pbn := 0
	if len(pb) > 0 {
		pbn = min(len(pb)/(16*k), 2)
		_ = pb[pbn*16*k-1]
		_ = b[(k-1)*sb+16*pbn-1]
		pp = &pb[0]
	}
	_ = c[(6*tiles-1)*ldc+15]
	sgemmPanel6x16(k, &a[0], sa, ta, rowsA, &b[0], sb, pp, &c[0], ldc, tiles, alpha, beta, pbn)
}

//go:generate go run gemm_asm_gen.go

//go:noescape
func sgemmKernel6x16(k int, a *float32, sa int, rowsA bool, b *float32, sb int, c *float32, ldc, m, n int, alpha, beta float32)

// packA6 is packPanelsA for mr = 6 with the full panels packed by assembly.
func packA6(dst []float32, trans bool, a []float32, lda, i0, mc, p0, kc int) {
	q := 0
	for ; q+6 <= mc; q += 6 {
		d := dst[q*kc : (q+6)*kc]
		if trans {
			s := a[p0*lda+i0+q:]
			_ = s[(kc-1)*lda+5]
			packA6T(kc, &s[0], lda, &d[0])
			continue
		}
		s := a[(i0+q)*lda+p0:]
		_ = s[5*lda+kc-1]
		packA6N(kc, &s[0], lda, &d[0])
		for p := kc &^ 3; p < kc; p++ {
			for i := 0; i < 6; i++ {
				d[p*6+i] = s[i*lda+p]
			}
		}
	}
	if q < mc {
		packPanelsA(dst[q*kc:], 6, trans, a, lda, i0+q, mc-q, p0, kc)
	}
}

// packB16 is packPanelsB for nr = 16 with the full panels packed by
// assembly.
func packB16(dst []float32, trans bool, b []float32, ldb, p0, kc, j0, nc int) {
	q := nc &^ 15
	if q > 0 && !trans {
		s := b[p0*ldb+j0:]
		_ = s[(kc-1)*ldb+q-1]
		_ = dst[q*kc-1]
		packB16N(kc, &s[0], ldb, q/16, &dst[0], 16*kc)
	}
	for j := 0; j < q && trans; j += 16 {
		d := dst[j*kc : (j+16)*kc]
		s := b[(j0+j)*ldb+p0:]
		_ = s[15*ldb+kc-1]
		packB16T(kc, &s[0], ldb, &d[0])
		for p := kc &^ 7; p < kc; p++ {
			for jj := 0; jj < 16; jj++ {
				d[p*16+jj] = s[jj*ldb+p]
			}
		}
	}
	if q < nc {
		packPanelsB(dst[q*kc:], 16, trans, b, ldb, p0, kc, j0+q, nc-q)
	}
}

//go:noescape
func sgemmPanel6x16(k int, a *float32, sa int, ta int, rowsA bool, b *float32, sb int, pb *float32, c *float32, ldc int, tiles int, alpha float32, beta float32, pbn int)

// The packing routines fill full micro-panels; see gemm_pack_amd64.s.

//go:noescape
func packA6N(k int, a *float32, lda int, dst *float32)

//go:noescape
func packA6T(k int, a *float32, lda int, dst *float32)

//go:noescape
func packB16N(k int, b *float32, ldb int, panels int, dst *float32, pstride int)

//go:noescape
func packB16T(k int, b *float32, ldb int, dst *float32)

// fmaPeak runs n rounds of 28 independent ymm FMAs; benchmarks use it
// to measure the machine's peak.
func fmaPeak(n int)
