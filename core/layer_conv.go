package core

import "fmt"

// Convolutional layers work on NCHW tensors stored one sample per row: a
// batch of n images of c channels of h×w pixels is an n×(c·h·w) Tensor
// whose row holds channel 0's h rows of w pixels, then channel 1's, and so
// on. Flattening an image for a dense layer is therefore free, and the
// trainer's batching, dropout and losses work on images unchanged.

// imageShape is the shape of one sample of an NCHW batch.
type imageShape struct{ c, h, w int }

func (s imageShape) size() int  { return s.c * s.h * s.w }
func (s imageShape) plane() int { return s.h * s.w }

func (s imageShape) String() string { return fmt.Sprintf("%dx%dx%d", s.c, s.h, s.w) }

// convOut returns the output length of a convolution or pooling window of
// size k (dilated by dil) sliding with stride over n inputs padded by pad
// on both sides, or a number < 1 when the window does not fit.
func convOut(n, k, stride, pad, dil int) int {
	span := dil*(k-1) + 1
	if n+2*pad < span {
		return 0
	}
	return (n+2*pad-span)/stride + 1
}

// conv2D is a 2-D convolution (cross-correlation, as in every framework)
// with square kernels, y = act(W ⊛ x + b), the activation fused into the
// bias pass as in dense. W is filters × (channels·k·k), PyTorch's layout.
//
// Each sample is one product on the GEMM: its input is unfolded (im2col)
// into a (channels·k·k)×(oh·ow) matrix that stays in L2, and W times it is
// the sample's output, already in NCHW order. The backward pass unfolds the
// input again rather than keep a batch of unfolded matrices, which would
// not fit in cache, and folds the input gradient back (col2im). A 1×1
// convolution of stride 1 without padding reads its input in place.
type conv2D struct {
	name                string
	in, out             imageShape
	k, stride, pad, dil int
	act                 activation
	w, b                *param // b is nil without bias
	gemm                *Gemm
	ckk, ohw            int // rows and columns of the unfolded input
	direct              bool
	// same: stride 1 and an output as wide as the input, so that each row
	// of the unfolded input is the image shifted (see im2col).
	same          bool
	x             *Tensor
	y, aux, dx    rowBuffer
	col, dcol     []float32 // one sample's unfolded input and its gradient
	dwt           []float32 // the weight gradient, transposed
	lo, hi        []int     // per kernel column: output columns reading inside the input
	fanIn, fanOut int       // for initialization
}

// newConv2D returns a convolution of in into filters channels for batches
// of up to maxRows samples. It panics if the window does not fit the
// padded input (configurations are validated before).
func newConv2D(name string, in imageShape, filters, k, stride, pad, dil, maxRows int, bias bool, act activation, g *Gemm) *conv2D {
	oh, ow := convOut(in.h, k, stride, pad, dil), convOut(in.w, k, stride, pad, dil)
	if oh < 1 || ow < 1 || filters < 1 || stride < 1 || dil < 1 || pad < 0 {
		panic(fmt.Sprintf("core: %s: a %dx%d kernel (stride %d, padding %d, dilation %d) does not fit a %v input", name, k, k, stride, pad, dil, in))
	}
	c := &conv2D{
		name: name, in: in, out: imageShape{filters, oh, ow},
		k: k, stride: stride, pad: pad, dil: dil, act: act, gemm: g,
		ckk: in.c * k * k, ohw: oh * ow,
		direct: k == 1 && stride == 1 && pad == 0,
		same:   stride == 1 && ow == in.w,
		fanIn:  in.c * k * k, fanOut: filters * k * k,
	}
	c.w = &param{name: name + ".weight", layer: name, rows: filters, cols: c.ckk, decay: true}
	if bias {
		c.b = &param{name: name + ".bias", layer: name, rows: 1, cols: filters}
	}
	c.dwt = make([]float32, filters*c.ckk)
	c.y = newRowBuffer(maxRows, c.out.size())
	c.dx = newRowBuffer(maxRows, in.size())
	if act.needsAux() {
		c.aux = newRowBuffer(maxRows, c.out.size())
	}
	if !c.direct {
		c.col = make([]float32, c.ckk*c.ohw)
		c.dcol = make([]float32, c.ckk*c.ohw)
	}
	// For kernel column kj, output columns lo ≤ ox < hi read input columns
	// inside the image; the others read padding.
	c.lo, c.hi = make([]int, k), make([]int, k)
	for kj := range k {
		off := kj*dil - pad
		lo, hi := 0, ow
		for lo < ow && lo*stride+off < 0 {
			lo++
		}
		for hi > lo && (hi-1)*stride+off >= in.w {
			hi--
		}
		c.lo[kj], c.hi[kj] = lo, hi
	}
	return c
}

