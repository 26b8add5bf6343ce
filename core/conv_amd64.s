//go:build !purego

#include "textflag.h"

// func planeReluAVX2(y *float32, n int, b float32)
//
// y[i] = max(0, y[i]+b); VMAXPS returns its second source when either is
// NaN, so with (0, v) a NaN v passes through.
TEXT ·planeReluAVX2(SB), NOSPLIT, $0-20
	MOVQ y+0(FP), DI
	MOVQ n+8(FP), CX
	VBROADCASTSS b+16(FP), Y2
	VXORPS Y0, Y0, Y0
	CMPQ CX, $32
	JLT one

four:
	VADDPS (DI), Y2, Y1
	VADDPS 32(DI), Y2, Y3
	VADDPS 64(DI), Y2, Y4
	VADDPS 96(DI), Y2, Y5
	VMAXPS Y1, Y0, Y1
	VMAXPS Y3, Y0, Y3
	VMAXPS Y4, Y0, Y4
	VMAXPS Y5, Y0, Y5
	VMOVUPS Y1, (DI)
	VMOVUPS Y3, 32(DI)
	VMOVUPS Y4, 64(DI)
	VMOVUPS Y5, 96(DI)
	ADDQ $128, DI
	SUBQ $32, CX
	CMPQ CX, $32
	JGE four
	TESTQ CX, CX
	JZ done

one:
	VADDPS (DI), Y2, Y1
	VMAXPS Y1, Y0, Y1
	VMOVUPS Y1, (DI)
	ADDQ $32, DI
	SUBQ $8, CX
	JNZ one

done:
	VZEROUPPER
	RET

// func planeReluBackAVX2(dy, y *float32, n int, acc *[8]float32)
//
// d = y[i] > 0 ? dy[i] : 0; dy[i] = d; acc[i%8] += d, in order.
TEXT ·planeReluBackAVX2(SB), NOSPLIT, $0-32
	MOVQ dy+0(FP), DI
	MOVQ y+8(FP), SI
	MOVQ n+16(FP), CX
	MOVQ acc+24(FP), DX
	VXORPS Y0, Y0, Y0
	VMOVUPS (DX), Y4

loop:
	VMOVUPS (SI), Y1
	VCMPPS $0x1e, Y0, Y1, Y2 // y > 0, ordered (NaN gives false)
	VANDPS (DI), Y2, Y3
	VMOVUPS Y3, (DI)
	VADDPS Y3, Y4, Y4
	ADDQ $32, DI
	ADDQ $32, SI
	SUBQ $8, CX
	JNZ loop
	VMOVUPS Y4, (DX)
	VZEROUPPER
	RET

DATA poolc<>+0(SB)/4, $0
DATA poolc<>+4(SB)/4, $1
DATA poolc<>+8(SB)/4, $2
DATA poolc<>+12(SB)/4, $3
DATA poolc<>+16(SB)/4, $4
DATA poolc<>+20(SB)/4, $5
DATA poolc<>+24(SB)/4, $6
DATA poolc<>+28(SB)/4, $7
DATA poolc<>+32(SB)/4, $0
DATA poolc<>+36(SB)/4, $2
DATA poolc<>+40(SB)/4, $4
DATA poolc<>+44(SB)/4, $6
DATA poolc<>+48(SB)/4, $8
DATA poolc<>+52(SB)/4, $10
DATA poolc<>+56(SB)/4, $12
DATA poolc<>+60(SB)/4, $14
GLOBL poolc<>(SB), RODATA|NOPTR, $64

