package core

import "math"

// The optimizer kernels make one pass over a parameter tensor: scale the
// raw gradient (clipping), add the L2 term, update the state and the
// weights, and return the largest |raw gradient| as float32 bits. They use
// separate multiplies and adds (no fused multiply-add) so that every
// implementation gives the same bits.

// sgdArgs are the per-step constants of an SGD update.
type sgdArgs struct {
	gs, l2, lr, mom float32 // gradient scale, L2 coefficient, rate, momentum
}

// sgdKernel is SGD with optional (Nesterov) momentum; buf is nil without
// momentum.
func sgdKernel(w, g, buf []float32, a *sgdArgs, nesterov bool) uint32 {
	if len(w) == 0 {
		return 0
	}
	if useOptAsm {
		n := len(w) &^ 7
		var mx uint32
		if n > 0 {
			var pbuf *float32
			mode := 0
			if buf != nil {
				pbuf, mode = &buf[:n][0], 1
				if nesterov {
					mode = 2
				}
			}
			mx = sgdAVX2(&w[0], &g[:n][0], pbuf, n, a, mode)
		}
		if n < len(w) {
			if buf != nil {
				buf = buf[n:]
			}
			mx = max(mx, sgdGo(w[n:], g[n:], buf, a, nesterov))
		}
		return mx
	}
	return sgdGo(w, g, buf, a, nesterov)
}

// The Go kernels convert every product to float32, which keeps the
// compiler from fusing multiply-adds (as it may with GOAMD64=v3), so that
// they match the assembly kernels bit for bit.

func sgdGo(w, g, buf []float32, a *sgdArgs, nesterov bool) uint32 {
	g = g[:len(w)]
	gs, l2, lr, mom := a.gs, a.l2, a.lr, a.mom
	var mx uint32
	if buf == nil {
		for i, gi := range g {
			mx = max(mx, math.Float32bits(gi)&0x7fffffff)
			wi := w[i]
			gi = float32(gi*gs) + float32(l2*wi)
			w[i] = wi - float32(lr*gi)
		}
		return mx
	}
	buf = buf[:len(w)]
	for i, gi := range g {
		mx = max(mx, math.Float32bits(gi)&0x7fffffff)
		wi := w[i]
		gi = float32(gi*gs) + float32(l2*wi)
		b := float32(mom*buf[i]) + gi
		buf[i] = b
		if nesterov {
			b = gi + float32(mom*b)
		}
		w[i] = wi - float32(lr*b)
	}
	return mx
}

// adamArgs are the per-step constants of an Adam update.
type adamArgs struct {
	gs, l2, wmul float32 // gradient scale, L2 coefficient, decoupled decay factor
	b1, c1       float32 // β1 and 1-β1
	b2, c2       float32 // β2 and 1-β2
	step         float32 // lr/(1-β1ᵗ)
	bc2          float32 // 1/√(1-β2ᵗ)
	eps          float32
}

// adamKernel is Adam (wmul = 1) or AdamW (l2 = 0).
func adamKernel(w, g, m, v []float32, a *adamArgs) uint32 {
	if len(w) == 0 {
		return 0
	}
	if useOptAsm {
		n := len(w) &^ 7
		var mx uint32
		if n > 0 {
			mx = adamAVX2(&w[0], &g[:n][0], &m[:n][0], &v[:n][0], n, a)
		}
		if n < len(w) {
			mx = max(mx, adamGo(w[n:], g[n:], m[n:], v[n:], a))
		}
		return mx
	}
	return adamGo(w, g, m, v, a)
}

func adamGo(w, g, m, v []float32, a *adamArgs) uint32 {
	g, m, v = g[:len(w)], m[:len(w)], v[:len(w)]
	gs, l2, wmul := a.gs, a.l2, a.wmul
	b1, c1, b2, c2 := a.b1, a.c1, a.b2, a.c2
	step, bc2, eps := a.step, a.bc2, a.eps
	var mx uint32
	for i, gi := range g {
		mx = max(mx, math.Float32bits(gi)&0x7fffffff)
		wi := w[i]
		gi = float32(gi*gs) + float32(l2*wi)
		mi := float32(b1*m[i]) + float32(c1*gi)
		vi := float32(b2*v[i]) + float32(c2*float32(gi*gi))
		m[i], v[i] = mi, vi
		w[i] = float32(wi*wmul) - float32(step*(mi/(float32(sqrt32(vi)*bc2)+eps)))
	}
	return mx
}

// rmspropArgs are the per-step constants of an RMSProp update.
type rmspropArgs struct {
	gs, l2, lr float32 // gradient scale, L2 coefficient, rate
	rho, c     float32 // ρ and 1-ρ
	eps, mom   float32
}

// rmspropKernel is RMSProp with optional momentum (buf nil without).
func rmspropKernel(w, g, v, buf []float32, a *rmspropArgs) uint32 {
	if len(w) == 0 {
		return 0
	}
	if useOptAsm {
		n := len(w) &^ 7
		var mx uint32
		if n > 0 {
			var pbuf *float32
			if buf != nil {
				pbuf = &buf[:n][0]
			}
			mx = rmspropAVX2(&w[0], &g[:n][0], &v[:n][0], pbuf, n, a)
		}
		if n < len(w) {
			if buf != nil {
				buf = buf[n:]
			}
			mx = max(mx, rmspropGo(w[n:], g[n:], v[n:], buf, a))
		}
		return mx
	}
	return rmspropGo(w, g, v, buf, a)
}

func rmspropGo(w, g, v, buf []float32, a *rmspropArgs) uint32 {
	g, v = g[:len(w)], v[:len(w)]
	gs, l2, lr, rho, c, eps, mom := a.gs, a.l2, a.lr, a.rho, a.c, a.eps, a.mom
	var mx uint32
	if buf == nil {
		for i, gi := range g {
			mx = max(mx, math.Float32bits(gi)&0x7fffffff)
			wi := w[i]
			gi = float32(gi*gs) + float32(l2*wi)
			vi := float32(rho*v[i]) + float32(c*float32(gi*gi))
			v[i] = vi
			w[i] = wi - float32(lr*(gi/(sqrt32(vi)+eps)))
		}
		return mx
	}
	buf = buf[:len(w)]
	for i, gi := range g {
		mx = max(mx, math.Float32bits(gi)&0x7fffffff)
		wi := w[i]
		gi = float32(gi*gs) + float32(l2*wi)
		vi := float32(rho*v[i]) + float32(c*float32(gi*gi))
		v[i] = vi
		b := float32(mom*buf[i]) + gi/(sqrt32(vi)+eps)
		buf[i] = b
		w[i] = wi - float32(lr*b)
	}
	return mx
}

func sqrt32(x float32) float32 { return float32(math.Sqrt(float64(x))) }
