//go:build ignore

// gemm_asm_gen writes gemm_amd64.s, the AVX2+FMA micro-kernel of Sgemm.
// Run it with go generate (see gemm_amd64.go).
//
// The kernel is one function with a loop for every combination of
//
//   - the columns of the tile to compute: all 16 (full), 8 < n < 16 (wide:
//     the right half of B̂ is loaded under a mask) or n ≤ 8 (narrow: the
//     left half under a mask, the right half skipped), so that a partial
//     panel of B is never read past its last column;
//   - how Â is addressed: strided (six values 4 bytes apart per step, steps
//     sa apart: packed panels and Aᵀ in place) or rows (six rows sa apart,
//     steps 4 bytes apart: A in place);
//   - the number of rows, 1 to 6, so that an edge tile does no wasted FMAs.
//
// Loops with fewer than eight independent FMA chains accumulate odd steps
// into a second set of registers to hide the FMA latency.
package main

import (
	"bytes"
	"fmt"
	"log"
	"os"
)

var buf bytes.Buffer

func p(format string, args ...any) { fmt.Fprintf(&buf, format+"\n", args...) }

// mem formats a memory operand: disp(base)(index*scale).
func mem(disp int, base, index string) string {
	d := ""
	if disp != 0 {
		d = fmt.Sprint(disp)
	}
	if index == "" {
		return fmt.Sprintf("%s(%s)", d, base)
	}
	return fmt.Sprintf("%s(%s)(%s)", d, base, index)
}

// stepIndex is the index register term of step s (0..3) of an unrolled
// iteration when steps are R8 (Â) or R9 (B̂) bytes apart; R11 and R12 hold
// three times those strides.
func stepIndex(s int, stride, stride3 string) string {
	return [...]string{"", stride + "*1", stride + "*2", stride3 + "*1"}[s]
}

// aAddr is the address of row r of Â at step s of an iteration.
func aAddr(amode string, s, r int) string {
	if amode == "s" { // rows 4 bytes apart, steps R8 apart
		return mem(4*r, "AX", stepIndex(s, "R8", "R11"))
	}
	// rows R8 apart (rows 0-3 from AX, 4-5 from SI), steps 4 bytes apart
	base, idx := "AX", [...]string{"", "R8*1", "R8*2", "R11*1"}
	if r >= 4 {
		base, r = "SI", r-4
	}
	return mem(4*s, base, idx[r])
}

// second returns the first register of the second accumulator set of a
// loop, or -1 if it has enough chains. Row r accumulates into Y(2r) and
// Y(2r+1); the second set is Y(2r+1) for narrow tiles (which use one
// register per row) and Y(6+2r), Y(7+2r) for tiles of three rows or fewer.
func second(mode string, rows int) int {
	switch {
	case mode == "narrow":
		return 1
	case rows <= 3:
		return 6
	}
	return -1
}

// step emits one step of rows rows: load B̂, broadcast each row of Â and
// multiply-add into the accumulators starting at acc.
func step(mode, amode string, s, rows, acc int, bAddr func(disp int) string) {
	switch mode {
	case "full":
		p("\tVMOVUPS %s, Y12", bAddr(0))
		p("\tVMOVUPS %s, Y13", bAddr(32))
	case "wide":
		p("\tVMOVUPS %s, Y12", bAddr(0))
		p("\tVMASKMOVPS %s, Y15, Y13", bAddr(32))
	case "narrow":
		p("\tVMASKMOVPS %s, Y15, Y12", bAddr(0))
	}
	for r := 0; r < rows; r++ {
		y := "Y14"
		if mode == "full" && r%2 == 1 {
			y = "Y15"
		}
		p("\tVBROADCASTSS %s, %s", aAddr(amode, s, r), y)
		if mode == "narrow" {
			p("\tVFMADD231PS Y12, %s, Y%d", y, acc+2*r)
			continue
		}
		p("\tVFMADD231PS Y12, %s, Y%d", y, acc+2*r)
		p("\tVFMADD231PS Y13, %s, Y%d", y, acc+2*r+1)
	}
}

