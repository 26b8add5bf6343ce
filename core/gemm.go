package core

import "fmt"

// Gemm computes general matrix products. It owns the packing buffers of the
// blocked kernels, grown to the largest product it has computed and kept,
// so that repeated products allocate nothing. The zero value is ready to
// use. A Gemm is not safe for concurrent use; give each goroutine its own.
//
// On amd64 with AVX2 and FMA the products run on an assembly micro-kernel;
// elsewhere, or when built with the purego tag, on a portable Go one.
type Gemm struct {
	pa, pb []float32 // packed blocks of op(A) and op(B)
}

// Transpose says whether Sgemm reads a matrix as stored or transposed, as
// gonum's blas.Transpose does.
type Transpose uint8

const (
	NoTrans Transpose = iota // op(X) = X
	Trans                    // op(X) = Xᵀ
)

// Sgemm computes C = alpha*op(A)*op(B) + beta*C on row-major matrices, where
// op(X) is X or its transpose as tA and tB say. op(A) is m×k, op(B) is k×n and C is m×n; lda, ldb and ldc are the row
// strides of A, B and C as stored. When beta is 0, C is not read (NaNs in it
// do not propagate); when alpha or k is 0, A and B are not read and C is
// only scaled by beta. C must not overlap A or B.
//
// Sgemm panics if tA or tB is neither NoTrans nor Trans, a dimension is
// negative, a stride is smaller than its row, or a slice is too short for
// the shape it is given.
func (g *Gemm) Sgemm(tA, tB Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	transA, transB := tA.trans("A"), tB.trans("B")
	checkGemm(transA, transB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
	g.sgemm(bestKernel, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// Sgemm is Gemm.Sgemm with a temporary Gemm; it allocates packing buffers on
// every call.
func Sgemm(tA, tB Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	var g Gemm
	g.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// trans reports whether t is Trans, and panics naming the operand if t is
// not a Transpose value.
func (t Transpose) trans(operand string) bool {
	switch t {
	case NoTrans:
		return false
	case Trans:
		return true
	}
	panic(fmt.Sprintf("core: Sgemm: bad Transpose %d for %s", t, operand))
}

func checkGemm(transA, transB bool, m, n, k, la, lda, lb, ldb, lc, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("core: Sgemm: negative dimension m=%d n=%d k=%d", m, n, k))
	}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	check := func(name string, rows, cols, l, ld int) {
		if ld < max(cols, 1) {
			panic(fmt.Sprintf("core: Sgemm: %s stride %d < %d columns", name, ld, cols))
		}
		if rows > 0 && cols > 0 && l < (rows-1)*ld+cols {
			panic(fmt.Sprintf("core: Sgemm: %s has %d elements, %dx%d with stride %d needs %d", name, l, rows, cols, ld, (rows-1)*ld+cols))
		}
	}
	check("A", ar, ac, la, lda)
	check("B", br, bc, lb, ldb)
	check("C", m, n, lc, ldc)
}

// sgemmRef is the straightforward triple loop that every kernel is tested
// against.
func sgemmRef(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float32
			for p := 0; p < k; p++ {
				var av, bv float32
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += av * bv
			}
			if beta == 0 {
				c[i*ldc+j] = alpha * s
			} else {
				c[i*ldc+j] = alpha*s + beta*c[i*ldc+j]
			}
		}
	}
}
