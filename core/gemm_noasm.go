//go:build !amd64 || purego

package core

// archKernels returns the assembly micro-kernels that run on this CPU, best
// first: none without assembly.
func archKernels() []*kernel { return nil }

// archReason says why there is no assembly kernel.
func archReason() string { return "no assembly kernels in this build" }
