//go:build ignore

// gemm_asm_gen writes the micro-kernels of Sgemm: gemm_amd64.s (AVX2 and
// FMA, a 6×16 tile) and gemm_avx512_amd64.s (AVX-512, 6×32). Run it with
// go generate (see gemm_amd64.go); -dir writes the files elsewhere, which
// the tests use to check that the committed files are its output.
//
// Each kernel is one function with a loop for every combination of
//
//   - the columns of the tile to compute (AVX2 figures; double them for
//     AVX-512): all 16 (full), 8 < n < 16 (wide: the right half of B̂ is
//     loaded under a mask) or n ≤ 8 (narrow: the left half under a mask,
//     the right half skipped), so that a partial panel of B is never read
//     past its last column;
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
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
)

var buf bytes.Buffer

func p(format string, args ...any) { fmt.Fprintf(&buf, format+"\n", args...) }

// An isa is the vector extension a kernel is written for. The two kernels
// have the same shape: six rows of two vectors, so a tile is 6×16 with
// AVX2 and 6×32 with AVX-512; partial halves are loaded and stored under a
// mask (a vector with AVX2, an opmask register with AVX-512).
type isa struct {
	file  string // the output
	v     string // vector register prefix: "Y" or "Z"
	lanes int    // float32s in a vector
	req   string // what the kernel requires, for its doc comment
}

var (
	avx2   = isa{file: "gemm_amd64.s", v: "Y", lanes: 8, req: "AVX2 and FMA3"}
	avx512 = isa{file: "gemm_avx512_amd64.s", v: "Z", lanes: 16, req: "AVX512F"}
)

// r names vector register i.
func (x isa) r(i int) string { return fmt.Sprintf("%s%d", x.v, i) }

// nr is the width of the tile; vb the bytes in a vector.
func (x isa) nr() int { return 2 * x.lanes }
func (x isa) vb() int { return 4 * x.lanes }

// tile is the tile's name in the function names, as in 6x16.
func (x isa) tile() string { return fmt.Sprintf("6x%d", x.nr()) }

// zero emits the zeroing of the first n vector registers. VXORPS of zmm
// registers needs AVX512DQ; VPXORD needs only AVX512F.
func (x isa) zero(n int) {
	op := "VXORPS"
	if x.v == "Z" {
		op = "VPXORD"
	}
	for i := 0; i < n; i++ {
		p("\t%s %s, %s, %s", op, x.r(i), x.r(i), x.r(i))
	}
}

// maskLoad loads the lanes of src under the mask into dst (zero
// elsewhere); maskStore stores the lanes of src under the mask.
func (x isa) maskLoad(src, dst string) string {
	if x.v == "Z" {
		return fmt.Sprintf("VMOVUPS.Z %s, K1, %s", src, dst)
	}
	return fmt.Sprintf("VMASKMOVPS %s, Y15, %s", src, dst)
}

func (x isa) maskStore(src, dst string) string {
	if x.v == "Z" {
		return fmt.Sprintf("VMOVUPS %s, K1, %s", src, dst)
	}
	return fmt.Sprintf("VMASKMOVPS %s, Y15, %s", src, dst)
}

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
// loop, or -1 if it has enough chains. Row r accumulates into V(2r) and
// V(2r+1); the second set is V(2r+1) for narrow tiles (which use one
// register per row) and V(6+2r), V(7+2r) for tiles of three rows or fewer.
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
func (x isa) step(mode, amode string, s, rows, acc int, bAddr func(disp int) string) {
	switch mode {
	case "full":
		p("\tVMOVUPS %s, %s", bAddr(0), x.r(12))
		p("\tVMOVUPS %s, %s", bAddr(x.vb()), x.r(13))
	case "wide":
		p("\tVMOVUPS %s, %s", bAddr(0), x.r(12))
		p("\t%s", x.maskLoad(bAddr(x.vb()), x.r(13)))
	case "narrow":
		p("\t%s", x.maskLoad(bAddr(0), x.r(12)))
	}
	for r := 0; r < rows; r++ {
		y := x.r(14)
		if mode == "full" && r%2 == 1 {
			y = x.r(15)
		}
		p("\tVBROADCASTSS %s, %s", aAddr(amode, s, r), y)
		if mode == "narrow" {
			p("\tVFMADD231PS %s, %s, %s", x.r(12), y, x.r(acc+2*r))
			continue
		}
		p("\tVFMADD231PS %s, %s, %s", x.r(12), y, x.r(acc+2*r))
		p("\tVFMADD231PS %s, %s, %s", x.r(13), y, x.r(acc+2*r+1))
	}
}

