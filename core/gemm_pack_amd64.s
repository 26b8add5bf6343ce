//go:build !purego

#include "textflag.h"

// Packing routines of the AVX2 kernel: each fills one full micro-panel.

// func packA6N(k int, a *float32, lda int, dst *float32)
//
// dst[p*6+i] = a[i*lda+p] for i < 6 and p < k&^3: six rows of A, transposed
// four columns at a time. The caller packs the last k&3 columns.
TEXT ·packA6N(SB), NOSPLIT, $0-32
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R9
	MOVQ dst+24(FP), DI
	SHLQ $2, R9
	LEAQ (R9)(R9*2), R10    // 3 rows
	LEAQ (SI)(R9*4), R11    // row 4
	SHRQ $2, CX
	JZ   done

loop:
	VMOVUPS (SI), X0
	VMOVUPS (SI)(R9*1), X1
	VMOVUPS (SI)(R9*2), X2
	VMOVUPS (SI)(R10*1), X3
	VMOVUPS (R11), X4
	VMOVUPS (R11)(R9*1), X5
	VUNPCKLPS X1, X0, X6    // r0p0 r1p0 r0p1 r1p1
	VUNPCKHPS X1, X0, X7    // r0p2 r1p2 r0p3 r1p3
	VUNPCKLPS X3, X2, X8    // r2p0 r3p0 r2p1 r3p1
	VUNPCKHPS X3, X2, X9    // r2p2 r3p2 r2p3 r3p3
	VUNPCKLPS X5, X4, X10   // r4p0 r5p0 r4p1 r5p1
	VUNPCKHPS X5, X4, X11   // r4p2 r5p2 r4p3 r5p3
	VSHUFPS $0x44, X8, X6, X0 // r0p0 r1p0 r2p0 r3p0
	VSHUFPS $0xEE, X8, X6, X1 // r0p1 r1p1 r2p1 r3p1
	VSHUFPS $0x44, X9, X7, X2
	VSHUFPS $0xEE, X9, X7, X3
	VMOVUPS X0, (DI)
	VMOVLPS X10, 16(DI)
	VMOVUPS X1, 24(DI)
	VMOVHPS X10, 40(DI)
	VMOVUPS X2, 48(DI)
	VMOVLPS X11, 64(DI)
	VMOVUPS X3, 72(DI)
	VMOVHPS X11, 88(DI)
	ADDQ $16, SI
	ADDQ $16, R11
	ADDQ $96, DI
	DECQ CX
	JNZ  loop

done:
	RET

// func packA6T(k int, a *float32, lda int, dst *float32)
//
// dst[p*6+i] = a[p*lda+i] for i < 6 and p < k: six columns of A stored
// transposed, one row of the storage per step.
TEXT ·packA6T(SB), NOSPLIT, $0-32
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R9
	MOVQ dst+24(FP), DI
	SHLQ $2, R9
	TESTQ CX, CX
	JZ   done

loop:
	VMOVUPS (SI), X0
	MOVQ    16(SI), AX
	VMOVUPS X0, (DI)
	MOVQ    AX, 16(DI)
	ADDQ R9, SI
	ADDQ $24, DI
	DECQ CX
	JNZ  loop

done:
	RET

// func packB16N(k int, b *float32, ldb int, panels int, dst *float32, pstride int)
//
// dst[q*pstride + p*16 + j] = b[p*ldb + q*16 + j] for j < 16, q < panels
// and p < k: panels micro-panels of sixteen columns of B, filled one row of
// the storage at a time, so that B is read in order (which the hardware
// prefetchers follow) rather than sixteen columns down at a time.
TEXT ·packB16N(SB), NOSPLIT, $0-48
	MOVQ k+0(FP), CX
	MOVQ b+8(FP), SI
	MOVQ ldb+16(FP), R9
	MOVQ panels+24(FP), R8
	MOVQ dst+32(FP), DI
	MOVQ pstride+40(FP), R10
	SHLQ $2, R9
	SHLQ $2, R10
	TESTQ CX, CX
	JZ   done
	TESTQ R8, R8
	JZ   done

row:
	MOVQ SI, R11
	MOVQ DI, R12
	MOVQ R8, R13
