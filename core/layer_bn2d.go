package core

import (
	"fmt"
	"math"
)

// batchNorm2D is batch normalization over the channels of an NCHW batch
// (PyTorch's BatchNorm2d): each channel is normalized over every sample and
// pixel of the batch, then scaled and shifted by its gamma and beta, with a
// fused activation. Running statistics, momentum and epsilon are as in
// batchNorm.
type batchNorm2D struct {
	name        string
	shape       imageShape
	act         activation
	gamma, beta *param
	// runMean and runVar live in the model's state slab.
	runMean, runVar []float32

	invStd, scale, shift []float32
	mean                 []float64
	xhat, y, aux, dx     rowBuffer
	n                    int
	train                bool
}

func newBatchNorm2D(name string, shape imageShape, maxRows int, act activation) *batchNorm2D {
	c := shape.c
	b := &batchNorm2D{
		name: name, shape: shape, act: act,
		gamma:  &param{name: name + ".gamma", layer: name, rows: 1, cols: c},
		beta:   &param{name: name + ".beta", layer: name, rows: 1, cols: c},
		invStd: make([]float32, c), scale: make([]float32, c), shift: make([]float32, c),
		mean: make([]float64, c),
		xhat: newRowBuffer(maxRows, shape.size()),
		y:    newRowBuffer(maxRows, shape.size()),
		dx:   newRowBuffer(maxRows, shape.size()),
	}
	if act.needsAux() {
		b.aux = newRowBuffer(maxRows, shape.size())
	}
	return b
}

func (b *batchNorm2D) stateLen() int { return 2 * b.shape.c }

func (b *batchNorm2D) setState(s []float32) {
	c := b.shape.c
	b.runMean, b.runVar = s[:c:c], s[c:2*c:2*c]
	clear(b.runMean)
	for i := range b.runVar {
		b.runVar[i] = 1
	}
}

func (b *batchNorm2D) params() []*param { return []*param{b.gamma, b.beta} }

func (b *batchNorm2D) forward(x *Tensor, train bool) *Tensor {
	checkCols(b.name, x, b.shape.size())
	n, C, pl := x.Rows, b.shape.c, b.shape.plane()
	b.n, b.train = n, train
	y := b.y.view(n)
	gamma, beta := b.gamma.w[:C], b.beta.w[:C]
	scale, shift := b.scale[:C], b.shift[:C]
	var aux []float32
	if train && b.act.needsAux() {
		aux = b.aux.view(n).Data
	}
	if !train {
		for c := range C {
			s := gamma[c] / float32(math.Sqrt(float64(b.runVar[c])+bnEpsilon))
			scale[c], shift[c] = s, beta[c]-s*b.runMean[c]
		}
	} else {
		// Per channel, the mean then the squared deviations, in float64.
		cnt := float64(n * pl)
		for c := range C {
			var sum float64
			for s := range n {
				for _, v := range x.Data[(s*C+c)*pl : (s*C+c+1)*pl] {
					sum += float64(v)
				}
			}
			mean := sum / cnt
			var sq float64
			for s := range n {
				for _, v := range x.Data[(s*C+c)*pl : (s*C+c+1)*pl] {
					d := float64(v) - mean
					sq += d * d
				}
			}
			inv := 1 / math.Sqrt(sq/cnt+bnEpsilon)
			b.mean[c], b.invStd[c] = mean, float32(inv)
			b.runMean[c] = float32((1-bnMomentum)*float64(b.runMean[c]) + bnMomentum*mean)
			if cnt > 1 {
				b.runVar[c] = float32((1-bnMomentum)*float64(b.runVar[c]) + bnMomentum*sq/(cnt-1))
			}
		}
		xhat := b.xhat.view(n)
		for s := range n {
			for c := range C {
				o := (s*C + c) * pl
				m, inv := float32(b.mean[c]), b.invStd[c]
				h := xhat.Data[o : o+pl]
				for i, v := range x.Data[o : o+pl] {
					h[i] = (v - m) * inv
				}
			}
		}
		copy(scale, gamma)
		copy(shift, beta)
		x = xhat
	}
	// y = act(scale·x + shift), x being xhat while training.
	for s := range n {
		for c := range C {
			o := (s*C + c) * pl
			sc, sh := scale[c], shift[c]
			yp := y.Data[o : o+pl]
			xp := x.Data[o : o+pl]
			xp = xp[:len(yp)]
			if b.act.kind == actReLU {
				for i, v := range xp {
					v = v*sc + sh
					if v < 0 {
						v = 0
					}
					yp[i] = v
				}
				continue
			}
			for i, v := range xp {
				yp[i] = v*sc + sh
			}
			var ap []float32
			if aux != nil {
				ap = aux[o : o+pl]
			}
			b.act.apply(yp, ap)
		}
	}
	return y
}

func (b *batchNorm2D) backward(dy *Tensor, needInput bool) *Tensor {
	n, C, pl := b.n, b.shape.c, b.shape.plane()
	if !b.train {
		panic(fmt.Sprintf("core: %s: backward after an evaluation forward pass", b.name))
	}
	if dy.Rows != n || dy.Cols != b.shape.size() {
		panic(fmt.Sprintf("core: %s: gradient is %dx%d, want %dx%d", b.name, dy.Rows, dy.Cols, n, b.shape.size()))
	}
	var aux []float32
	if b.act.needsAux() {
		aux = b.aux.view(n).Data
	}
	y, xhat := b.y.view(n), b.xhat.view(n)
	dgamma, dbeta := b.gamma.g[:C], b.beta.g[:C]
	clear(dgamma)
	clear(dbeta)
	// dz = dy ⊙ act'(z); dbeta = Σ dz, dgamma = Σ dz·xhat per channel.
	for s := range n {
		for c := range C {
			o := (s*C + c) * pl
			d := dy.Data[o : o+pl]
			var ap []float32
			if aux != nil {
				ap = aux[o : o+pl]
			}
			if b.act.kind != actIdentity {
				b.act.backwardRow(d, y.Data[o:o+pl], ap, nil)
			}
			var sb, sg float32
			h := xhat.Data[o : o+pl]
			h = h[:len(d)]
			for i, v := range d {
				sb += v
				sg += v * h[i]
			}
			dbeta[c] += sb
			dgamma[c] += sg
		}
	}
	if !needInput {
		return nil
	}
	// dx = gamma·invStd/m · (m·dz - Σdz - xhat·Σ(dz·xhat)), m = n·plane.
	dx := b.dx.view(n)
	m := float32(n * pl)
	for s := range n {
		for c := range C {
			o := (s*C + c) * pl
			k := b.gamma.w[c] * b.invStd[c] / m
			db, dg := dbeta[c], dgamma[c]
			d, h, out := dy.Data[o:o+pl], xhat.Data[o:o+pl], dx.Data[o:o+pl]
			h, out = h[:len(d)], out[:len(d)]
			for i, v := range d {
				out[i] = k * (m*v - db - h[i]*dg)
			}
		}
	}
	return dx
}
