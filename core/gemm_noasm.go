//go:build !amd64 || purego

package core

// bestKernel is the micro-kernel that Gemm uses.
var bestKernel = goKernel

// archKernels returns the assembly micro-kernels that run on this CPU, best
// first: none without assembly.
func archKernels() []*kernel { return nil }
