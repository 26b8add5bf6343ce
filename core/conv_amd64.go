//go:build !purego

package core

// planeReluAVX2 sets y[i] = max(y[i]+b, 0) for i < n, n a positive
// multiple of 8, keeping NaN as planeReluGo does.
//
//go:noescape
func planeReluAVX2(y *float32, n int, b float32)

// planeReluBackAVX2 is planeReluBackGo on n elements, n a positive
// multiple of 8.
//
//go:noescape
func planeReluBackAVX2(dy, y *float32, n int, acc *[8]float32)

// maxPool2x2AVX2 is maxPool2x2Go on one plane of w columns (oh ≥ 1, ow ≥
// 1, 2·ow ≤ w).
//
//go:noescape
func maxPool2x2AVX2(x, y *float32, arg *int32, w, oh, ow, base int)