// loop emits the k loop of one variant, four steps per iteration, then a
// jump to the store.
func (x isa) loop(mode, amode string, rows int) {
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
		x.step(mode, amode, s, rows, acc, func(disp int) string { return mem(disp, "BX", stepIndex(s, "R9", "R12")) })
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
	x.step(mode, amode, 0, rows, 0, func(disp int) string { return mem(disp, "BX", "") })
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
				p("\tVADDPS %s, %s, %s", x.r(2*r+1), x.r(2*r), x.r(2*r))
				continue
			}
			p("\tVADDPS %s, %s, %s", x.r(sec+2*r), x.r(2*r), x.r(2*r))
			p("\tVADDPS %s, %s, %s", x.r(sec+2*r+1), x.r(2*r+1), x.r(2*r+1))
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

// prefetchC emits prefetches of the six rows of the C tile at reg (which
// it moves), rows R10 bytes apart: every cache line of a row when the tile
// is 16 float32s wide or more.
func (x isa) prefetchC(reg string) {
	line := func(idx string) {
		for off := 0; off < x.vb()*2; off += 64 {
			p("\tPREFETCHT0 %s", mem(off, reg, idx))
		}
	}
	line("")
	line("R10*1")
	line("R10*2")
	p("\tLEAQ (%s)(R10*2), %s", reg, reg)
	line("R10*1")
	line("R10*2")
	p("\tLEAQ (%s)(R10*2), %s", reg, reg)
	line("R10*1")
}

// panelStep emits one step of a full tile of the panel kernel: load B̂
// from BX (stored to R15 too when copies ≥ 1, and the next nr columns
// copied to off bytes further when copies is 2), then broadcast each row
// of Â and multiply-add.
func (x isa) panelStep(amode string, s, copies int, off string, bAddr func(disp int) string) {
	vb := x.vb()
	p("\tVMOVUPS %s, %s", bAddr(0), x.r(12))
	p("\tVMOVUPS %s, %s", bAddr(vb), x.r(13))
	if copies >= 1 {
		p("\tVMOVUPS %s, %s", x.r(12), mem(2*vb*s, "R15", ""))
		p("\tVMOVUPS %s, %s", x.r(13), mem(2*vb*s+vb, "R15", ""))
	}
	if copies == 2 {
		p("\tVMOVUPS %s, %s", bAddr(2*vb), x.r(14))
		p("\tVMOVUPS %s, %s", x.r(14), mem(2*vb*s, "R15", off+"*1"))
		p("\tVMOVUPS %s, %s", bAddr(3*vb), x.r(15))
		p("\tVMOVUPS %s, %s", x.r(15), mem(2*vb*s+vb, "R15", off+"*1"))
	}
	for r := 0; r < 6; r++ {
		y := x.r(14)
		if r%2 == 1 {
			y = x.r(15)
		}
		p("\tVBROADCASTSS %s, %s", aAddr(amode, s, r), y)
		p("\tVFMADD231PS %s, %s, %s", x.r(12), y, x.r(2*r))
		p("\tVFMADD231PS %s, %s, %s", x.r(13), y, x.r(2*r+1))
	}
}

// shift returns log2 of a micro-panel row's bytes.
func (x isa) shift() int {
	if x.v == "Z" {
		return 7
	}
	return 6
}

