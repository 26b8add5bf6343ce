package core

import "fmt"

// maxPool2D takes the maximum of each k×k window, windows stride apart,
// of every channel of an NCHW batch (no padding; windows that would cross
// the border are dropped, as PyTorch's floor mode does). The forward pass
// records where each maximum was, so the backward pass is one scatter.
//
// The common 2×2 window of stride 2 has its own loop: two input rows at a
// time, three comparisons per output, eight outputs at a time in AVX2
// without a branch (PyTorch spends a third of its time on this CNN in
// max-pooling).
type maxPool2D struct {
	name      string
	in, out   imageShape
	k, stride int
	arg       []int32 // per output of the last training batch: index of the maximum in its sample
	y, dx     rowBuffer
	n         int
}

func newMaxPool2D(name string, in imageShape, k, stride, maxRows int) *maxPool2D {
	oh, ow := convOut(in.h, k, stride, 0, 1), convOut(in.w, k, stride, 0, 1)
	if oh < 1 || ow < 1 || stride < 1 {
		panic(fmt.Sprintf("core: %s: a %dx%d window of stride %d does not fit a %v input", name, k, k, stride, in))
	}
	p := &maxPool2D{name: name, in: in, out: imageShape{in.c, oh, ow}, k: k, stride: stride}
	p.y = newRowBuffer(maxRows, p.out.size())
	p.dx = newRowBuffer(maxRows, in.size())
	p.arg = make([]int32, maxRows*p.out.size())
	return p
}

func (p *maxPool2D) params() []*param { return nil }

func (p *maxPool2D) forward(x *Tensor, train bool) *Tensor {
	checkCols(p.name, x, p.in.size())
	n := x.Rows
	p.n = n
	y := p.y.view(n)
	is, os := p.in.size(), p.out.size()
	H, W, OH, OW := p.in.h, p.in.w, p.out.h, p.out.w
	for s := range n {
		xs, ys := x.Data[s*is:(s+1)*is], y.Data[s*os:(s+1)*os]
		arg := p.arg[s*os : (s+1)*os]
		for ch := range p.in.c {
			base := ch * H * W
			xc := xs[base : base+H*W]
			yc, ac := ys[ch*OH*OW:(ch+1)*OH*OW], arg[ch*OH*OW:(ch+1)*OH*OW]
			if p.k == 2 && p.stride == 2 {
				if useActAsm {
					maxPool2x2AVX2(&xc[0], &yc[0], &ac[0], W, OH, OW, base)
				} else {
					maxPool2x2Go(xc, yc, ac, W, OH, OW, base)
				}
				continue
			}
			for oy := range OH {
				for ox := range OW {
					best := (oy*p.stride)*W + ox*p.stride
					m := xc[best]
					for ki := range p.k {
						row := (oy*p.stride+ki)*W + ox*p.stride
						for kj, v := range xc[row : row+p.k] {
							if v > m {
								m, best = v, row+kj
							}
						}
					}
					yc[oy*OW+ox] = m
					ac[oy*OW+ox] = int32(base + best)
				}
			}
		}
	}
	return y
}

// maxPool2x2Go is the 2×2, stride 2 loop on one plane xc of w columns:
// oh rows of ow outputs to yc, the index of each maximum in the sample
// (base + its offset in the plane) to ac. Of equal values the first in
// the window's row-major order wins, and so does a NaN there.
func maxPool2x2Go(xc, yc []float32, ac []int32, W, OH, OW, base int) {
	for oy := range OH {
		r0 := xc[2*oy*W : 2*oy*W+2*OW]
		r1 := xc[(2*oy+1)*W : (2*oy+1)*W+2*OW]
		yr, ar := yc[oy*OW:(oy+1)*OW], ac[oy*OW:(oy+1)*OW]
		i0 := int32(base + 2*oy*W)
		for ox := range yr {
			a, b, c, d := r0[2*ox], r0[2*ox+1], r1[2*ox], r1[2*ox+1]
			m, i := a, int32(0)
			if b > m {
				m, i = b, 1
			}
			if c > m {
				m, i = c, int32(W)
			}
			if d > m {
				m, i = d, int32(W+1)
			}
			yr[ox] = m
			ar[ox] = i0 + int32(2*ox) + i
		}
	}
}

func (p *maxPool2D) backward(dy *Tensor, needInput bool) *Tensor {
	if !needInput {
		return nil
	}
	n := p.n
	is, os := p.in.size(), p.out.size()
	if dy.Rows != n || dy.Cols != os {
		panic(fmt.Sprintf("core: %s: gradient is %dx%d, want %dx%d", p.name, dy.Rows, dy.Cols, n, os))
	}
	dx := p.dx.view(n)
	clear(dx.Data)
	for s := range n {
		dxs := dx.Data[s*is : (s+1)*is]
		arg := p.arg[s*os : (s+1)*os]
		for i, d := range dy.Data[s*os : (s+1)*os] {
			dxs[arg[i]] += d
		}
	}
	return dx
}

