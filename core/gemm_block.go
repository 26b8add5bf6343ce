package core

// This file holds the cache-blocked GEMM driver shared by every micro-kernel,
// in the style of GotoBLAS and BLIS. The five loops around the micro-kernel
// are
//
//	for jc over n in steps of nc:          B block (kc×nc) packed, lives in L3
//	  for pc over k in steps of kc:
//	    for ic over m in steps of mc:      A block (mc×kc) packed, lives in L2
//	      for jr over nc in steps of nr:   B micro-panel (kc×nr), L1 or L2
//	        for ir over mc in steps of mr: micro-kernel: mr×nr tile of C
//
// Packing copies op(A) and op(B) into contiguous micro-panels, whatever the
// transposition, so that the micro-kernel streams memory in order. Panels
// are zero-padded to whole tiles. The kernel reads its operands through
// strides, so an operand can also be read where it is: op(A) = Aᵀ,
// op(B) = B, and op(A) = A for kernels that take rows. The driver does so
// when packing would not pay (see sgemm). The kernel finishes the partial
// tiles at the edges of C itself.
//
// A kernel may also have a panel function, which runs the ir loop itself
// for the full tiles of a micro-panel of B. The driver then packs B
// differently, in one of two ways.
//
// When op(B) = B, B is packed without a pass of its own. The panel's first
// tile reads the micro-panel where it is and writes the packed copy; the
// other tiles read the copy. The rows of B are far apart, so a walk down B
// costs a cache miss a row: the first tile of every other column packs the
// next micro-panel too, and each walk fetches two cache lines a row.
//
// Otherwise, when A is one block (m ≤ mc), each micro-panel is packed just
// before its column of tiles. A micro-panel then serves only its own
// column, so all of them are packed into the same place, which stays in
// L1 or L2.

// A kernel is a register-blocked micro-kernel with the cache block sizes
// that suit it.
type kernel struct {
	name   string
	mr, nr int // register tile of C
	mc, kc int // cache blocks: A block mc×kc, B micro-panel kc×nr
	nc     int
	// fn sets the top-left m×n corner (1 ≤ m ≤ mr, 1 ≤ n ≤ nr) of the
	// tile C to alpha*Â*B̂ + beta*C over k ≥ 1 steps. Step p reads the mr
	// values of Â at a[p*sa:] (or, if rowsA, column p of the mr rows of Â
	// at a[i*sa+p]) and the nr values of B̂ at b[p*sb:]. C's rows are ldc
	// apart. When beta is 0, C is not read. Nothing outside the corner is
	// written.
	fn func(k int, a []float32, sa int, rowsA bool, b []float32, sb int, c []float32, ldc, m, n int, alpha, beta float32)
	// directMaxN is the widest C for which Aᵀ is read in place instead of
	// packed, directRowsMaxN the same for A (rowsA kernels only), and
	// directMaxM the tallest C for which B is.
	directMaxN, directRowsMaxN, directMaxM int
	// partial says that fn reads no row of Â past m nor column of B̂ past
	// n, so that partial panels can be read in place too.
	partial bool
	// rowsA says that fn takes rowsA, so that A can be read in place
	// when it is not transposed.
	rowsA bool
	// panel, if not nil, does what fn does for tiles ≥ 1 full tiles down
	// a column of C. Tile t is at c[t*mr*ldc:] and its Â at a[t*ta:]. If
	// pb is not empty, the first tile also packs B̂ (read at stride sb)
	// into pb as a micro-panel, and the others read it there. If pb has
	// room for two micro-panels, the first tile packs the next nr columns
	// of b into the second one too.
	panel func(k int, a []float32, sa, ta int, rowsA bool, b []float32, sb int, pb []float32, c []float32, ldc, tiles int, alpha, beta float32)
	// packA and packB, if not nil, replace packPanelsA and packPanelsB
	// (with this kernel's mr and nr) by faster code.
	packA func(dst []float32, trans bool, a []float32, lda, i0, mc, p0, kc int)
	packB func(dst []float32, trans bool, b []float32, ldb, p0, kc, j0, nc int)
}

// smallOperand is the size in float32s under which an operand is read in
// place rather than packed: it stays in L1 whatever its layout.
const smallOperand = 4096

