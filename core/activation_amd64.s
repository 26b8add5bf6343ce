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

// Constants of the exp, tanh, sigmoid and GELU kernels, as float32 bits
// of the same literals the Go functions use.
DATA actc<>+0(SB)/4, $0x3fb8aa3b   // log2(e)
DATA actc<>+4(SB)/4, $0x4b400000   // 1.5·2^23
DATA actc<>+8(SB)/4, $0x3f318000   // ln2 high
DATA actc<>+12(SB)/4, $0xb95e8083  // ln2 low
DATA actc<>+16(SB)/4, $0x39506967  // exp polynomial
DATA actc<>+20(SB)/4, $0x3ab743ce
DATA actc<>+24(SB)/4, $0x3c088908
DATA actc<>+28(SB)/4, $0x3d2aa9c1
DATA actc<>+32(SB)/4, $0x3e2aaaaa
DATA actc<>+36(SB)/4, $0x3f000000
DATA actc<>+40(SB)/4, $0x3f800000  // 1
DATA actc<>+44(SB)/4, $0x0000007f  // exponent bias 127
DATA actc<>+48(SB)/4, $0x3f200000  // 0.625
DATA actc<>+52(SB)/4, $0x411051ec  // 9.02
DATA actc<>+56(SB)/4, $0x40000000  // 2
DATA actc<>+60(SB)/4, $0x7fffffff  // |x| mask
DATA actc<>+64(SB)/4, $0x80000000  // sign bit
DATA actc<>+68(SB)/4, $0xbbbaf0ea  // tanh polynomial
DATA actc<>+72(SB)/4, $0x3ca9134e
DATA actc<>+76(SB)/4, $0xbd5c1e2d
DATA actc<>+80(SB)/4, $0x3e088393
DATA actc<>+84(SB)/4, $0xbeaaaa99
DATA actc<>+88(SB)/4, $0xc2aeac4f  // expLo
DATA actc<>+92(SB)/4, $0x3f000000  // 0.5
DATA actc<>+96(SB)/4, $0x3f4c422a  // √(2/π)
DATA actc<>+100(SB)/4, $0x3d372713 // 0.044715
DATA actc<>+104(SB)/4, $0x3e095d4f // 3·0.044715
GLOBL actc<>(SB), RODATA|NOPTR, $108

// EXP8 sets X = exp32(X) for X in [expLo, 1e7] (NaN gives NaN), as the
// core of exp32: fn = round(x·log2e), r = x - fn·ln2hi - fn·ln2lo, the
// polynomial p(r), then p·2^n1·2^n2 with n1 = n>>1, n2 = n-n1. A, B, C
// are clobbered.
#define EXP8(X, A, B, C) \
	VBROADCASTSS actc<>+0(SB), A; \
	VMULPS A, X, B; \
	VBROADCASTSS actc<>+4(SB), A; \
	VADDPS A, B, B; \
	VSUBPS A, B, B; \
	VBROADCASTSS actc<>+8(SB), A; \
	VMULPS B, A, C; \
	VSUBPS C, X, X; \
	VBROADCASTSS actc<>+12(SB), A; \
	VMULPS B, A, C; \
	VSUBPS C, X, X; \
	VBROADCASTSS actc<>+16(SB), C; \
	VMULPS X, C, C; \
	VBROADCASTSS actc<>+20(SB), A; \
	VADDPS A, C, C; \
	VMULPS X, C, C; \
	VBROADCASTSS actc<>+24(SB), A; \
	VADDPS A, C, C; \
	VMULPS X, C, C; \
	VBROADCASTSS actc<>+28(SB), A; \
	VADDPS A, C, C; \
	VMULPS X, C, C; \
	VBROADCASTSS actc<>+32(SB), A; \
	VADDPS A, C, C; \
	VMULPS X, C, C; \
	VBROADCASTSS actc<>+36(SB), A; \
	VADDPS A, C, C; \
	VMULPS X, C, C; \
	VMULPS X, C, C; \
	VADDPS X, C, C; \
	VBROADCASTSS actc<>+40(SB), A; \
	VADDPS A, C, C; \
	VCVTPS2DQ B, B; \
	VPSRAD $1, B, X; \
	VPSUBD X, B, B; \
	VPBROADCASTD actc<>+44(SB), A; \
	VPADDD A, X, X; \
	VPSLLD $23, X, X; \
	VPADDD A, B, B; \
	VPSLLD $23, B, B; \
	VMULPS X, C, C; \
	VMULPS B, C, X