panel:
	VMOVUPS (R11), Y0
	VMOVUPS 32(R11), Y1
	VMOVUPS Y0, (R12)
	VMOVUPS Y1, 32(R12)
	ADDQ $64, R11
	ADDQ R10, R12
	DECQ R13
	JNZ  panel
	ADDQ R9, SI
	ADDQ $64, DI
	DECQ CX
	JNZ  row

done:
	VZEROUPPER
	RET

// func packB16T(k int, b *float32, ldb int, dst *float32)
//
// dst[p*16+j] = b[j*ldb+p] for j < 16 and p < k&^7: sixteen rows of the
// storage of B, transposed in 8×8 blocks. The caller packs the last k&7
// steps.
TEXT ·packB16T(SB), NOSPLIT, $0-32
	MOVQ k+0(FP), CX
	MOVQ b+8(FP), SI
	MOVQ ldb+16(FP), R9
	MOVQ dst+24(FP), DI
	SHLQ $2, R9
	LEAQ (R9)(R9*2), R10    // 3 rows
	SHRQ $3, CX
	JZ   done

loop:
	MOVQ SI, R11            // rows 0..3 from R11, 4..7 from R12
	LEAQ (SI)(R9*4), R12
	MOVQ DI, R13

	VMOVUPS (R11), Y0
	VMOVUPS (R11)(R9*1), Y1
	VMOVUPS (R11)(R9*2), Y2
	VMOVUPS (R11)(R10*1), Y3
	VMOVUPS (R12), Y4
	VMOVUPS (R12)(R9*1), Y5
	VMOVUPS (R12)(R9*2), Y6
	VMOVUPS (R12)(R10*1), Y7
	VUNPCKLPS Y1, Y0, Y8
	VUNPCKHPS Y1, Y0, Y9
	VUNPCKLPS Y3, Y2, Y10
	VUNPCKHPS Y3, Y2, Y11
	VUNPCKLPS Y5, Y4, Y12
	VUNPCKHPS Y5, Y4, Y13
	VUNPCKLPS Y7, Y6, Y14
	VUNPCKHPS Y7, Y6, Y15
	VSHUFPS $0x44, Y10, Y8, Y0   // p0 rows 0-3 | p4 rows 0-3
	VSHUFPS $0xEE, Y10, Y8, Y1   // p1 | p5
	VSHUFPS $0x44, Y11, Y9, Y2   // p2 | p6
	VSHUFPS $0xEE, Y11, Y9, Y3   // p3 | p7
	VSHUFPS $0x44, Y14, Y12, Y4  // p0 rows 4-7 | p4 rows 4-7
	VSHUFPS $0xEE, Y14, Y12, Y5
	VSHUFPS $0x44, Y15, Y13, Y6
	VSHUFPS $0xEE, Y15, Y13, Y7
	VPERM2F128 $0x20, Y4, Y0, Y8
	VPERM2F128 $0x20, Y5, Y1, Y9
	VPERM2F128 $0x20, Y6, Y2, Y10
	VPERM2F128 $0x20, Y7, Y3, Y11
	VPERM2F128 $0x31, Y4, Y0, Y12
	VPERM2F128 $0x31, Y5, Y1, Y13
	VPERM2F128 $0x31, Y6, Y2, Y14
	VPERM2F128 $0x31, Y7, Y3, Y15
	VMOVUPS Y8, 0(R13)
	VMOVUPS Y9, 64(R13)
	VMOVUPS Y10, 128(R13)
	VMOVUPS Y11, 192(R13)
	VMOVUPS Y12, 256(R13)
	VMOVUPS Y13, 320(R13)
	VMOVUPS Y14, 384(R13)
	VMOVUPS Y15, 448(R13)

	LEAQ (R12)(R9*4), R11   // rows 8..15
	LEAQ (R11)(R9*4), R12
	ADDQ $32, R13

	VMOVUPS (R11), Y0
	VMOVUPS (R11)(R9*1), Y1
	VMOVUPS (R11)(R9*2), Y2
	VMOVUPS (R11)(R10*1), Y3
	VMOVUPS (R12), Y4
	VMOVUPS (R12)(R9*1), Y5
	VMOVUPS (R12)(R9*2), Y6
	VMOVUPS (R12)(R10*1), Y7
	VUNPCKLPS Y1, Y0, Y8
	VUNPCKHPS Y1, Y0, Y9
	VUNPCKLPS Y3, Y2, Y10
	VUNPCKHPS Y3, Y2, Y11
	VUNPCKLPS Y5, Y4, Y12
	VUNPCKHPS Y5, Y4, Y13
	VUNPCKLPS Y7, Y6, Y14
	VUNPCKHPS Y7, Y6, Y15
	VSHUFPS $0x44, Y10, Y8, Y0   // p0 rows 0-3 | p4 rows 0-3
	VSHUFPS $0xEE, Y10, Y8, Y1   // p1 | p5
	VSHUFPS $0x44, Y11, Y9, Y2   // p2 | p6
	VSHUFPS $0xEE, Y11, Y9, Y3   // p3 | p7
	VSHUFPS $0x44, Y14, Y12, Y4  // p0 rows 4-7 | p4 rows 4-7
	VSHUFPS $0xEE, Y14, Y12, Y5
	VSHUFPS $0x44, Y15, Y13, Y6
	VSHUFPS $0xEE, Y15, Y13, Y7
	VPERM2F128 $0x20, Y4, Y0, Y8
	VPERM2F128 $0x20, Y5, Y1, Y9
	VPERM2F128 $0x20, Y6, Y2, Y10
	VPERM2F128 $0x20, Y7, Y3, Y11
	VPERM2F128 $0x31, Y4, Y0, Y12
	VPERM2F128 $0x31, Y5, Y1, Y13
	VPERM2F128 $0x31, Y6, Y2, Y14
	VPERM2F128 $0x31, Y7, Y3, Y15
	VMOVUPS Y8, 0(R13)
	VMOVUPS Y9, 64(R13)
	VMOVUPS Y10, 128(R13)
	VMOVUPS Y11, 192(R13)
	VMOVUPS Y12, 256(R13)
	VMOVUPS Y13, 320(R13)
	VMOVUPS Y14, 384(R13)
	VMOVUPS Y15, 448(R13)

	ADDQ $32, SI
	ADDQ $512, DI
	DECQ CX
	JNZ  loop

