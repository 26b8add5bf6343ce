//go:build !purego

package core

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestTuneSgemm compares the assembly kernels, and variants of their
// blocking and packing choices, on the benchmark shapes, interleaved so
// that the load of a shared machine hits them alike, timed by the thread's
// CPU time, best and median of several rounds. It is a tool, not a test:
// it runs only with DLTUNE_TUNE set to "all" or to a comma-separated list
// of shape names.
//
//	DLTUNE_TUNE=all go test ./core -run TestTuneSgemm -v
func TestTuneSgemm(t *testing.T) {
	pat := os.Getenv("DLTUNE_TUNE")
	if pat == "" {
		t.Skip("set DLTUNE_TUNE to run")
	}
	type variant struct {
		name  string
		base  *kernel
		apply func(k *kernel)
	}
	var variants []variant
	for _, kn := range archKernels() {
		variants = append(variants,
			variant{kn.name, kn, func(k *kernel) {}},
			variant{kn.name + "/packed", kn, func(k *kernel) { k.directMaxM, k.directMaxN, k.directRowsMaxN = 0, 0, 0 }},
			variant{kn.name + "/kc400", kn, func(k *kernel) { k.kc = 400 }},
			variant{kn.name + "/mc72", kn, func(k *kernel) { k.mc = 72 }},
		)
	}
	if len(variants) == 0 {
		t.Skip("no assembly kernel runs here")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	const rounds = 9
	rate := func(flops float64, f func()) float64 {
		// Batches long enough (~1ms) that reading the clock, a system
		// call, does not count.
		batch := 1
		for {
			t0 := threadCPU()
			for range batch {
				f()
			}
			if threadCPU()-t0 > time.Millisecond {
				break
			}
			batch *= 2
		}
		n := 0
		t0 := threadCPU()
		for threadCPU()-t0 < 25*time.Millisecond {
			for range batch {
				f()
			}
			n += batch
		}
		return flops * float64(n) / (threadCPU() - t0).Seconds() / 1e9
	}
	summary := func(r []float64) string {
		slices.Sort(r)
		return fmt.Sprintf("%5.1f/%5.1f", r[len(r)-1], r[len(r)/2])
	}
	var peak []float64
	for range rounds {
		peak = append(peak, rate(28*16*1000, func() { fmaPeak(1000) }))
	}
	fmt.Printf("%-18s %s   (cpu-GFLOP/s best/median)\n", "peak", summary(peak))
	if slices.Contains(archKernels(), avx512Kernel) {
		peak = peak[:0]
		for range rounds {
			peak = append(peak, rate(28*32*1000, func() { fmaPeak512(1000) }))
		}
		fmt.Printf("%-18s %s\n", "peak512", summary(peak))
	}
	fmt.Printf("%-18s", "")
	for _, v := range variants {
		fmt.Printf(" %12s", v.name[max(0, len(v.name)-12):])
	}
	fmt.Println()
	for _, s := range benchShapes {
		if pat != "all" && !slices.Contains(strings.Split(pat, ","), s.name) {
			continue
		}
		o := newGemmOperands(gemmCase{transA: s.transA, transB: s.transB, m: s.m, n: s.n, k: s.k}, rand.New(rand.NewPCG(7, 8)))
		flops := 2 * float64(s.m) * float64(s.n) * float64(s.k)
		res := make([][]float64, len(variants))
		for range rounds {
			for i, v := range variants {
				kn := *v.base
				v.apply(&kn)
				var g Gemm
				res[i] = append(res[i], rate(flops, func() {
					g.sgemm(&kn, s.transA, s.transB, s.m, s.n, s.k, 1, o.a, o.lda, o.b, o.ldb, 0, o.c, o.ldc)
				}))
			}
		}
		fmt.Printf("%-18s", s.name)
		for _, r := range res {
			fmt.Printf("  %s", summary(r))
		}
		fmt.Println()
	}
}

// threadCPU returns the CPU time of the calling thread.
func threadCPU() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		panic(err)
	}
	return time.Duration(ts.Nano())
}