// loop emits the k loop of one variant, four steps per iteration, then a
// jump to the store.
func loop(mode, amode string, rows int) {
	lbl := fmt.Sprintf("%s%s%d", mode, amode, rows)
	sec := second(mode, rows)
	p("%s:", lbl)
	p("\tMOVQ CX, R13")
	p("\tSHRQ $2, R13")
	p("\tJZ   %stail", lbl)
	p("")
	p("%sloop4:", lbl)
	for s := 0; s < 4; s++ {
		acc := 0
		if sec >= 0 && s%2 == 1 {
			acc = sec
		}
		step(mode, amode, s, rows, acc, func(disp int) string { return mem(disp, "BX", stepIndex(s, "R9", "R12")) })
	}
	if amode == "s" {
		p("\tLEAQ (AX)(R8*4), AX")
	} else {
		p("\tADDQ $16, AX")
		p("\tADDQ $16, SI")
	}
	p("\tLEAQ (BX)(R9*4), BX")
	p("\tDECQ R13")
	p("\tJNZ  %sloop4", lbl)
	p("")
	p("%stail:", lbl)
	p("\tANDQ $3, CX")
	p("\tJZ   %sdone", lbl)
	p("")
	p("%sloop1:", lbl)
	step(mode, amode, 0, rows, 0, func(disp int) string { return mem(disp, "BX", "") })
	if amode == "s" {
		p("\tADDQ R8, AX")
	} else {
		p("\tADDQ $4, AX")
		p("\tADDQ $4, SI")
	}
	p("\tADDQ R9, BX")
	p("\tDECQ CX")
	p("\tJNZ  %sloop1", lbl)
	p("")
	p("%sdone:", lbl)
	if sec >= 0 {
		for r := 0; r < rows; r++ {
			if mode == "narrow" {
				p("\tVADDPS Y%d, Y%d, Y%d", 2*r+1, 2*r, 2*r)
				continue
			}
			p("\tVADDPS Y%d, Y%d, Y%d", sec+2*r, 2*r, 2*r)
			p("\tVADDPS Y%d, Y%d, Y%d", sec+2*r+1, 2*r+1, 2*r+1)
		}
	}
	p("\tJMP  store")
	p("")
}

// dispatch jumps on the row count in R14 to prefix1..prefix6.
func dispatch(prefix string) {
	p("\tCMPQ R14, $4")
	p("\tJEQ  %s4", prefix)
	p("\tJGT  %s5x", prefix)
	p("\tCMPQ R14, $2")
	p("\tJEQ  %s2", prefix)
	p("\tJGT  %s3", prefix)
	p("\tJMP  %s1", prefix)
	p("%s5x:", prefix)
	p("\tCMPQ R14, $6")
	p("\tJEQ  %s6", prefix)
	p("\tJMP  %s5", prefix)
	p("")
}

// stores emits the store of up to six rows (R14 of them) with row(r).
func stores(label string, row func(r int)) {
	p("%s:", label)
	for r := 0; r < 6; r++ {
		row(r)
		if r < 5 {
			p("\tDECQ R14")
			p("\tJZ   ret")
			p("\tADDQ R10, DX")
		}
	}
	p("\tJMP  ret")
	p("")
}

// panelStep emits one step of a full 6×16 tile of the panel kernel: load
// B̂ from BX (stored to R15 too when copies ≥ 1, and the next sixteen
// columns copied to off bytes further when copies is 2), then broadcast
// each row of Â and multiply-add.
func panelStep(amode string, s, copies int, off string, bAddr func(disp int) string) {
	p("\tVMOVUPS %s, Y12", bAddr(0))
	p("\tVMOVUPS %s, Y13", bAddr(32))
	if copies >= 1 {
		p("\tVMOVUPS Y12, %s", mem(64*s, "R15", ""))
		p("\tVMOVUPS Y13, %s", mem(64*s+32, "R15", ""))
	}
	if copies == 2 {
		p("\tVMOVUPS %s, Y14", bAddr(64))
		p("\tVMOVUPS Y14, %s", mem(64*s, "R15", off+"*1"))
		p("\tVMOVUPS %s, Y15", bAddr(96))
		p("\tVMOVUPS Y15, %s", mem(64*s+32, "R15", off+"*1"))
	}
	for r := 0; r < 6; r++ {
		y := "Y14"
		if r%2 == 1 {
			y = "Y15"
		}
		p("\tVBROADCASTSS %s, %s", aAddr(amode, s, r), y)
		p("\tVFMADD231PS Y12, %s, Y%d", y, 2*r)
		p("\tVFMADD231PS Y13, %s, Y%d", y, 2*r+1)
	}
}

