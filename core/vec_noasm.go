//go:build !amd64 || purego

package core

func axpyImpl(alpha float32, x, y []float32) { axpyGo(alpha, x, y) }

func dotImpl(x, y []float32) float32 { return dotGo(x, y) }

func scalImpl(alpha float32, x []float32) { scalGo(alpha, x) }