// TANH8 sets X = tanh32(X): both the small-argument polynomial S and the
// large-argument form L = copysign(1 - 2/(exp(2·min(|x|, 9.02))+1), x)
// are computed, and |x| < 0.625 picks S. A to F are clobbered.
#define TANH8(X, A, B, C, D, E, F) \
	VPBROADCASTD actc<>+60(SB), A; \
	VANDPS A, X, A; \
	VMULPS X, X, B; \
	VBROADCASTSS actc<>+68(SB), C; \
	VMULPS B, C, C; \
	VBROADCASTSS actc<>+72(SB), D; \
	VADDPS D, C, C; \
	VMULPS B, C, C; \
	VBROADCASTSS actc<>+76(SB), D; \
	VADDPS D, C, C; \
	VMULPS B, C, C; \
	VBROADCASTSS actc<>+80(SB), D; \
	VADDPS D, C, C; \
	VMULPS B, C, C; \
	VBROADCASTSS actc<>+84(SB), D; \
	VADDPS D, C, C; \
	VMULPS B, X, B; \
	VMULPS C, B, B; \
	VADDPS B, X, B; \
	VBROADCASTSS actc<>+52(SB), C; \
	VMINPS A, C, C; \
	VADDPS C, C, C; \
	EXP8(C, D, E, F); \
	VBROADCASTSS actc<>+40(SB), D; \
	VADDPS D, C, C; \
	VBROADCASTSS actc<>+56(SB), E; \
	VDIVPS C, E, C; \
	VSUBPS C, D, C; \
	VPBROADCASTD actc<>+64(SB), D; \
	VANDPS X, D, D; \
	VORPS D, C, C; \
	VBROADCASTSS actc<>+48(SB), D; \
	VCMPPS $0x11, D, A, D; \
	VBLENDVPS D, B, C, X

// func tanhAVX2(y *float32, n int)
TEXT ·tanhAVX2(SB), NOSPLIT, $0-16
	MOVQ y+0(FP), DI
	MOVQ n+8(FP), CX

tanhloop:
	VMOVUPS (DI), Y0
	TANH8(Y0, Y1, Y2, Y3, Y4, Y5, Y6)
	VMOVUPS Y0, (DI)
	ADDQ $32, DI
	SUBQ $8, CX
	JNZ tanhloop
	VZEROUPPER
	RET

// func sigmoidAVX2(y *float32, n int)
//
// e = exp32(-|x|) (0 below expLo); x >= 0 ? 1/(1+e) : e/(1+e).
TEXT ·sigmoidAVX2(SB), NOSPLIT, $0-16
	MOVQ y+0(FP), DI
	MOVQ n+8(FP), CX

sigloop:
	VMOVUPS (DI), Y0
	VPBROADCASTD actc<>+60(SB), Y1
	VANDPS Y1, Y0, Y1
	VPBROADCASTD actc<>+64(SB), Y2
	VXORPS Y2, Y1, Y1          // -|x|
	VBROADCASTSS actc<>+88(SB), Y2
	VMAXPS Y1, Y2, Y3          // max(expLo, -|x|), NaN stays
	EXP8(Y3, Y4, Y5, Y6)
	VCMPPS $0x11, Y2, Y1, Y4   // -|x| < expLo
	VANDNPS Y3, Y4, Y3         // e, or 0 there
	VBROADCASTSS actc<>+40(SB), Y4
	VADDPS Y3, Y4, Y5          // 1+e
	VDIVPS Y5, Y4, Y6          // 1/(1+e)
	VDIVPS Y5, Y3, Y7          // e/(1+e)
	VXORPS Y8, Y8, Y8
	VCMPPS $0x1d, Y8, Y0, Y8   // x >= 0
	VBLENDVPS Y8, Y6, Y7, Y7
	VMOVUPS Y7, (DI)
	ADDQ $32, DI
	SUBQ $8, CX
	JNZ sigloop
	VZEROUPPER
	RET

// func geluAVX2(y, aux *float32, n int)
//
// y = gelu32(x) in place; if aux is not nil, aux receives the derivative.
TEXT ·geluAVX2(SB), NOSPLIT, $0-24
	MOVQ y+0(FP), DI
	MOVQ aux+8(FP), SI
	MOVQ n+16(FP), CX