// panelLoop emits the k loop of a full tile of the panel kernel, four
// steps per iteration, then a jump to its store. The tile copies B̂ to
// copies micro-panels of pb (0, 1 or 2) as it goes.
func panelLoop(amode string, copies int) {
	lbl := [...]string{"p", "pc", "pd"}[copies] + amode
	p("%s:", lbl)
	p("\tMOVQ CX, R13")
	if copies == 2 {
		p("\tSHLQ $6, CX // the second micro-panel of pb is 64*k bytes on")
	}
	p("\tSHRQ $2, R13")
	p("\tJZ   %stail", lbl)
	p("")
	p("%sloop4:", lbl)
	for s := 0; s < 4; s++ {
		panelStep(amode, s, copies, "CX", func(disp int) string { return mem(disp, "BX", stepIndex(s, "R9", "R12")) })
	}
	if amode == "s" {
		p("\tLEAQ (AX)(R8*4), AX")
	} else {
		p("\tADDQ $16, AX")
		p("\tADDQ $16, SI")
	}
	p("\tLEAQ (BX)(R9*4), BX")
	if copies > 0 {
		p("\tADDQ $256, R15")
	}
	p("\tDECQ R13")
	p("\tJNZ  %sloop4", lbl)
	p("")
	p("%stail:", lbl)
	if copies == 2 {
		p("\tMOVQ k+0(FP), R13")
		p("\tSHLQ $6, R13")
	}
	p("\tMOVQ k+0(FP), CX")
	p("\tANDQ $3, CX")
	p("\tJZ   %sdone", lbl)
	p("")
	p("%sloop1:", lbl)
	panelStep(amode, 0, copies, "R13", func(disp int) string { return mem(disp, "BX", "") })
	if amode == "s" {
		p("\tADDQ R8, AX")
	} else {
		p("\tADDQ $4, AX")
		p("\tADDQ $4, SI")
	}
	p("\tADDQ R9, BX")
	if copies > 0 {
		p("\tADDQ $64, R15")
	}
	p("\tDECQ CX")
	p("\tJNZ  %sloop1", lbl)
	p("")
	p("%sdone:", lbl)
	if copies > 0 {
		p("\tJMP  pcopied")
	} else {
		p("\tJMP  pstore")
	}
	p("")
}

// panel emits sgemmPanel6x16, which runs the full-tile loop of the kernel
// down a column of tiles of C, so that the driver makes one call per
// micro-panel of B instead of one per tile, and can pack that micro-panel
// while the first tile uses it.
func panel() {
	p(`// func sgemmPanel6x16(k int, a *float32, sa int, ta int, rowsA bool, b *float32, sb int, pb *float32, c *float32, ldc int, tiles int, alpha float32, beta float32, pbn int)
//
// Sets tiles full 6×16 tiles of C, one under the other (tile t at
// c+6*t*ldc), to alpha*Â_t*B̂ + beta*C over k ≥ 1 steps, where Â_t starts at
// a+t*ta and is read as by sgemmKernel6x16. B̂ is read at b with steps sb
// apart; if pb is not nil, the first tile also copies each step of B̂ to
// pb+16*p and the other tiles read B̂ from there, and if pbn is 2, it also
// copies the next sixteen columns of b to pb+16*k+16*p: the next
// micro-panel, packed. Strides in float32s. Requires AVX2 and FMA3.
TEXT ·sgemmPanel6x16(SB), NOSPLIT, $0-104
	MOVQ tiles+80(FP), R14
	TESTQ R14, R14
	JZ   pret
	MOVQ a+8(FP), DI
	MOVQ sa+16(FP), R8
	MOVQ b+40(FP), BX
	MOVQ sb+48(FP), R9
	MOVQ c+64(FP), DX
	MOVQ ldc+72(FP), R10
	SHLQ $2, R8
	SHLQ $2, R9
	SHLQ $2, R10
	LEAQ (R8)(R8*2), R11 // 3*sa bytes
	LEAQ (R9)(R9*2), R12 // 3*sb bytes
	MOVQ BX, R15         // B̂ of the tiles after the first
	MOVQ pb+56(FP), R13
	TESTQ R13, R13
	JZ   ptile

	// The first tile reads B̂ in place and copies it to pb.
	MOVQ R13, R15
	CMPQ pbn+96(FP), $2
	JEQ  pdsetup`)
	tileSetup := func(next string) {
		p("\tMOVQ DI, AX")
		p("\tLEAQ (AX)(R8*4), SI // row 4 of Â when rowsA")
		p("\tMOVQ DX, CX         // bring the C tile towards L1")
		p("\tPREFETCHT0 (CX)")
		p("\tPREFETCHT0 (CX)(R10*1)")
		p("\tPREFETCHT0 (CX)(R10*2)")
		p("\tLEAQ (CX)(R10*2), CX")
		p("\tPREFETCHT0 (CX)(R10*1)")
		p("\tPREFETCHT0 (CX)(R10*2)")
		p("\tLEAQ (CX)(R10*2), CX")
		p("\tPREFETCHT0 (CX)(R10*1)")
		for i := 0; i < 12; i++ {
			p("\tVXORPS Y%d, Y%d, Y%d", i, i, i)
		}
		p("\tMOVQ k+0(FP), CX")
		p("\tMOVBLZX rowsA+32(FP), R13")
		p("\tTESTL R13, R13")
		p("\tJNZ  %sr", next)
		p("\tJMP  %ss", next)
		p("")
	}
	tileSetup("pc")
	p("pdsetup:")
	tileSetup("pd")
	p("ptile:")
	p("\tMOVQ R15, BX")
	tileSetup("p")
	for copies := range 3 {
		for _, amode := range []string{"s", "r"} {
			panelLoop(amode, copies)
		}
	}
	p(`pcopied:
	// The other tiles read the copy.
	MOVQ pb+56(FP), R15
	MOVQ $64, R9
	MOVQ $192, R12

pstore:
	VBROADCASTSS alpha+88(FP), Y12
	VBROADCASTSS beta+92(FP), Y13`)
	for i := 0; i < 12; i++ {
		p("\tVMULPS Y12, Y%d, Y%d", i, i)
	}
	p(`	MOVL beta+92(FP), R13
	ANDL $0x7fffffff, R13 // zero: beta is ±0
	JZ   pnobeta`)
	prow := func(beta bool) {
		for r := 0; r < 6; r++ {
			idx := [...]string{"", "R10*1", "R10*2"}[r%3]
			if beta {
				p("\tVFMADD231PS %s, Y13, Y%d", mem(0, "DX", idx), 2*r)
				p("\tVFMADD231PS %s, Y13, Y%d", mem(32, "DX", idx), 2*r+1)
			}
			p("\tVMOVUPS Y%d, %s", 2*r, mem(0, "DX", idx))
			p("\tVMOVUPS Y%d, %s", 2*r+1, mem(32, "DX", idx))
			if r%3 == 2 {
				p("\tLEAQ (DX)(R10*2), DX")
				p("\tADDQ R10, DX")
			}
		}
	}
	prow(true)
	p("	JMP  pnext")
	p("pnobeta:")
	prow(false)
	p(`pnext:
	MOVQ ta+24(FP), R13
	LEAQ (DI)(R13*4), DI
	DECQ R14
	JNZ  ptile

pret:
	VZEROUPPER
	RET`)
}