func (c *conv2D) params() []*param {
	if c.b == nil {
		return []*param{c.w}
	}
	return []*param{c.w, c.b}
}

func (c *conv2D) forward(x *Tensor, train bool) *Tensor {
	checkCols(c.name, x, c.in.size())
	n := x.Rows
	c.x = x
	y := c.y.view(n)
	is, os := c.in.size(), c.out.size()
	var b []float32
	if c.b != nil {
		b = c.b.w
	}
	for s := range n {
		xs, ys := x.Data[s*is:(s+1)*is], y.Data[s*os:(s+1)*os]
		src := xs
		if !c.direct {
			c.im2col(xs, c.col)
			src = c.col
		}
		c.gemm.Sgemm(NoTrans, NoTrans, c.out.c, c.ohw, c.ckk, 1, c.w.w, c.ckk, src, c.ohw, 0, ys, c.ohw)
		var aux []float32
		if train && c.act.needsAux() {
			aux = c.aux.view(n).Data[s*os : (s+1)*os]
		}
		planeBiasAct(c.act, ys, b, c.ohw, aux)
	}
	return y
}

func (c *conv2D) backward(dy *Tensor, needInput bool) *Tensor {
	n := c.x.Rows
	is, os := c.in.size(), c.out.size()
	if dy.Rows != n || dy.Cols != os {
		panic(fmt.Sprintf("core: %s: gradient is %dx%d, want %dx%d", c.name, dy.Rows, dy.Cols, n, os))
	}
	var db []float32
	if c.b != nil {
		db = c.b.g
		clear(db)
	}
	var dx *Tensor
	if needInput {
		dx = c.dx.view(n)
	}
	y := c.y.view(n)
	for s := range n {
		ds := dy.Data[s*os : (s+1)*os]
		var aux []float32
		if c.act.needsAux() {
			aux = c.aux.view(n).Data[s*os : (s+1)*os]
		}
		planeActBackward(c.act, ds, y.Data[s*os:(s+1)*os], aux, db, c.ohw)
		xs := c.x.Data[s*is : (s+1)*is]
		src := xs
		if !c.direct {
			c.im2col(xs, c.col)
			src = c.col
		}
		// dWᵀ (+)= col·dyᵀ: computing the transpose keeps the long side
		// of the product in M (filters are few, rows of col many), where
		// the micro-kernel wastes less of its 6×16 tile.
		beta := float32(1)
		if s == 0 {
			beta = 0
		}
		if c.ckk < convDotRows {
			// Too few rows for the micro-kernel's tile (a first layer on
			// one channel has 9): one dot product per weight.
			F := c.out.c
			for t := range c.ckk {
				row, g := src[t*c.ohw:(t+1)*c.ohw], c.dwt[t*F:(t+1)*F]
				for f := range F {
					d := dotUnitary(row, ds[f*c.ohw:(f+1)*c.ohw])
					if s == 0 {
						g[f] = d
					} else {
						g[f] += d
					}
				}
			}
		} else {
			c.gemm.Sgemm(NoTrans, Trans, c.ckk, c.out.c, c.ohw, 1, src, c.ohw, ds, c.ohw, beta, c.dwt, c.out.c)
		}
		if !needInput {
			continue
		}
		// dcol = Wᵀ·dy, folded back onto the input.
		dxs := dx.Data[s*is : (s+1)*is]
		if c.direct {
			c.gemm.Sgemm(Trans, NoTrans, c.ckk, c.ohw, c.out.c, 1, c.w.w, c.ckk, ds, c.ohw, 0, dxs, c.ohw)
			continue
		}
		c.gemm.Sgemm(Trans, NoTrans, c.ckk, c.ohw, c.out.c, 1, c.w.w, c.ckk, ds, c.ohw, 0, c.dcol, c.ohw)
		c.col2im(c.dcol, dxs)
	}
	F := c.out.c
	for i, g := range c.dwt {
		c.w.g[(i%F)*c.ckk+i/F] = g
	}
	return dx
}

