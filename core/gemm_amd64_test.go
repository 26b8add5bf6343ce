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
		for b.Loop() {
			fmaPeak(n)
		}
		b.ReportMetric(28*16*n*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
}
