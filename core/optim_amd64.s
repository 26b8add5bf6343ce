//go:build !purego

#include "textflag.h"

// func adamAVX2(pw, pg, pm, pv *float32, n int, args *adamArgs) uint32
//
// Eight elements per iteration, each operation rounded as adamGo rounds it:
//
//	g' = g*gs + l2*w
//	m' = b1*m + c1*g'
//	v' = b2*v + c2*(g'*g')
//	w' = w*wmul - step*(m' / (sqrt(v')*bc2 + eps))
//
// and the largest |g| (as bits) is returned.
TEXT ·adamAVX2(SB), NOSPLIT, $0-52
	MOVQ pw+0(FP), DI
	MOVQ pg+8(FP), SI
	MOVQ pm+16(FP), R8
	MOVQ pv+24(FP), R9
	MOVQ n+32(FP), CX
	MOVQ args+40(FP), AX

	VBROADCASTSS 0(AX), Y0  // gs
	VBROADCASTSS 4(AX), Y1  // l2
	VBROADCASTSS 8(AX), Y2  // wmul
	VBROADCASTSS 12(AX), Y3 // b1
	VBROADCASTSS 16(AX), Y4 // c1
	VBROADCASTSS 20(AX), Y5 // b2
	VBROADCASTSS 24(AX), Y6 // c2
	VBROADCASTSS 28(AX), Y7 // step
	VBROADCASTSS 32(AX), Y8 // bc2
	VBROADCASTSS 36(AX), Y9 // eps
	MOVL $0x7fffffff, DX
	VMOVD DX, X10
	VPBROADCASTD X10, Y10   // |x| mask
	VPXOR Y11, Y11, Y11     // max |g| bits

loop:
	VMOVUPS (SI), Y12       // g
	VPAND Y10, Y12, Y13
	VPMAXUD Y13, Y11, Y11
	VMOVUPS (DI), Y13       // w
	VMULPS Y0, Y12, Y12     // g*gs
	VMULPS Y1, Y13, Y14     // l2*w
	VADDPS Y14, Y12, Y12    // g'
	VMULPS (R8), Y3, Y14    // b1*m
	VMULPS Y4, Y12, Y15     // c1*g'
	VADDPS Y15, Y14, Y14    // m'
	VMOVUPS Y14, (R8)
	VMULPS Y12, Y12, Y15    // g'*g'
	VMULPS Y6, Y15, Y15     // c2*(g'*g')
	VMULPS (R9), Y5, Y12    // b2*v
	VADDPS Y15, Y12, Y12    // v'
	VMOVUPS Y12, (R9)
	VSQRTPS Y12, Y12
	VMULPS Y8, Y12, Y12     // sqrt(v')*bc2
	VADDPS Y9, Y12, Y12     // + eps
	VDIVPS Y12, Y14, Y14    // m'/denominator
	VMULPS Y7, Y14, Y14     // step*(...)
	VMULPS Y2, Y13, Y13     // w*wmul
	VSUBPS Y14, Y13, Y13
	VMOVUPS Y13, (DI)
	ADDQ $32, DI
	ADDQ $32, SI
	ADDQ $32, R8
	ADDQ $32, R9
	SUBQ $8, CX
	JNZ loop

	VEXTRACTI128 $1, Y11, X12
	VPMAXUD X12, X11, X11
	VPSHUFD $0x4e, X11, X12
	VPMAXUD X12, X11, X11
	VPSHUFD $0xb1, X11, X12
	VPMAXUD X12, X11, X11
	VMOVD X11, AX
	VZEROUPPER
	MOVL AX, ret+48(FP)
	RET

