//go:build !purego

package core

import "golang.org/x/sys/cpu"

// avx2Kernel is the AVX2+FMA micro-kernel: a 6×16 tile held in twelve ymm
// accumulators.
var avx2Kernel = &kernel{
	name: "avx2",
	mr:   6, nr: 16,
	mc: 144, kc: 256, nc: 4080,
	fn: kernel6x16,
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
// first.
func archKernels() []*kernel {
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		return []*kernel{avx2Kernel}
	}
	return nil
}

// kernel6x16 checks the extent of the operands and calls the assembly.
func kernel6x16(k int, a []float32, sa int, b []float32, sb int, c []float32, ldc int, alpha, beta float32) {
	if k > 0 {
		_ = a[(k-1)*sa+5]
		_ = b[(k-1)*sb+15]
	}
	_ = c[5*ldc+15]
	sgemmKernel6x16(k, &a[0], sa, &b[0], sb, &c[0], ldc, alpha, beta)
}

//go:noescape
func sgemmKernel6x16(k int, a *float32, sa int, b *float32, sb int, c *float32, ldc int, alpha, beta float32)