// avgPool2D averages each k×k window, windows stride apart (no padding,
// floor mode).
type avgPool2D struct {
	name      string
	in, out   imageShape
	k, stride int
	y, dx     rowBuffer
	n         int
}

func newAvgPool2D(name string, in imageShape, k, stride, maxRows int) *avgPool2D {
	oh, ow := convOut(in.h, k, stride, 0, 1), convOut(in.w, k, stride, 0, 1)
	if oh < 1 || ow < 1 || stride < 1 {
		panic(fmt.Sprintf("core: %s: a %dx%d window of stride %d does not fit a %v input", name, k, k, stride, in))
	}
	p := &avgPool2D{name: name, in: in, out: imageShape{in.c, oh, ow}, k: k, stride: stride}
	p.y = newRowBuffer(maxRows, p.out.size())
	p.dx = newRowBuffer(maxRows, in.size())
	return p
}

func (p *avgPool2D) params() []*param { return nil }

func (p *avgPool2D) forward(x *Tensor, train bool) *Tensor {
	checkCols(p.name, x, p.in.size())
	n := x.Rows
	p.n = n
	y := p.y.view(n)
	W, OH, OW := p.in.w, p.out.h, p.out.w
	inv := 1 / float32(p.k*p.k)
	for pl := range n * p.in.c {
		xc := x.Data[pl*p.in.plane() : (pl+1)*p.in.plane()]
		yc := y.Data[pl*OH*OW : (pl+1)*OH*OW]
		for oy := range OH {
			for ox := range OW {
				var s float32
				for ki := range p.k {
					row := (oy*p.stride+ki)*W + ox*p.stride
					for _, v := range xc[row : row+p.k] {
						s += v
					}
				}
				yc[oy*OW+ox] = s * inv
			}
		}
	}
	return y
}

func (p *avgPool2D) backward(dy *Tensor, needInput bool) *Tensor {
	if !needInput {
		return nil
	}
	n := p.n
	if dy.Rows != n || dy.Cols != p.out.size() {
		panic(fmt.Sprintf("core: %s: gradient is %dx%d, want %dx%d", p.name, dy.Rows, dy.Cols, n, p.out.size()))
	}
	dx := p.dx.view(n)
	clear(dx.Data)
	W, OH, OW := p.in.w, p.out.h, p.out.w
	inv := 1 / float32(p.k*p.k)
	for pl := range n * p.in.c {
		dc := dx.Data[pl*p.in.plane() : (pl+1)*p.in.plane()]
		gc := dy.Data[pl*OH*OW : (pl+1)*OH*OW]
		for oy := range OH {
			for ox := range OW {
				g := gc[oy*OW+ox] * inv
				for ki := range p.k {
					row := (oy*p.stride+ki)*W + ox*p.stride
					d := dc[row : row+p.k]
					for j := range d {
						d[j] += g
					}
				}
			}
		}
	}
	return dx
}

// globalAvgPool averages every channel over its whole plane: c×h×w to c.
type globalAvgPool struct {
	name  string
	in    imageShape
	y, dx rowBuffer
	n     int
}

func newGlobalAvgPool(name string, in imageShape, maxRows int) *globalAvgPool {
	return &globalAvgPool{name: name, in: in, y: newRowBuffer(maxRows, in.c), dx: newRowBuffer(maxRows, in.size())}
}

func (p *globalAvgPool) params() []*param { return nil }

func (p *globalAvgPool) forward(x *Tensor, train bool) *Tensor {
	checkCols(p.name, x, p.in.size())
	p.n = x.Rows
	y := p.y.view(x.Rows)
	pl := p.in.plane()
	inv := 1 / float64(pl)
	for i := range y.Data {
		var s float64
		for _, v := range x.Data[i*pl : (i+1)*pl] {
			s += float64(v)
		}
		y.Data[i] = float32(s * inv)
	}
	return y
}

func (p *globalAvgPool) backward(dy *Tensor, needInput bool) *Tensor {
	if !needInput {
		return nil
	}
	if dy.Rows != p.n || dy.Cols != p.in.c {
		panic(fmt.Sprintf("core: %s: gradient is %dx%d, want %dx%d", p.name, dy.Rows, dy.Cols, p.n, p.in.c))
	}
	dx := p.dx.view(p.n)
	pl := p.in.plane()
	inv := 1 / float32(pl)
	for i, g := range dy.Data[:p.n*p.in.c] {
		d := dx.Data[i*pl : (i+1)*pl]
		g *= inv
		for j := range d {
			d[j] = g
		}
	}
	return dx
}

// flatten turns an NCHW batch into one row of features per sample for the
// dense layers. Images are stored that way already, so it only checks the
// shape and passes the tensor on.
type flatten struct {
	name string
	in   imageShape
}

func (f *flatten) params() []*param { return nil }

func (f *flatten) forward(x *Tensor, train bool) *Tensor {
	checkCols(f.name, x, f.in.size())
	return x
}

func (f *flatten) backward(dy *Tensor, needInput bool) *Tensor {
	if !needInput {
		return nil
	}
	return dy
}