// func sgdAVX2(pw, pg, pbuf *float32, n int, args *sgdArgs, mode int) uint32
//
//	g' = g*gs + l2*w
//	mode 0: w' = w - lr*g'
//	mode 1: b' = mom*b + g'; w' = w - lr*b'
//	mode 2: b' = mom*b + g'; w' = w - lr*(g' + mom*b')
TEXT ·sgdAVX2(SB), NOSPLIT, $0-52
	MOVQ pw+0(FP), DI
	MOVQ pg+8(FP), SI
	MOVQ pbuf+16(FP), R8
	MOVQ n+24(FP), CX
	MOVQ args+32(FP), AX
	MOVQ mode+40(FP), BX

	VBROADCASTSS 0(AX), Y0  // gs
	VBROADCASTSS 4(AX), Y1  // l2
	VBROADCASTSS 8(AX), Y2  // lr
	VBROADCASTSS 12(AX), Y3 // mom
	MOVL $0x7fffffff, DX
	VMOVD DX, X10
	VPBROADCASTD X10, Y10
	VPXOR Y11, Y11, Y11

	CMPQ BX, $1
	JEQ sgdmom
	JGT sgdnest

sgdplain:
	VMOVUPS (SI), Y12
	VPAND Y10, Y12, Y13
	VPMAXUD Y13, Y11, Y11
	VMOVUPS (DI), Y13       // w
	VMULPS Y0, Y12, Y12     // g*gs
	VMULPS Y1, Y13, Y14     // l2*w
	VADDPS Y14, Y12, Y12    // g'
	VMULPS Y2, Y12, Y12     // lr*g'
	VSUBPS Y12, Y13, Y13
	VMOVUPS Y13, (DI)
	ADDQ $32, DI
	ADDQ $32, SI
	SUBQ $8, CX
	JNZ sgdplain
	JMP sgddone

sgdmom:
	VMOVUPS (SI), Y12
	VPAND Y10, Y12, Y13
	VPMAXUD Y13, Y11, Y11
	VMOVUPS (DI), Y13
	VMULPS Y0, Y12, Y12
	VMULPS Y1, Y13, Y14
	VADDPS Y14, Y12, Y12    // g'
	VMULPS (R8), Y3, Y14    // mom*b
	VADDPS Y12, Y14, Y14    // b'
	VMOVUPS Y14, (R8)
	VMULPS Y2, Y14, Y14     // lr*b'
	VSUBPS Y14, Y13, Y13
	VMOVUPS Y13, (DI)
	ADDQ $32, DI
	ADDQ $32, SI
	ADDQ $32, R8
	SUBQ $8, CX
	JNZ sgdmom
	JMP sgddone

sgdnest:
	VMOVUPS (SI), Y12
	VPAND Y10, Y12, Y13
	VPMAXUD Y13, Y11, Y11
	VMOVUPS (DI), Y13
	VMULPS Y0, Y12, Y12
	VMULPS Y1, Y13, Y14
	VADDPS Y14, Y12, Y12    // g'
	VMULPS (R8), Y3, Y14    // mom*b
	VADDPS Y12, Y14, Y14    // b'
	VMOVUPS Y14, (R8)
	VMULPS Y3, Y14, Y14     // mom*b'
	VADDPS Y14, Y12, Y12    // g' + mom*b'
	VMULPS Y2, Y12, Y12     // lr*(...)
	VSUBPS Y12, Y13, Y13
	VMOVUPS Y13, (DI)
	ADDQ $32, DI
	ADDQ $32, SI
	ADDQ $32, R8
	SUBQ $8, CX
	JNZ sgdnest

sgddone:
	VEXTRACTI128 $1, Y11, X12
	VPMAXUD X12, X11, X11
	VPSHUFD $0x4e, X11, X12
	VPMAXUD X12, X11, X11
	VPSHUFD $0xb1, X11, X12
	VPMAXUD X12, X11, X11
	VMOVD X11, AX
	VZEROUPPER
	MOVL AX, ret+48(FP)
	RET

