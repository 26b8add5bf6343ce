//go:build !amd64 || purego

package core

func planeReluAVX2(y *float32, n int, b float32) { panic("core: no assembly") }

func planeReluBackAVX2(dy, y *float32, n int, acc *[8]float32) { panic("core: no assembly") }

func maxPool2x2AVX2(x, y *float32, arg *int32, w, oh, ow, base int) { panic("core: no assembly") }
