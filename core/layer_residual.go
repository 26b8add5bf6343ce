package core

import "fmt"

// residual is a basic residual block (He et al. 2016):
//
//	y = act(bn2(conv2(act(bn1(conv1(x))))) + shortcut(x))
//
// conv1 has the block's stride, conv2 stride 1, both k×k with "same"
// padding (k odd) and no bias. The shortcut is the identity when the
// shape is unchanged, otherwise a 1×1 convolution of the block's stride
// followed by batch normalization (the projection shortcut). Gradients
// reach the input through the shortcut undiminished, which is what lets
// deep stacks of these blocks train.
type residual struct {
	name       string
	in, out    imageShape
	act        activation
	conv1      *conv2D
	bn1        *batchNorm2D
	conv2      *conv2D
	bn2        *batchNorm2D
	proj       *conv2D // nil for the identity shortcut
	bnProj     *batchNorm2D
	y, aux, ds rowBuffer
	dx         rowBuffer
	n          int
}

func newResidual(name string, in imageShape, filters, k, stride, maxRows int, act activation, g *Gemm) *residual {
	if k%2 == 0 {
		panic(fmt.Sprintf("core: %s: residual blocks need an odd kernel size, not %d", name, k))
	}
	r := &residual{name: name, in: in, act: act}
	r.conv1 = newConv2D(name+".conv1", in, filters, k, stride, k/2, 1, maxRows, false, activation{}, g)
	r.bn1 = newBatchNorm2D(name+".bn1", r.conv1.out, maxRows, act)
	r.conv2 = newConv2D(name+".conv2", r.conv1.out, filters, k, 1, k/2, 1, maxRows, false, activation{}, g)
	r.bn2 = newBatchNorm2D(name+".bn2", r.conv2.out, maxRows, activation{})
	r.out = r.conv2.out
	if r.out != in {
		r.proj = newConv2D(name+".proj", in, filters, 1, stride, 0, 1, maxRows, false, activation{}, g)
		r.bnProj = newBatchNorm2D(name+".bn_proj", r.proj.out, maxRows, activation{})
	}
	r.y = newRowBuffer(maxRows, r.out.size())
	r.ds = newRowBuffer(maxRows, r.out.size())
	r.dx = newRowBuffer(maxRows, in.size())
	if act.needsAux() {
		r.aux = newRowBuffer(maxRows, r.out.size())
	}
	return r
}

// convs returns the block's convolutions, input side first.
func (r *residual) convs() []*conv2D {
	if r.proj == nil {
		return []*conv2D{r.conv1, r.conv2}
	}
	return []*conv2D{r.conv1, r.conv2, r.proj}
}

// norms returns the block's batch normalizations.
func (r *residual) norms() []*batchNorm2D {
	if r.proj == nil {
		return []*batchNorm2D{r.bn1, r.bn2}
	}
	return []*batchNorm2D{r.bn1, r.bn2, r.bnProj}
}

func (r *residual) params() []*param {
	var ps []*param
	ps = append(ps, r.conv1.params()...)
	ps = append(ps, r.bn1.params()...)
	ps = append(ps, r.conv2.params()...)
	ps = append(ps, r.bn2.params()...)
	if r.proj != nil {
		ps = append(ps, r.proj.params()...)
		ps = append(ps, r.bnProj.params()...)
	}
	return ps
}

func (r *residual) forward(x *Tensor, train bool) *Tensor {
	checkCols(r.name, x, r.in.size())
	r.n = x.Rows
	h := r.bn2.forward(r.conv2.forward(r.bn1.forward(r.conv1.forward(x, train), train), train), train)
	s := x
	if r.proj != nil {
		s = r.bnProj.forward(r.proj.forward(x, train), train)
	}
	y := r.y.view(x.Rows)
	for i, v := range h.Data[:len(y.Data)] {
		y.Data[i] = v + s.Data[i]
	}
	var aux []float32
	if train && r.act.needsAux() {
		aux = r.aux.view(x.Rows).Data
	}
	r.act.apply(y.Data, aux)
	return y
}

func (r *residual) backward(dy *Tensor, needInput bool) *Tensor {
	n := r.n
	if dy.Rows != n || dy.Cols != r.out.size() {
		panic(fmt.Sprintf("core: %s: gradient is %dx%d, want %dx%d", r.name, dy.Rows, dy.Cols, n, r.out.size()))
	}
	var aux []float32
	if r.act.needsAux() {
		aux = r.aux.view(n).Data
	}
	r.act.backwardRow(dy.Data, r.y.view(n).Data, aux, nil)
	// The main path may overwrite dy; the shortcut gets a copy.
	ds := r.ds.view(n)
	copy(ds.Data, dy.Data)
	g := r.conv1.backward(r.bn1.backward(r.conv2.backward(r.bn2.backward(dy, true), true), true), needInput)
	gs := ds
	if r.proj != nil {
		gs = r.proj.backward(r.bnProj.backward(ds, true), needInput)
	}
	if !needInput {
		return nil
	}
	dx := r.dx.view(n)
	for i, v := range g.Data[:len(dx.Data)] {
		dx.Data[i] = v + gs.Data[i]
	}
	return dx
}
