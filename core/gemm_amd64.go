//go:build !purego

package core

import (
	"math"
	"strings"

	"golang.org/x/sys/cpu"
)

// avx2Kernel is the AVX2+FMA micro-kernel: a 6×16 tile held in twelve ymm
// accumulators (gemm_amd64.s, written by gemm_asm_gen.go). Its block sizes
// and direct-read thresholds were chosen by interleaved measurements on a
// Zen 3 (32 KiB L1d, 512 KiB L2); benchmarks/README.md has the figures.
//
// A B micro-panel of kc×16 floats (up to 50 KiB) is read from L2 by each
// tile of its column, which L2 sustains (64 bytes per 12 FMAs). A long kc
// means fewer tiles and fewer passes over C, so k = 784 is one block.
// A not transposed is read where it is, six rows at a time: that saves
// packing it, and the hardware prefetchers fetch it while the kernel
// computes. B not transposed is packed by the panel kernel as it goes,
// which costs so little that it pays from the second tile on: B is read
// in place only below one tile.
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

// avx512Kernel is the AVX-512 micro-kernel: a 6×32 tile held in twelve
// zmm accumulators (gemm_avx512_amd64.s, from the same generator as the
// AVX2 one). It keeps the AVX2 kernel's six rows, so that it shares the
// packing of A and the reading of A in place, and doubles the columns:
// each broadcast of A feeds two zmm FMAs, half the loads per FLOP. Edges
// load and store under opmasks. The block sizes are the AVX2 kernel's:
// on Zen 4, other kc and mc changed nothing measurable. Aᵀ is read in
// place up to twice the AVX2 kernel's width, eight tiles as there: a
// panel of A serves half as many tiles, so packing it pays later
// (benchmarks/README.md).
var avx512Kernel = &kernel{
	name: "avx512",
	mr:   6, nr: 32,
	mc: 144, kc: 800, nc: 4096,
	directMaxN: 256, directRowsMaxN: math.MaxInt, directMaxM: 5,
	partial: true, rowsA: true,
	fn:    kernel6x32,
	panel: panel6x32,
	packA: packA6,
	packB: packB32,
}

// cpuFeatures are the CPU features that decide which kernels run.
type cpuFeatures struct {
	avx2, fma, avx512f bool
}

// hostFeatures returns the features of this CPU. x/sys/cpu reports AVX2
// only when the OS saves the ymm state (XCR0 bits 1-2) and AVX512F only
// when it also saves the opmask and zmm state (bits 5-7).
func hostFeatures() cpuFeatures {
	return cpuFeatures{avx2: cpu.X86.HasAVX2, fma: cpu.X86.HasFMA, avx512f: cpu.X86.HasAVX512F}
}

func (f cpuFeatures) String() string {
	var s []string
	for _, x := range []struct {
		has  bool
		name string
	}{{f.avx2, "AVX2"}, {f.fma, "FMA"}, {f.avx512f, "AVX512F"}} {
		if x.has {
			s = append(s, x.name)
		}
	}
	if len(s) == 0 {
		return "no AVX2, FMA or AVX512F"
	}
	return strings.Join(s, " ")
}

// archKernels returns the assembly micro-kernels that run on this CPU, best
// first.
func archKernels() []*kernel { return kernelsFor(hostFeatures()) }

// archReason says what archKernels found.
func archReason() string { return "CPU has " + hostFeatures().String() }

// kernelsFor returns the assembly micro-kernels that run on a CPU with
// features f, best first. Both need AVX2 and FMA: the AVX-512 kernel
// shares the AVX2 packing code.
func kernelsFor(f cpuFeatures) []*kernel {
	if !f.avx2 || !f.fma {
		return nil
	}
	if f.avx512f {
		return []*kernel{avx512Kernel, avx2Kernel}
	}
	return []*kernel{avx2Kernel}
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

// kernel6x32 checks the extent of the operands and calls the assembly.
func kernel6x32(k int, a []float32, sa int, rowsA bool, b []float32, sb int, c []float32, ldc, m, n int, alpha, beta float32) {
	if m < 1 || m > 6 || n < 1 || n > 32 {
		panic("core: kernel6x32: bad tile")
	}
	if rowsA {
		_ = a[(m-1)*sa+k-1]
	} else {
		_ = a[(k-1)*sa+m-1]
	}
	_ = b[(k-1)*sb+n-1]
	_ = c[(m-1)*ldc+n-1]
	sgemmKernel6x32(k, &a[0], sa, rowsA, &b[0], sb, &c[0], ldc, m, n, alpha, beta)
}

// panel6x32 checks the extent of the operands and calls the assembly.
func panel6x32(k int, a []float32, sa, ta int, rowsA bool, b []float32, sb int, pb []float32, c []float32, ldc, tiles int, alpha, beta float32) {
	if tiles < 1 || k < 1 {
		panic("core: panel6x32: bad panel")
	}
	if last := (tiles - 1) * ta; rowsA {
		_ = a[last+5*sa+k-1]
	} else {
		_ = a[last+(k-1)*sa+5]
	}
	_ = b[(k-1)*sb+31]
	var pp *float32
	pbn := 0
	if len(pb) > 0 {
		pbn = min(len(pb)/(32*k), 2)
		_ = pb[pbn*32*k-1]
		_ = b[(k-1)*sb+32*pbn-1]
		pp = &pb[0]
	}
	_ = c[(6*tiles-1)*ldc+31]
	sgemmPanel6x32(k, &a[0], sa, ta, rowsA, &b[0], sb, pp, &c[0], ldc, tiles, alpha, beta, pbn)
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
func sgemmKernel6x32(k int, a *float32, sa int, rowsA bool, b *float32, sb int, c *float32, ldc, m, n int, alpha, beta float32)

//go:noescape
func sgemmPanel6x32(k int, a *float32, sa int, ta int, rowsA bool, b *float32, sb int, pb *float32, c *float32, ldc int, tiles int, alpha float32, beta float32, pbn int)

// packB32 is packPanelsB for nr = 32 with the full panels of Bᵀ packed by
// assembly. B not transposed is packed by the panel kernel as it goes.
func packB32(dst []float32, trans bool, b []float32, ldb, p0, kc, j0, nc int) {
	q := nc &^ 31
	if !trans {
		q = 0
	}
	for j := 0; j < q; j += 32 {
		d := dst[j*kc : (j+32)*kc]
		s := b[(j0+j)*ldb+p0:]
		_ = s[31*ldb+kc-1]
		packB32T(kc, &s[0], ldb, &d[0])
		for p := kc &^ 7; p < kc; p++ {
			for jj := 0; jj < 32; jj++ {
				d[p*32+jj] = s[jj*ldb+p]
			}
		}
	}
	if q < nc {
		packPanelsB(dst[q*kc:], 32, trans, b, ldb, p0, kc, j0+q, nc-q)
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

//go:noescape
func packB32T(k int, b *float32, ldb int, dst *float32)

// fmaPeak runs n rounds of 28 independent ymm FMAs, and fmaPeak512 of zmm
// FMAs; benchmarks use them to measure the machine's peak.
func fmaPeak(n int)

func fmaPeak512(n int)