// panelLoop emits the k loop of a full tile of the panel kernel, four
// steps per iteration, then a jump to its store. The tile copies B̂ to
// copies micro-panels of pb (0, 1 or 2) as it goes.
func (x isa) panelLoop(amode string, copies int) {
	lbl := [...]string{"p", "pc", "pd"}[copies] + amode
	rowBytes := 2 * x.vb()
	p("%s:", lbl)
	p("\tMOVQ CX, R13")
	if copies == 2 {
		p("\tSHLQ $%d, CX // the second micro-panel of pb is %d*k bytes on", x.shift(), rowBytes)
	}
	p("\tSHRQ $2, R13")
	p("\tJZ   %stail", lbl)
	p("")
	p("%sloop4:", lbl)
	for s := 0; s < 4; s++ {
		x.panelStep(amode, s, copies, "CX", func(disp int) string { return mem(disp, "BX", stepIndex(s, "R9", "R12")) })
	}
	if amode == "s" {
		p("\tLEAQ (AX)(R8*4), AX")
	} else {
		p("\tADDQ $16, AX")
		p("\tADDQ $16, SI")
	}
	p("\tLEAQ (BX)(R9*4), BX")
	if copies > 0 {
		p("\tADDQ $%d, R15", 4*rowBytes)
	}
	p("\tDECQ R13")
	p("\tJNZ  %sloop4", lbl)
	p("")
	p("%stail:", lbl)
	if copies == 2 {
		p("\tMOVQ k+0(FP), R13")
		p("\tSHLQ $%d, R13", x.shift())
	}
	p("\tMOVQ k+0(FP), CX")
	p("\tANDQ $3, CX")
	p("\tJZ   %sdone", lbl)
	p("")
	p("%sloop1:", lbl)
	x.panelStep(amode, 0, copies, "R13", func(disp int) string { return mem(disp, "BX", "") })
	if amode == "s" {
		p("\tADDQ R8, AX")
	} else {
		p("\tADDQ $4, AX")
		p("\tADDQ $4, SI")
	}
	p("\tADDQ R9, BX")
	if copies > 0 {
		p("\tADDQ $%d, R15", rowBytes)
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

// panel emits sgemmPanel6xN, which runs the full-tile loop of the kernel
// down a column of tiles of C. The driver then makes one call per
// micro-panel of B instead of one per tile, and the first tile can pack
// that micro-panel while it uses it.
func (x isa) panel() {
	nr, t := x.nr(), x.tile()
	p(`// func sgemmPanel%s(k int, a *float32, sa int, ta int, rowsA bool, b *float32, sb int, pb *float32, c *float32, ldc int, tiles int, alpha float32, beta float32, pbn int)
//
// Sets tiles full 6×%d tiles of C, one under the other (tile t at
// c+6*t*ldc), to alpha*Â_t*B̂ + beta*C over k ≥ 1 steps, where Â_t starts at
// a+t*ta and is read as by sgemmKernel%s. B̂ is read at b with steps sb
// apart. If pb is not nil, the first tile also copies each step of B̂ to
// pb+%d*p and the other tiles read B̂ from there. If pbn is 2, the first
// tile also copies the next %d columns of b to pb+%d*k+%d*p: the next
// micro-panel, packed. Strides in float32s.
// Requires %s.
TEXT ·sgemmPanel%s(SB), NOSPLIT, $0-104
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
	JEQ  pdsetup`, t, nr, t, nr, nr, nr, nr, x.req, t)
	tileSetup := func(next string) {
		p("\tMOVQ DI, AX")
		p("\tLEAQ (AX)(R8*4), SI // row 4 of Â when rowsA")
		p("\tMOVQ DX, CX         // bring the C tile towards L1")
		x.prefetchC("CX")
		x.zero(12)
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
			x.panelLoop(amode, copies)
		}
	}
	p(`pcopied:
	// The other tiles read the copy.
	MOVQ pb+56(FP), R15
	MOVQ $%d, R9
	MOVQ $%d, R12

pstore:
	VBROADCASTSS alpha+88(FP), %s
	VBROADCASTSS beta+92(FP), %s`, 2*x.vb(), 6*x.vb(), x.r(12), x.r(13))
	for i := 0; i < 12; i++ {
		p("\tVMULPS %s, %s, %s", x.r(12), x.r(i), x.r(i))
	}
	p(`	MOVL beta+92(FP), R13
	ANDL $0x7fffffff, R13 // zero: beta is ±0
	JZ   pnobeta`)
	prow := func(beta bool) {
		for r := 0; r < 6; r++ {
			idx := [...]string{"", "R10*1", "R10*2"}[r%3]
			if beta {
				p("\tVFMADD231PS %s, %s, %s", mem(0, "DX", idx), x.r(13), x.r(2*r))
				p("\tVFMADD231PS %s, %s, %s", mem(x.vb(), "DX", idx), x.r(13), x.r(2*r+1))
			}
			p("\tVMOVUPS %s, %s", x.r(2*r), mem(0, "DX", idx))
			p("\tVMOVUPS %s, %s", x.r(2*r+1), mem(x.vb(), "DX", idx))
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

// masks emits the table of masks for partial halves of B̂ and C and the
// code that loads the mask of the tile's n columns (R15) or jumps to full.
func (x isa) masks() {
	if x.v == "Y" {
		p(`
	// Y15 = mask of the partial half: lanes < n-8 (wide) or < n (narrow).
	LEAQ maskTable<>(SB), DI
	MOVQ $16, R13
	SUBQ R15, R13
	CMPQ R15, $16
	JEQ  full
	CMPQ R15, $8
	JLE  narrow
	VMOVUPS 32(DI)(R13*4), Y15`)
		return
	}
	p(`
	// K1 = mask of the partial half: lanes < n-16 (wide) or < n (narrow).
	LEAQ maskBits<>(SB), DI
	CMPQ R15, $32
	JEQ  full
	CMPQ R15, $16
	JLE  narrow
	KMOVW -32(DI)(R15*2), K1`)
}

// maskTable emits the data that masks reads.
func (x isa) maskTable() {
	if x.v == "Y" {
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
		return
	}
	p("// maskBits<> holds 17 opmasks: entry n enables the first n lanes.")
	for i := 0; i <= 16; i++ {
		p("DATA maskBits<>+%d(SB)/2, $0x%04x", 2*i, 1<<i-1)
	}
	p("GLOBL maskBits<>(SB), RODATA|NOPTR, $34")
}

func (x isa) kernel() {
	nr, t, vb := x.nr(), x.tile(), x.vb()
	p("// Code generated by gemm_asm_gen.go; DO NOT EDIT.")
	p("")
	p("//go:build !purego")
	p("")
	p(`#include "textflag.h"`)
	p("")
	x.maskTable()
	p("")
	p(`// func sgemmKernel%s(k int, a *float32, sa int, rowsA bool, b *float32, sb int, c *float32, ldc int, m int, n int, alpha float32, beta float32)
//
// Sets the top-left m×n corner (1 ≤ m ≤ 6, 1 ≤ n ≤ %d) of the 6×%d tile C,
// rows ldc apart, to alpha*Â*B̂ + beta*C over k ≥ 1 steps. Step p reads the
// six values of Â at a+p*sa, or, if rowsA, the first m rows of Â at a+p
// with rows sa apart; and the first n of the %d values of B̂ at
// b+p*sb (strides in float32s; columns of B̂ past n are not read). C is not
// read when beta is ±0, nor written outside the corner.
// Requires %s.
//`, t, nr, nr, nr, x.req)
	if x.v == "Y" {
		p(`// Registers: Y0..Y11 accumulate C (row r in Y(2r), Y(2r+1)); Y12, Y13 hold
// a step of B̂; Y14 and Y15 take broadcasts of Â, or Y15 holds the mask of
// the partial half of B̂ and C when n < 16.`)
	} else {
		p(`// Registers: Z0..Z11 accumulate C (row r in Z(2r), Z(2r+1)); Z12, Z13 hold
// a step of B̂; Z14 and Z15 take broadcasts of Â; K1 holds the mask of the
// partial half of B̂ and C when n < 32.`)
	}
	p(`TEXT ·sgemmKernel%s(SB), NOSPLIT, $0-88
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
	MOVQ DX, DI`, t)
	x.prefetchC("DI")
	p("")
	x.zero(12)
	x.masks()
	p(`	MOVBLZX rowsA+24(FP), DI
	TESTL DI, DI
	JNZ  wider`)
	dispatch("wides")
	p("wider:")
	dispatch("wider")
	p("narrow:")
	if x.v == "Y" {
		p("\tVMOVUPS (DI)(R13*4), Y15")
	} else {
		p("\tKMOVW (DI)(R15*2), K1")
	}
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
				x.loop(mode, amode, rows)
			}
		}
	}

	p("store:")
	p("\tVBROADCASTSS alpha+80(FP), %s", x.r(12))
	p("\tVBROADCASTSS beta+84(FP), %s", x.r(13))
	for i := 0; i < 12; i++ {
		p("\tVMULPS %s, %s, %s", x.r(12), x.r(i), x.r(i))
	}
	p(`	MOVQ m+64(FP), R14
	MOVL beta+84(FP), SI
	ANDL $0x7fffffff, SI // SI == 0: beta is ±0
	CMPQ R15, $%d
	JNE  storeedge
	TESTL SI, SI
	JZ   fullnobeta
`, nr)
	hi := mem(vb, "DX", "")
	stores("fullbeta", func(r int) {
		p("\tVFMADD231PS (DX), %s, %s", x.r(13), x.r(2*r))
		p("\tVFMADD231PS %s, %s, %s", hi, x.r(13), x.r(2*r+1))
		p("\tVMOVUPS %s, (DX)", x.r(2*r))
		p("\tVMOVUPS %s, %s", x.r(2*r+1), hi)
	})
	stores("fullnobeta", func(r int) {
		p("\tVMOVUPS %s, (DX)", x.r(2*r))
		p("\tVMOVUPS %s, %s", x.r(2*r+1), hi)
	})
	p(`storeedge:
	CMPQ R15, $%d
	JLE  storenarrow
	TESTL SI, SI
	JZ   widenobeta
`, x.lanes)
	stores("widebeta", func(r int) {
		p("\tVFMADD231PS (DX), %s, %s", x.r(13), x.r(2*r))
		p("\tVMOVUPS %s, (DX)", x.r(2*r))
		p("\t%s", x.maskLoad(hi, x.r(12)))
		p("\tVFMADD231PS %s, %s, %s", x.r(12), x.r(13), x.r(2*r+1))
		p("\t%s", x.maskStore(x.r(2*r+1), hi))
	})
	stores("widenobeta", func(r int) {
		p("\tVMOVUPS %s, (DX)", x.r(2*r))
		p("\t%s", x.maskStore(x.r(2*r+1), hi))
	})
	p(`storenarrow:
	TESTL SI, SI
	JZ   narrownobeta
`)
	stores("narrowbeta", func(r int) {
		p("\t%s", x.maskLoad("(DX)", x.r(12)))
		p("\tVFMADD231PS %s, %s, %s", x.r(12), x.r(13), x.r(2*r))
		p("\t%s", x.maskStore(x.r(2*r), "(DX)"))
	})
	stores("narrownobeta", func(r int) {
		p("\t%s", x.maskStore(x.r(2*r), "(DX)"))
	})
	p("ret:")
	p("\tVZEROUPPER")
	p("\tRET")

	p("")
	x.panel()
}

func main() {
	dir := flag.String("dir", ".", "write the files into `dir`")
	flag.Parse()
	for _, x := range []isa{avx2, avx512} {
		buf.Reset()
		x.kernel()
		if err := os.WriteFile(filepath.Join(*dir, x.file), buf.Bytes(), 0o666); err != nil {
			log.Fatal(err)
		}
	}
}