// convDotRows is the number of rows of the unfolded input below which a
// convolution's weight gradient is computed by dot products rather than on
// the GEMM. BenchmarkConv2D/conv1/backward (9 rows): 15-19 GFLOP/s with
// dot products whichever micro-kernel; on the GEMM 17-23 with the AVX2
// micro-kernel but 5-8 with the AVX-512 one, whose 32-wide tile is half
// empty.
const convDotRows = 16

// im2col unfolds one sample x into col: row (ch·k+ki)·k+kj holds, for
// every output pixel, the input pixel under kernel position (ki, kj) of
// channel ch, or 0 in the padding.
func (c *conv2D) im2col(x, col []float32) {
	H, W := c.in.h, c.in.w
	oh, ow := c.out.h, c.out.w
	st := c.stride
	r := 0
	for ch := range c.in.c {
		xc := x[ch*H*W : (ch+1)*H*W]
		for ki := range c.k {
			offh := ki*c.dil - c.pad
			for kj := range c.k {
				offw := kj*c.dil - c.pad
				lo, hi := c.lo[kj], c.hi[kj]
				row := col[r*c.ohw : (r+1)*c.ohw]
				r++
				if c.same && lo < hi {
					// Output pixel i reads input pixel i + offh·W + offw:
					// one copy for the rows inside the image, then the
					// columns that read padding (or wrapped to the
					// neighbouring row) are zeroed.
					y0, y1 := max(0, -offh), min(oh, H-offh)
					if y0 >= y1 {
						clear(row)
						continue
					}
					off := offh*W + offw
					clear(row[:y0*ow])
					end := (y1-1)*ow + hi
					copy(row[y0*ow+lo:end], xc[y0*ow+lo+off:end+off])
					clear(row[y1*ow:])
					for oy := y0; oy < y1; oy++ {
						clear(row[oy*ow : oy*ow+lo])
						clear(row[oy*ow+hi : oy*ow+ow])
					}
					continue
				}
				for oy := range oh {
					dst := row[oy*ow : (oy+1)*ow]
					iy := oy*st + offh
					if iy < 0 || iy >= H || lo >= hi {
						clear(dst)
						continue
					}
					src := xc[iy*W : (iy+1)*W]
					clear(dst[:lo])
					if st == 1 {
						copy(dst[lo:hi], src[lo+offw:hi+offw])
					} else {
						d := dst[lo:hi]
						for i := range d {
							d[i] = src[(lo+i)*st+offw]
						}
					}
					clear(dst[hi:])
				}
			}
		}
	}
}

// col2im sets dx to the fold of dcol, the transpose of im2col: each input
// pixel receives the sum of the unfolded entries that copied it.
func (c *conv2D) col2im(dcol, dx []float32) {
	clear(dx)
	H, W := c.in.h, c.in.w
	oh, ow := c.out.h, c.out.w
	st := c.stride
	r := 0
	for ch := range c.in.c {
		xc := dx[ch*H*W : (ch+1)*H*W]
		for ki := range c.k {
			offh := ki*c.dil - c.pad
			for kj := range c.k {
				offw := kj*c.dil - c.pad
				lo, hi := c.lo[kj], c.hi[kj]
				row := dcol[r*c.ohw : (r+1)*c.ohw]
				r++
				if lo >= hi {
					continue
				}
				if c.same {
					// im2col's contiguous copy in reverse: the entries
					// that read padding are zeroed, then the rows inside
					// the image are added in one pass.
					y0, y1 := max(0, -offh), min(oh, H-offh)
					if y0 >= y1 {
						continue
					}
					off := offh*W + offw
					for oy := y0; oy < y1; oy++ {
						clear(row[oy*ow : oy*ow+lo])
						clear(row[oy*ow+hi : oy*ow+ow])
					}
					end := (y1-1)*ow + hi
					axpyUnitary(1, row[y0*ow+lo:end], xc[y0*ow+lo+off:end+off])
					continue
				}
				for oy := range oh {
					iy := oy*st + offh
					if iy < 0 || iy >= H {
						continue
					}
					src := row[oy*ow+lo : oy*ow+hi]
					dst := xc[iy*W : (iy+1)*W]
					if st == 1 {
						d := dst[lo+offw : hi+offw]
						d = d[:len(src)]
						for i, v := range src {
							d[i] += v
						}
					} else {
						for i, v := range src {
							dst[(lo+i)*st+offw] += v
						}
					}
				}
			}
		}
	}
}

