//go:build !purego

package core

import (
	"testing"

	"golang.org/x/sys/cpu"
)

// benchPeak reports the FMA throughput of fourteen independent ymm chains,
// the bound that the kernels' GFLOP/s are to be read against.
func benchPeak(b *testing.B) {
	if !cpu.X86.HasAVX2 || !cpu.X86.HasFMA {
		return
	}
	b.Run("peak", func(b *testing.B) {
		const n = 1000
		benchFlops(b, 28*16*n, func() { fmaPeak(n) })
	})
}
