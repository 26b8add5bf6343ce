//go:build !amd64 || purego

package core

// useAdamAsm reports whether an assembly Adam kernel runs; without
// assembly it never does.
var useAdamAsm = false

func adamAsm(w, g, m, v []float32, a *adamArgs) uint32 { return adamGo(w, g, m, v, a) }
