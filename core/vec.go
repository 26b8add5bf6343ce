package core

import "fmt"

// The vector helpers below serve the elementwise work of training: adding
// biases, summing gradients, scaling. Each has an assembly implementation
// on amd64 with AVX2 and FMA and a portable one (vec_go.go) used elsewhere
// and tested everywhere. Lengths are checked: they panic when y (or dst) is
// shorter than x, or a matrix is too short for its shape.

// axpyUnitary sets y[i] += alpha*x[i] for i < len(x).
func axpyUnitary(alpha float32, x, y []float32) {
	if len(y) < len(x) {
		panic(fmt.Sprintf("core: axpy: len(y) %d < len(x) %d", len(y), len(x)))
	}
	axpyImpl(alpha, x, y[:len(x)])
}

// dotUnitary returns the sum of x[i]*y[i] for i < len(x).
func dotUnitary(x, y []float32) float32 {
	if len(y) < len(x) {
		panic(fmt.Sprintf("core: dot: len(y) %d < len(x) %d", len(y), len(x)))
	}
	return dotImpl(x, y[:len(x)])
}

// scalUnitary sets x[i] *= alpha.
func scalUnitary(alpha float32, x []float32) { scalImpl(alpha, x) }

// addBiasRows adds bias[j] to element (i, j) of the rows×cols matrix c
// (rows ldc apart), for j < cols: the bias of a dense layer over a batch.
func addBiasRows(c []float32, rows, cols, ldc int, bias []float32) {
	checkMatrix("addBiasRows", len(c), rows, cols, ldc)
	if len(bias) < cols {
		panic(fmt.Sprintf("core: addBiasRows: len(bias) %d < %d columns", len(bias), cols))
	}
	bias = bias[:cols]
	for i := 0; i < rows; i++ {
		axpyImpl(1, bias, c[i*ldc:i*ldc+cols])
	}
}

// sumRows adds the rows of the rows×cols matrix a (rows lda apart) to dst:
// dst[j] += Σᵢ a[i*lda+j], the bias gradient of a dense layer over a batch.
func sumRows(dst, a []float32, rows, cols, lda int) {
	checkMatrix("sumRows", len(a), rows, cols, lda)
	if len(dst) < cols {
		panic(fmt.Sprintf("core: sumRows: len(dst) %d < %d columns", len(dst), cols))
	}
	dst = dst[:cols]
	for i := 0; i < rows; i++ {
		axpyImpl(1, a[i*lda:i*lda+cols], dst)
	}
}

// checkMatrix panics unless a slice of length l holds a rows×cols matrix
// with rows ld apart.
func checkMatrix(fn string, l, rows, cols, ld int) {
	if rows < 0 || cols < 0 || ld < cols {
		panic(fmt.Sprintf("core: %s: bad shape %dx%d with stride %d", fn, rows, cols, ld))
	}
	if rows > 0 && cols > 0 && l < (rows-1)*ld+cols {
		panic(fmt.Sprintf("core: %s: %d elements, %dx%d with stride %d needs %d", fn, l, rows, cols, ld, (rows-1)*ld+cols))
	}
}