// sgemm computes C = alpha*op(A)*op(B) + beta*C with kernel kn. The
// arguments have been checked.
func (g *Gemm) sgemm(kn *kernel, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	if alpha == 0 || k == 0 {
		scaleRows(m, n, beta, c, ldc)
		return
	}
	mr, nr := kn.mr, kn.nr
	kc := blockSize(k, kn.kc, 1)
	mc := blockSize(m, kn.mc, mr)
	nc := blockSize(n, kn.nc, nr)
	// Packing pays for itself by reuse: a panel of A serves n/nr tiles, a
	// panel of B m/mr. When the kernel can read an operand in place, it
	// does so when there is little reuse or the whole operand fits in L1.
	storedRowsA := m
	if transA {
		storedRowsA = k
	}
	directA := storedRowsA*lda <= smallOperand
	switch {
	case transA:
		directA = directA || n <= kn.directMaxN
	case kn.rowsA:
		directA = directA || n <= kn.directRowsMaxN
	default:
		directA = false
	}
	directB := !transB && (m <= kn.directMaxM || k*ldb <= smallOperand)
	if !directA || !kn.partial {
		g.pa = grow(g.pa, roundUp(min(mc, m), mr)*kc)
	}
	if !directB || !kn.partial {
		g.pb = grow(g.pb, roundUp(min(nc, n), nr)*kc)
	}
	// How B is packed when it is: by the panel's first tile (fuseB), one
	// micro-panel just before its tiles (lazyB), or a block at a time. The
	// first two pack a partial last micro-panel ahead, with the block.
	fuseB := !directB && !transB && kn.panel != nil && m >= mr
	lazyB := !directB && !fuseB && m <= mc
	for jc := 0; jc < n; jc += nc {
		ncur := min(nc, n-jc)
		for pc := 0; pc < k; pc += kc {
			kcur := min(kc, k-pc)
			switch t := ncur - ncur%nr; {
			case directB:
				if t < ncur && !kn.partial {
					packPanelsB(g.pb[t*kcur:], nr, transB, b, ldb, pc, kcur, jc+t, ncur-t)
				}
			case fuseB || lazyB:
				if t < ncur {
					packPanelsB(g.pb[t*kcur:], nr, transB, b, ldb, pc, kcur, jc+t, ncur-t)
				}
			case kn.packB != nil:
				kn.packB(g.pb, transB, b, ldb, pc, kcur, jc, ncur)
			default:
				packPanelsB(g.pb, nr, transB, b, ldb, pc, kcur, jc, ncur)
			}
			bet := beta
			if pc > 0 {
				bet = 1
			}
			for ic := 0; ic < m; ic += mc {
				mcur := min(mc, m-ic)
				if directA {
					if t := mcur - mcur%mr; t < mcur && !kn.partial {
						packPanelsA(g.pa[t*kcur:], mr, transA, a, lda, ic+t, mcur-t, pc, kcur)
					}
				} else if kn.packA != nil {
					kn.packA(g.pa, transA, a, lda, ic, mcur, pc, kcur)
				} else {
					packPanelsA(g.pa, mr, transA, a, lda, ic, mcur, pc, kcur)
				}
				packedNext := false
				for jr := 0; jr < ncur; jr += nr {
					nrr := min(nr, ncur-jr)
					var bp []float32
					sb := nr
					switch {
					case directB && (nrr == nr || kn.partial):
						bp, sb = b[pc*ldb+jc+jr:], ldb
					case lazyB && nrr == nr:
						bp = g.pb[:nr*kcur]
						if kn.packB != nil {
							kn.packB(bp, transB, b, ldb, pc, kcur, jc+jr, nr)
						} else {
							packPanelsB(bp, nr, transB, b, ldb, pc, kcur, jc+jr, nr)
						}
					default:
						bp = g.pb[jr*kcur:]
					}
					ir := 0
					if tiles := mcur / mr; kn.panel != nil && nrr == nr && tiles > 0 {
						ap, sa, rowsA, ta := g.tileA(kn, directA, transA, a, lda, ic, 0, pc, kcur, mr)
						src, ssb, dst := bp, sb, []float32(nil)
						switch {
						case !fuseB || ic > 0:
						case packedNext:
							// The previous call packed this one.
							if mcur == m {
								bp = g.pb[nr*kcur : 2*nr*kcur]
							}
							src, packedNext = bp, false
						default:
							// Pack two micro-panels when there are: one
							// walk down B (rows 1 KiB or more apart) then
							// serves both.
							if mcur == m {
								bp = g.pb
							}
							packs := 1
							if jr+2*nr <= ncur-ncur%nr {
								packs, packedNext = 2, true
							}
							src, ssb, dst = b[pc*ldb+jc+jr:], ldb, bp[:packs*nr*kcur]
						}
						kn.panel(kcur, ap, sa, ta, rowsA, src, ssb, dst, c[ic*ldc+jc+jr:], ldc, tiles, alpha, bet)
						ir = tiles * mr
					}
					for ; ir < mcur; ir += mr {
						mrr := min(mr, mcur-ir)
						ap, sa, rowsA, _ := g.tileA(kn, directA, transA, a, lda, ic, ir, pc, kcur, mrr)
						kn.fn(kcur, ap, sa, rowsA, bp, sb, c[(ic+ir)*ldc+jc+jr:], ldc, mrr, nrr, alpha, bet)
					}
				}
			}
		}
	}
}