// POOL8 takes the maxima of eight 2×2 windows whose rows are in Y0:Y1 and
// Y2:Y3 into Y4 and their offsets (0, 1, W or W+1, the first maximum in
// that order, NaN in the first position winning) plus the row's index
// vector Y9 into Y15. VSHUFPS splits even and odd columns, leaving the
// windows in the order 0 1 4 5 2 3 6 7, which VPERMPD/VPERMQ $0xd8 undo.
#define POOL8 \
	VSHUFPS $0x88, Y1, Y0, Y4 \
	VSHUFPS $0xdd, Y1, Y0, Y5 \
	VSHUFPS $0x88, Y3, Y2, Y6 \
	VSHUFPS $0xdd, Y3, Y2, Y7 \
	VCMPPS $0x1e, Y4, Y5, Y8 \
	VBLENDVPS Y8, Y5, Y4, Y4 \
	VPAND Y8, Y13, Y15 \
	VCMPPS $0x1e, Y4, Y6, Y8 \
	VBLENDVPS Y8, Y6, Y4, Y4 \
	VBLENDVPS Y8, Y12, Y15, Y15 \
	VCMPPS $0x1e, Y4, Y7, Y8 \
	VBLENDVPS Y8, Y7, Y4, Y4 \
	VBLENDVPS Y8, Y11, Y15, Y15 \
	VPERMPD $0xd8, Y4, Y4 \
	VPERMQ $0xd8, Y15, Y15 \
	VPADDD Y9, Y15, Y15

// func maxPool2x2AVX2(x, y *float32, arg *int32, w, oh, ow, base int)
//
// maxPool2D's 2×2, stride 2 loop on one plane of w columns: oh rows of ow
// outputs to y, the index of each maximum (base + its offset in the
// plane) to arg.
TEXT ·maxPool2x2AVX2(SB), NOSPLIT, $0-56
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ arg+16(FP), DX
	MOVQ w+24(FP), R8
	MOVQ oh+32(FP), R9
	MOVQ ow+40(FP), R10
	MOVQ base+48(FP), R11
	VMOVDQU poolc<>+0(SB), Y14 // 0 1 ... 7
	MOVL $1, AX
	MOVD AX, X13
	VPBROADCASTD X13, Y13 // 1
	MOVQ R8, AX
	MOVD AX, X12
	VPBROADCASTD X12, Y12 // W
	VPADDD Y13, Y12, Y11  // W+1
	MOVL $16, AX
	MOVD AX, X10
	VPBROADCASTD X10, Y10 // 16

row:
	MOVQ SI, AX
	LEAQ (SI)(R8*4), BX
	MOVQ DI, R12
	MOVQ DX, R13
	MOVQ R11, CX
	MOVD CX, X9
	VPBROADCASTD X9, Y9
	VPADDD poolc<>+32(SB), Y9, Y9 // base + 0 2 ... 14
	MOVQ R10, CX

block:
	CMPQ CX, $8
	JLT tail
	VMOVUPS (AX), Y0
	VMOVUPS 32(AX), Y1
	VMOVUPS (BX), Y2
	VMOVUPS 32(BX), Y3
	POOL8
	VMOVUPS Y4, (R12)
	VMOVDQU Y15, (R13)
	VPADDD Y10, Y9, Y9
	ADDQ $64, AX
	ADDQ $64, BX
	ADDQ $32, R12
	ADDQ $32, R13
	SUBQ $8, CX
	JMP block

tail:
	TESTQ CX, CX
	JZ next
	// Masked loads of the 2·CX columns left (lanes past them read as 0
	// and touch no memory) and masked stores of CX outputs.
	MOVQ CX, R14
	SHLQ $1, R14
	MOVD R14, X8
	VPBROADCASTD X8, Y8
	VPCMPGTD Y14, Y8, Y4
	SUBQ $8, R14
	MOVD R14, X8
	VPBROADCASTD X8, Y8
	VPCMPGTD Y14, Y8, Y5
	VMASKMOVPS (AX), Y4, Y0
	VMASKMOVPS 32(AX), Y5, Y1
	VMASKMOVPS (BX), Y4, Y2
	VMASKMOVPS 32(BX), Y5, Y3
	POOL8
	MOVD CX, X8
	VPBROADCASTD X8, Y8
	VPCMPGTD Y14, Y8, Y8
	VMASKMOVPS Y4, Y8, (R12)
	VPMASKMOVD Y15, Y8, (R13)

next:
	LEAQ (SI)(R8*8), SI
	LEAQ (DI)(R10*4), DI
	LEAQ (DX)(R10*4), DX
	LEAQ (R11)(R8*2), R11
	DECQ R9
	JNZ row
	VZEROUPPER
	RET