func main() {
	p("// Code generated by gemm_asm_gen.go; DO NOT EDIT.")
	p("")
	p("//go:build !purego")
	p("")
	p(`#include "textflag.h"`)
	p("")
	p("// maskTable<> holds sixteen all-ones then sixteen zero words: the 8 words")
	p("// at index 16-n enable the first n lanes.")
	for i := 0; i < 32; i++ {
		v := "0xffffffff"
		if i >= 16 {
			v = "0"
		}
		p("DATA maskTable<>+%d(SB)/4, $%s", 4*i, v)
	}
	p("GLOBL maskTable<>(SB), RODATA|NOPTR, $128")
	p("")
	p(`// func sgemmKernel6x16(k int, a *float32, sa int, rowsA bool, b *float32, sb int, c *float32, ldc int, m int, n int, alpha float32, beta float32)
//
// Sets the top-left m×n corner (1 ≤ m ≤ 6, 1 ≤ n ≤ 16) of the 6×16 tile C,
// rows ldc apart, to alpha*Â*B̂ + beta*C over k ≥ 1 steps. Step p reads the
// six values of Â at a+p*sa, or, if rowsA, the first m rows of Â at a+p
// with rows sa apart; and the first n of the sixteen values of B̂ at
// b+p*sb (strides in float32s; columns of B̂ past n are not read). C is not
// read when beta is ±0, nor written outside the corner. Requires AVX2 and
// FMA3.
//
// Registers: Y0..Y11 accumulate C (row r in Y(2r), Y(2r+1)); Y12, Y13 hold
// a step of B̂; Y14 and Y15 take broadcasts of Â, or Y15 holds the mask of
// the partial half of B̂ and C when n < 16.
TEXT ·sgemmKernel6x16(SB), NOSPLIT, $0-88
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ sa+16(FP), R8
	MOVQ b+32(FP), BX
	MOVQ sb+40(FP), R9
	MOVQ c+48(FP), DX
	MOVQ ldc+56(FP), R10
	MOVQ m+64(FP), R14
	MOVQ n+72(FP), R15
	SHLQ $2, R8
	SHLQ $2, R9
	SHLQ $2, R10
	LEAQ (R8)(R8*2), R11 // 3*sa bytes
	LEAQ (R9)(R9*2), R12 // 3*sb bytes
	LEAQ (AX)(R8*4), SI  // row 4 of Â when rowsA

	// Bring the C tile towards L1 while the products run.
	MOVQ DX, DI
	PREFETCHT0 (DI)
	PREFETCHT0 (DI)(R10*1)
	PREFETCHT0 (DI)(R10*2)
	LEAQ (DI)(R10*2), DI
	PREFETCHT0 (DI)(R10*1)
	PREFETCHT0 (DI)(R10*2)
	LEAQ (DI)(R10*2), DI
	PREFETCHT0 (DI)(R10*1)
`)
	for i := 0; i < 12; i++ {
		p("\tVXORPS Y%d, Y%d, Y%d", i, i, i)
	}
	p(`
	// Y15 = mask of the partial half: lanes < n-8 (wide) or < n (narrow).
	LEAQ maskTable<>(SB), DI
	MOVQ $16, R13
	SUBQ R15, R13
	CMPQ R15, $16
	JEQ  full
	CMPQ R15, $8
	JLE  narrow
	VMOVUPS 32(DI)(R13*4), Y15
	MOVBLZX rowsA+24(FP), DI
	TESTL DI, DI
	JNZ  wider`)
	dispatch("wides")
	p("wider:")
	dispatch("wider")
	p("narrow:")
	p("\tVMOVUPS (DI)(R13*4), Y15")
	p("\tMOVBLZX rowsA+24(FP), DI")
	p("\tTESTL DI, DI")
	p("\tJNZ  narrowr")
	dispatch("narrows")
	p("narrowr:")
	dispatch("narrowr")
	p("full:")
	p("\tMOVBLZX rowsA+24(FP), DI")
	p("\tTESTL DI, DI")
	p("\tJNZ  fullr")
	dispatch("fulls")
	p("fullr:")
	dispatch("fullr")

	for _, mode := range []string{"full", "wide", "narrow"} {
		for _, amode := range []string{"s", "r"} {
			for rows := 6; rows >= 1; rows-- {
				loop(mode, amode, rows)
			}
		}
	}

	p("store:")
	p("\tVBROADCASTSS alpha+80(FP), Y12")
	p("\tVBROADCASTSS beta+84(FP), Y13")
	for i := 0; i < 12; i++ {
		p("\tVMULPS Y12, Y%d, Y%d", i, i)
	}
	p(`	MOVQ m+64(FP), R14
	MOVL beta+84(FP), SI
	ANDL $0x7fffffff, SI // SI == 0: beta is ±0
	CMPQ R15, $16
	JNE  storeedge
	TESTL SI, SI
	JZ   fullnobeta
`)
	stores("fullbeta", func(r int) {
		p("\tVFMADD231PS (DX), Y13, Y%d", 2*r)
		p("\tVFMADD231PS 32(DX), Y13, Y%d", 2*r+1)
		p("\tVMOVUPS Y%d, (DX)", 2*r)
		p("\tVMOVUPS Y%d, 32(DX)", 2*r+1)
	})
	stores("fullnobeta", func(r int) {
		p("\tVMOVUPS Y%d, (DX)", 2*r)
		p("\tVMOVUPS Y%d, 32(DX)", 2*r+1)
	})
	p(`storeedge:
	CMPQ R15, $8
	JLE  storenarrow
	TESTL SI, SI
	JZ   widenobeta
`)
	stores("widebeta", func(r int) {
		p("\tVFMADD231PS (DX), Y13, Y%d", 2*r)
		p("\tVMOVUPS Y%d, (DX)", 2*r)
		p("\tVMASKMOVPS 32(DX), Y15, Y12")
		p("\tVFMADD231PS Y12, Y13, Y%d", 2*r+1)
		p("\tVMASKMOVPS Y%d, Y15, 32(DX)", 2*r+1)
	})
	stores("widenobeta", func(r int) {
		p("\tVMOVUPS Y%d, (DX)", 2*r)
		p("\tVMASKMOVPS Y%d, Y15, 32(DX)", 2*r+1)
	})
	p(`storenarrow:
	TESTL SI, SI
	JZ   narrownobeta
`)
	stores("narrowbeta", func(r int) {
		p("\tVMASKMOVPS (DX), Y15, Y12")
		p("\tVFMADD231PS Y12, Y13, Y%d", 2*r)
		p("\tVMASKMOVPS Y%d, Y15, (DX)", 2*r)
	})
	stores("narrownobeta", func(r int) {
		p("\tVMASKMOVPS Y%d, Y15, (DX)", 2*r)
	})
	p("ret:")
	p("\tVZEROUPPER")
	p("\tRET")

	p("")
	panel()

	if err := os.WriteFile("gemm_amd64.s", buf.Bytes(), 0o666); err != nil {
		log.Fatal(err)
	}
}