// tileA returns where the kernel reads the Â of the mrr×kcur tile at row
// ir of the block of A at (ic, pc): its packed panel, or A where it is;
// the stride of Â; whether it is read by rows; and how far the next tile's
// Â is.
func (g *Gemm) tileA(kn *kernel, directA, transA bool, a []float32, lda, ic, ir, pc, kcur, mrr int) (ap []float32, sa int, rowsA bool, ta int) {
	mr := kn.mr
	switch {
	case !directA || (mrr < mr && !kn.partial):
		return g.pa[ir*kcur:], mr, false, mr * kcur
	case transA:
		return a[pc*lda+ic+ir:], lda, false, mr
	default:
		return a[(ic+ir)*lda+pc:], lda, true, mr * lda
	}
}

// packPanelsA copies the mc×kc block of op(A) at (i0, p0) into dst as
// micro-panels of mr rows: element (i, p) of panel q goes to
// dst[q*mr*kc + p*mr + i]. Rows past mc are zero.
func packPanelsA(dst []float32, mr int, trans bool, a []float32, lda, i0, mc, p0, kc int) {
	for q := 0; q < mc; q += mr {
		rows := min(mr, mc-q)
		d := dst[q*kc : (q+mr)*kc]
		if trans {
			// op(A)(i, p) = a[p*lda + i]: each step is a short contiguous run.
			for p := 0; p < kc; p++ {
				s := a[(p0+p)*lda+i0+q:]
				s = s[:rows]
				dp := d[p*mr : p*mr+mr]
				for i, v := range s {
					dp[i] = v
				}
				for i := rows; i < len(dp); i++ {
					dp[i] = 0
				}
			}
			continue
		}
		for i := 0; i < mr; i++ {
			if i >= rows {
				for p := 0; p < kc; p++ {
					d[p*mr+i] = 0
				}
				continue
			}
			s := a[(i0+q+i)*lda+p0:]
			s = s[:kc]
			for p, v := range s {
				d[p*mr+i] = v
			}
		}
	}
}

// packPanelsB copies the kc×nc block of op(B) at (p0, j0) into dst as
// micro-panels of nr columns: element (p, j) of panel q goes to
// dst[q*nr*kc + p*nr + j]. Columns past nc are zero.
func packPanelsB(dst []float32, nr int, trans bool, b []float32, ldb, p0, kc, j0, nc int) {
	for q := 0; q < nc; q += nr {
		cols := min(nr, nc-q)
		d := dst[q*kc : (q+nr)*kc]
		if !trans {
			for p := 0; p < kc; p++ {
				s := b[(p0+p)*ldb+j0+q:]
				s = s[:cols]
				dp := d[p*nr : p*nr+nr]
				for j, v := range s {
					dp[j] = v
				}
				for j := cols; j < len(dp); j++ {
					dp[j] = 0
				}
			}
			continue
		}
		// op(B)(p, j) = b[j*ldb + p]: gather each column from a row of b.
		for j := 0; j < nr; j++ {
			if j >= cols {
				for p := 0; p < kc; p++ {
					d[p*nr+j] = 0
				}
				continue
			}
			s := b[(j0+q+j)*ldb+p0:]
			s = s[:kc]
			for p, v := range s {
				d[p*nr+j] = v
			}
		}
	}
}

// scaleRows sets the m×n matrix C to beta*C, or to zero when beta is 0.
func scaleRows(m, n int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		ci := c[i*ldc : i*ldc+n]
		switch beta {
		case 0:
			clear(ci)
		case 1:
		default:
			for j := range ci {
				ci[j] *= beta
			}
		}
	}
}

// blockSize splits x into the fewest blocks of at most limit and returns
// the size of the largest, rounded up to a multiple of mult (and at most
// limit rounded up so). Balanced blocks avoid a thin last block.
func blockSize(x, limit, mult int) int {
	if x <= limit {
		return roundUp(x, mult)
	}
	nb := (x + limit - 1) / limit
	return roundUp((x+nb-1)/nb, mult)
}

func roundUp(x, mult int) int { return (x + mult - 1) / mult * mult }

// grow returns s resliced to n elements, reallocated only if its capacity is
// too small, so that a Gemm reaches its working size once and stays there.
func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}
