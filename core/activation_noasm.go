//go:build !amd64 || purego

package core

// useActAsm reports whether assembly activation kernels run; without
// assembly they never do.
var useActAsm = false

func reluBiasAVX2(y, b *float32, rows, cols, n int)          { panic("core: no assembly") }
func reluBackwardAVX2(dy, y, db *float32, rows, cols, n int) { panic("core: no assembly") }

func tanhAVX2(y *float32, n int)      { panic("core: no assembly") }
func sigmoidAVX2(y *float32, n int)   { panic("core: no assembly") }
func geluAVX2(y, aux *float32, n int) { panic("core: no assembly") }

func leakyBiasAVX2(y, b *float32, rows, cols, n int, slope float32) { panic("core: no assembly") }
func leakyBackwardAVX2(dy, y, db *float32, rows, cols, n int, slope float32) {
	panic("core: no assembly")
}
