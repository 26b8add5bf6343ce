//go:build !purego

#include "textflag.h"

// func reluBiasAVX2(y, b *float32, rows, cols, n int)
//
// y[r][j] = max(0, y[r][j]+b[j]) for j < n. VMAXPS returns its second
// source when either is NaN, so with (0, v) a NaN v passes through, as in
// reluBiasGo.
TEXT ·reluBiasAVX2(SB), NOSPLIT, $0-40
	MOVQ y+0(FP), DI
	MOVQ b+8(FP), SI
	MOVQ rows+16(FP), R8
	MOVQ cols+24(FP), R9
	MOVQ n+32(FP), R10
	SHLQ $2, R9 // row stride in bytes
	VXORPS Y0, Y0, Y0

biasrow:
	MOVQ DI, AX
	MOVQ SI, BX
	MOVQ R10, CX

biascol:
	VMOVUPS (AX), Y1
	VADDPS (BX), Y1, Y1
	VMAXPS Y1, Y0, Y1 // Y1 = 0 > Y1 ? 0 : Y1
	VMOVUPS Y1, (AX)
	ADDQ $32, AX
	ADDQ $32, BX
	SUBQ $8, CX
	JNZ biascol
	ADDQ R9, DI
	DECQ R8
	JNZ biasrow
	VZEROUPPER
	RET

// func reluBackwardAVX2(dy, y, db *float32, rows, cols, n int)
//
// d = y[r][j] > 0 ? dy[r][j] : 0; dy[r][j] = d; db[j] += d, for j < n,
// rows in order (so db sums in the same order as reluBackwardGo).
TEXT ·reluBackwardAVX2(SB), NOSPLIT, $0-48
	MOVQ dy+0(FP), DI
	MOVQ y+8(FP), SI
	MOVQ db+16(FP), DX
	MOVQ rows+24(FP), R8
	MOVQ cols+32(FP), R9
	MOVQ n+40(FP), R10
	SHLQ $2, R9
	VXORPS Y0, Y0, Y0

backrow:
	MOVQ DI, AX
	MOVQ SI, BX
	MOVQ DX, R11
	MOVQ R10, CX

backcol:
	VMOVUPS (BX), Y1
	VCMPPS $0x1e, Y0, Y1, Y2 // y > 0, ordered (NaN gives false)
	VANDPS (AX), Y2, Y3
	VMOVUPS Y3, (AX)
	VADDPS (R11), Y3, Y3
	VMOVUPS Y3, (R11)
	ADDQ $32, AX
	ADDQ $32, BX
	ADDQ $32, R11
	SUBQ $8, CX
	JNZ backcol
	ADDQ R9, DI
	ADDQ R9, SI
	DECQ R8
	JNZ backrow
	VZEROUPPER
	RET