// func rmspropAVX2(pw, pg, pv, pbuf *float32, n int, args *rmspropArgs) uint32
//
//	g' = g*gs + l2*w
//	v' = rho*v + c*(g'*g')
//	without momentum: w' = w - lr*(g'/(sqrt(v')+eps))
//	with momentum:    b' = mom*b + g'/(sqrt(v')+eps); w' = w - lr*b'
TEXT ·rmspropAVX2(SB), NOSPLIT, $0-52
	MOVQ pw+0(FP), DI
	MOVQ pg+8(FP), SI
	MOVQ pv+16(FP), R8
	MOVQ pbuf+24(FP), R9
	MOVQ n+32(FP), CX
	MOVQ args+40(FP), AX

	VBROADCASTSS 0(AX), Y0  // gs
	VBROADCASTSS 4(AX), Y1  // l2
	VBROADCASTSS 8(AX), Y2  // lr
	VBROADCASTSS 12(AX), Y3 // rho
	VBROADCASTSS 16(AX), Y4 // c
	VBROADCASTSS 20(AX), Y5 // eps
	VBROADCASTSS 24(AX), Y6 // mom
	MOVL $0x7fffffff, DX
	VMOVD DX, X10
	VPBROADCASTD X10, Y10
	VPXOR Y11, Y11, Y11

	TESTQ R9, R9
	JNZ rmsmom

rmsplain:
	VMOVUPS (SI), Y12
	VPAND Y10, Y12, Y13
	VPMAXUD Y13, Y11, Y11
	VMOVUPS (DI), Y13       // w
	VMULPS Y0, Y12, Y12
	VMULPS Y1, Y13, Y14
	VADDPS Y14, Y12, Y12    // g'
	VMULPS Y12, Y12, Y15    // g'*g'
	VMULPS Y4, Y15, Y15     // c*(g'*g')
	VMULPS (R8), Y3, Y14    // rho*v
	VADDPS Y15, Y14, Y14    // v'
	VMOVUPS Y14, (R8)
	VSQRTPS Y14, Y14
	VADDPS Y5, Y14, Y14     // sqrt(v')+eps
	VDIVPS Y14, Y12, Y12    // g'/(...)
	VMULPS Y2, Y12, Y12     // lr*(...)
	VSUBPS Y12, Y13, Y13
	VMOVUPS Y13, (DI)
	ADDQ $32, DI
	ADDQ $32, SI
	ADDQ $32, R8
	SUBQ $8, CX
	JNZ rmsplain
	JMP rmsdone

rmsmom:
	VMOVUPS (SI), Y12
	VPAND Y10, Y12, Y13
	VPMAXUD Y13, Y11, Y11
	VMOVUPS (DI), Y13
	VMULPS Y0, Y12, Y12
	VMULPS Y1, Y13, Y14
	VADDPS Y14, Y12, Y12    // g'
	VMULPS Y12, Y12, Y15
	VMULPS Y4, Y15, Y15
	VMULPS (R8), Y3, Y14
	VADDPS Y15, Y14, Y14    // v'
	VMOVUPS Y14, (R8)
	VSQRTPS Y14, Y14
	VADDPS Y5, Y14, Y14
	VDIVPS Y14, Y12, Y12    // g'/(sqrt(v')+eps)
	VMULPS (R9), Y6, Y14    // mom*b
	VADDPS Y12, Y14, Y14    // b'
	VMOVUPS Y14, (R9)
	VMULPS Y2, Y14, Y14     // lr*b'
	VSUBPS Y14, Y13, Y13
	VMOVUPS Y13, (DI)
	ADDQ $32, DI
	ADDQ $32, SI
	ADDQ $32, R8
	ADDQ $32, R9
	SUBQ $8, CX
	JNZ rmsmom

rmsdone:
	VEXTRACTI128 $1, Y11, X12
	VPMAXUD X12, X11, X11
	VPSHUFD $0x4e, X11, X12
	VPMAXUD X12, X11, X11
	VPSHUFD $0xb1, X11, X12
	VPMAXUD X12, X11, X11
	VMOVD X11, AX
	VZEROUPPER
	MOVL AX, ret+48(FP)
	RET
