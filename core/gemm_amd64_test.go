//go:build !purego

package core

import (
	"slices"
	"testing"

	"golang.org/x/sys/cpu"
)

// benchPeak reports the FMA throughput of fourteen independent ymm chains
// (peak) and zmm chains (peak512), the bounds that the kernels' GFLOP/s
// are to be read against.
func benchPeak(b *testing.B) {
	const n = 1000
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		b.Run("peak", func(b *testing.B) {
			benchFlops(b, 28*16*n, func() { fmaPeak(n) })
		})
	}
	if cpu.X86.HasAVX512F {
		b.Run("peak512", func(b *testing.B) {
			benchFlops(b, 28*32*n, func() { fmaPeak512(n) })
		})
	}
}

// TestKernelsFor checks which kernels each CPU gets, with forced feature
// sets, so that a machine without AVX-512 still checks the choice.
func TestKernelsFor(t *testing.T) {
	tests := []struct {
		name string
		f    cpuFeatures
		want []*kernel
	}{
		{"none", cpuFeatures{}, nil},
		{"AVX2 without FMA", cpuFeatures{avx2: true}, nil},
		{"AVX2 FMA", cpuFeatures{avx2: true, fma: true}, []*kernel{avx2Kernel}},
		{"AVX2 FMA AVX512F", cpuFeatures{avx2: true, fma: true, avx512f: true}, []*kernel{avx512Kernel, avx2Kernel}},
		{"AVX512F alone", cpuFeatures{avx512f: true}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := kernelsFor(tt.f); !slices.Equal(got, tt.want) {
				t.Errorf("kernelsFor(%v) = %v, want %v", tt.f, kernelNames(got), kernelNames(tt.want))
			}
		})
	}
	// This host: every kernel its CPU runs is in the tested table.
	f := hostFeatures()
	if f.avx512f != cpu.X86.HasAVX512F || f.avx2 != cpu.X86.HasAVX2 {
		t.Errorf("hostFeatures() = %v, x/sys/cpu says AVX2 %v AVX512F %v", f, cpu.X86.HasAVX2, cpu.X86.HasAVX512F)
	}
	if f.avx512f && f.avx2 && f.fma && !slices.Contains(testKernels(), avx512Kernel) {
		t.Errorf("the CPU has AVX512F but the tests do not run the avx512 kernel")
	}
}

func kernelNames(ks []*kernel) []string {
	var s []string
	for _, k := range ks {
		s = append(s, k.name)
	}
	return s
}