// planeBiasAct computes y = act(y + b[ch]) on the consecutive planes of
// size plane of one sample (b may be nil), writing GELU's derivative to aux
// when aux is not nil.
func planeBiasAct(a activation, y, b []float32, plane int, aux []float32) {
	for ch := 0; ch*plane < len(y); ch++ {
		p := y[ch*plane : (ch+1)*plane]
		var bc float32
		if b != nil {
			bc = b[ch]
		}
		if a.kind == actReLU {
			planeRelu(p, bc)
			continue
		}
		if bc != 0 {
			for i := range p {
				p[i] += bc
			}
		}
		var ap []float32
		if aux != nil {
			ap = aux[ch*plane : (ch+1)*plane]
		}
		a.apply(p, ap)
	}
}

// planeActBackward turns dy, the gradient with respect to act's output y,
// into the gradient with respect to its input, in place, and adds each
// plane's sum to db[ch] when db is not nil.
func planeActBackward(a activation, dy, y, aux, db []float32, plane int) {
	for ch := 0; ch*plane < len(dy); ch++ {
		d := dy[ch*plane : (ch+1)*plane]
		yp := y[ch*plane : (ch+1)*plane]
		yp = yp[:len(d)]
		if a.kind == actReLU {
			s := planeReluBack(d, yp)
			if db != nil {
				db[ch] += s
			}
			continue
		}
		var ap []float32
		if aux != nil {
			ap = aux[ch*plane : (ch+1)*plane]
		}
		a.backwardRow(d, yp, ap, nil)
		if db != nil {
			var s float32
			for _, v := range d {
				s += v
			}
			db[ch] += s
		}
	}
}

// planeRelu sets y[i] = max(y[i]+b, 0), keeping NaN (so that divergence is
// seen).
func planeRelu(y []float32, b float32) {
	n := 0
	if useActAsm && len(y) >= 8 {
		n = len(y) &^ 7
		planeReluAVX2(&y[0], n, b)
	}
	planeReluGo(y[n:], b)
}

func planeReluGo(y []float32, b float32) {
	for i, v := range y {
		v += b
		if v < 0 {
			v = 0
		}
		y[i] = v
	}
}

// planeReluBack zeroes dy where y is not positive (ReLU's backward pass)
// and returns the sum of the result. The sum runs in eight interleaved
// partial sums, as the assembly kernel's lanes, so that both give the same
// bits.
func planeReluBack(dy, y []float32) float32 {
	y = y[:len(dy)]
	var acc [8]float32
	n := len(dy) &^ 7
	if useActAsm && n > 0 {
		planeReluBackAVX2(&dy[0], &y[0], n, &acc)
	} else {
		planeReluBackGo(dy[:n], y[:n], &acc)
	}
	s := ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]))
	for i, v := range y[n:] {
		if !(v > 0) {
			dy[n+i] = 0
		}
		s += dy[n+i]
	}
	return s
}

// planeReluBackGo is planeReluBack's loop on a multiple of 8 elements.
func planeReluBackGo(dy, y []float32, acc *[8]float32) {
	for i := 0; i+8 <= len(dy); i += 8 {
		d, yy := dy[i:i+8:i+8], y[i:i+8:i+8]
		for j := range 8 {
			if !(yy[j] > 0) {
				d[j] = 0
			}
			acc[j] += d[j]
		}
	}
}
