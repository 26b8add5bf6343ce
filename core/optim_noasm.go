//go:build !amd64 || purego

package core

// useOptAsm reports whether assembly optimizer kernels run; without
// assembly they never do.
var useOptAsm = false

func sgdAVX2(pw, pg, pbuf *float32, n int, args *sgdArgs, mode int) uint32 {
	panic("core: no assembly")
}

func adamAVX2(pw, pg, pm, pv *float32, n int, args *adamArgs) uint32 {
	panic("core: no assembly")
}

func rmspropAVX2(pw, pg, pv, pbuf *float32, n int, args *rmspropArgs) uint32 {
	panic("core: no assembly")
}