done:
	VZEROUPPER
	RET

// func fmaPeak(n int)
//
// fmaPeak runs n rounds of 28 VFMADD231PS on fourteen independent ymm
// accumulators: the FMA throughput that bounds any kernel, for benchmarks
// to compare with.
TEXT ·fmaPeak(SB), NOSPLIT, $0-8
	MOVQ n+0(FP), CX

	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	VXORPS Y12, Y12, Y12
	VXORPS Y13, Y13, Y13
	VXORPS Y14, Y14, Y14
	VXORPS Y15, Y15, Y15
	TESTQ CX, CX
	JZ   done

loop:
	VFMADD231PS Y14, Y15, Y0
	VFMADD231PS Y14, Y15, Y1
	VFMADD231PS Y14, Y15, Y2
	VFMADD231PS Y14, Y15, Y3
	VFMADD231PS Y14, Y15, Y4
	VFMADD231PS Y14, Y15, Y5
	VFMADD231PS Y14, Y15, Y6
	VFMADD231PS Y14, Y15, Y7
	VFMADD231PS Y14, Y15, Y8
	VFMADD231PS Y14, Y15, Y9
	VFMADD231PS Y14, Y15, Y10
	VFMADD231PS Y14, Y15, Y11
	VFMADD231PS Y14, Y15, Y12
	VFMADD231PS Y14, Y15, Y13
	VFMADD231PS Y14, Y15, Y0
	VFMADD231PS Y14, Y15, Y1
	VFMADD231PS Y14, Y15, Y2
	VFMADD231PS Y14, Y15, Y3
	VFMADD231PS Y14, Y15, Y4
	VFMADD231PS Y14, Y15, Y5
	VFMADD231PS Y14, Y15, Y6
	VFMADD231PS Y14, Y15, Y7
	VFMADD231PS Y14, Y15, Y8
	VFMADD231PS Y14, Y15, Y9
	VFMADD231PS Y14, Y15, Y10
	VFMADD231PS Y14, Y15, Y11
	VFMADD231PS Y14, Y15, Y12
	VFMADD231PS Y14, Y15, Y13
	DECQ CX
	JNZ  loop

done:
	VZEROUPPER
	RET

