//go:build !purego

package core

import "golang.org/x/sys/cpu"

// useActAsm reports whether the AVX2 activation kernels run on this CPU.
// Tests clear it to compare the kernels; nothing else changes it.
var useActAsm = cpu.X86.HasAVX2

// reluBiasAVX2 is reluBiasGo on the first n columns (n a positive multiple
// of 8) of rows > 0 rows of cols columns.
//
//go:noescape
func reluBiasAVX2(y, b *float32, rows, cols, n int)

// reluBackwardAVX2 is reluBackwardGo on the first n columns (n a positive
// multiple of 8) of rows > 0 rows of cols columns.
//
//go:noescape
func reluBackwardAVX2(dy, y, db *float32, rows, cols, n int)

// tanhAVX2, sigmoidAVX2 and geluAVX2 apply tanh32, sigmoid32 and gelu32 to
// n elements in place, n a positive multiple of 8; geluAVX2 writes the
// derivatives to aux unless it is nil.
//
//go:noescape
func tanhAVX2(y *float32, n int)

//go:noescape
func sigmoidAVX2(y *float32, n int)

//go:noescape
func geluAVX2(y, aux *float32, n int)

// leakyBiasAVX2 and leakyBackwardAVX2 are reluBiasAVX2 and
// reluBackwardAVX2 for leaky ReLU.
//
//go:noescape
func leakyBiasAVX2(y, b *float32, rows, cols, n int, slope float32)

//go:noescape
func leakyBackwardAVX2(dy, y, db *float32, rows, cols, n int, slope float32)
