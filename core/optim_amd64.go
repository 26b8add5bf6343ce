//go:build !purego

package core

import "golang.org/x/sys/cpu"

// useOptAsm reports whether the AVX2 optimizer kernels run on this CPU.
// They do whole vectors of 8 elements and the Go kernels the rest; both
// round every operation the same way (no fused multiply-add), so the
// results are the same bits. Tests clear useOptAsm to compare the
// kernels; nothing else changes it.
var useOptAsm = cpu.X86.HasAVX2

// The assembly kernels work on n elements, n a positive multiple of 8.

// sgdAVX2 is sgdGo: mode 0 without momentum (buf unused), 1 with momentum,
// 2 with Nesterov momentum.
//
//go:noescape
func sgdAVX2(pw, pg, pbuf *float32, n int, args *sgdArgs, mode int) uint32

// adamAVX2 is adamGo.
//
//go:noescape
func adamAVX2(pw, pg, pm, pv *float32, n int, args *adamArgs) uint32

// rmspropAVX2 is rmspropGo; pbuf is nil without momentum.
//
//go:noescape
func rmspropAVX2(pw, pg, pv, pbuf *float32, n int, args *rmspropArgs) uint32