geluloop:
	VMOVUPS (DI), Y0           // x
	VMULPS Y0, Y0, Y9          // x2
	VBROADCASTSS actc<>+100(SB), Y10
	VMULPS Y0, Y10, Y10        // k*x
	VMULPS Y9, Y10, Y10        // (k*x)*x2
	VADDPS Y10, Y0, Y10        // x + ...
	VBROADCASTSS actc<>+96(SB), Y11
	VMULPS Y10, Y11, Y10       // u = c*(...)
	TANH8(Y10, Y1, Y2, Y3, Y4, Y5, Y6)
	VBROADCASTSS actc<>+92(SB), Y11
	VMULPS Y0, Y11, Y12        // hx = 0.5*x
	VBROADCASTSS actc<>+40(SB), Y13
	VADDPS Y10, Y13, Y14       // 1+t
	VMULPS Y14, Y12, Y15       // y = hx*(1+t)
	VMOVUPS Y15, (DI)
	TESTQ SI, SI
	JZ gelunext
	VMULPS Y14, Y11, Y14       // 0.5*(1+t)
	VMULPS Y10, Y10, Y10       // t*t
	VSUBPS Y10, Y13, Y10       // 1 - t*t
	VMULPS Y10, Y12, Y10       // hx*(1-t*t)
	VBROADCASTSS actc<>+96(SB), Y11
	VMULPS Y11, Y10, Y10       // ·c
	VBROADCASTSS actc<>+104(SB), Y11
	VMULPS Y9, Y11, Y11        // 3k·x2
	VADDPS Y11, Y13, Y11       // 1 + 3k·x2
	VMULPS Y11, Y10, Y10
	VADDPS Y10, Y14, Y14       // dy
	VMOVUPS Y14, (SI)
	ADDQ $32, SI

gelunext:
	ADDQ $32, DI
	SUBQ $8, CX
	JNZ geluloop
	VZEROUPPER
	RET

// func leakyBiasAVX2(y, b *float32, rows, cols, n int, slope float32)
//
// v = y[r][j]+b[j]; y[r][j] = v < 0 ? v*slope : v, for j < n.
TEXT ·leakyBiasAVX2(SB), NOSPLIT, $0-44
	MOVQ y+0(FP), DI
	MOVQ b+8(FP), SI
	MOVQ rows+16(FP), R8
	MOVQ cols+24(FP), R9
	MOVQ n+32(FP), R10
	VBROADCASTSS slope+40(FP), Y4
	SHLQ $2, R9
	VXORPS Y0, Y0, Y0

leakyrow:
	MOVQ DI, AX
	MOVQ SI, BX
	MOVQ R10, CX

leakycol:
	VMOVUPS (AX), Y1
	VADDPS (BX), Y1, Y1
	VMULPS Y4, Y1, Y2          // v*slope
	VCMPPS $0x11, Y0, Y1, Y3   // v < 0
	VBLENDVPS Y3, Y2, Y1, Y1
	VMOVUPS Y1, (AX)
	ADDQ $32, AX
	ADDQ $32, BX
	SUBQ $8, CX
	JNZ leakycol
	ADDQ R9, DI
	DECQ R8
	JNZ leakyrow
	VZEROUPPER
	RET

// func leakyBackwardAVX2(dy, y, db *float32, rows, cols, n int, slope float32)
//
// d = y[r][j] > 0 ? dy[r][j] : dy[r][j]*slope; dy[r][j] = d; db[j] += d,
// for j < n, rows in order.
TEXT ·leakyBackwardAVX2(SB), NOSPLIT, $0-52
	MOVQ dy+0(FP), DI
	MOVQ y+8(FP), SI
	MOVQ db+16(FP), DX
	MOVQ rows+24(FP), R8
	MOVQ cols+32(FP), R9
	MOVQ n+40(FP), R10
	VBROADCASTSS slope+48(FP), Y4
	SHLQ $2, R9
	VXORPS Y0, Y0, Y0

lbackrow:
	MOVQ DI, AX
	MOVQ SI, BX
	MOVQ DX, R11
	MOVQ R10, CX

lbackcol:
	VMOVUPS (AX), Y1           // dy
	VMULPS Y4, Y1, Y2          // dy*slope
	VMOVUPS (BX), Y3
	VCMPPS $0x1e, Y0, Y3, Y3   // y > 0
	VBLENDVPS Y3, Y1, Y2, Y1
	VMOVUPS Y1, (AX)
	VADDPS (R11), Y1, Y1
	VMOVUPS Y1, (R11)
	ADDQ $32, AX
	ADDQ $32, BX
	ADDQ $32, R11
	SUBQ $8, CX
	JNZ lbackcol
	ADDQ R9, DI
	ADDQ R9, SI
	DECQ R8
	JNZ lbackrow
	VZEROUPPER
	RET
