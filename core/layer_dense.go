package core

import "fmt"

// dense is a fully connected layer y = act(x·W + b) with the activation
// fused into the bias pass. W is in×out, so that a batch is one product of
// row-major matrices; b may be absent (when batch normalization follows).
type dense struct {
	name    string
	in, out int
	act     activation
	w, b    *param // b is nil without bias
	gemm    *Gemm

	x   *Tensor   // input of the last forward call
	y   rowBuffer // output, after the activation
	aux rowBuffer // activation derivative (GELU only)
	dx  rowBuffer
}

// newDense returns a dense layer for batches of up to maxRows samples. Its
// parameters still need storage (see model) and initialization.
func newDense(name string, in, out, maxRows int, bias bool, act activation, g *Gemm) *dense {
	d := &dense{
		name: name, in: in, out: out, act: act, gemm: g,
		w:  &param{name: name + ".weight", layer: name, rows: in, cols: out, decay: true},
		y:  newRowBuffer(maxRows, out),
		dx: newRowBuffer(maxRows, in),
	}
	if bias {
		d.b = &param{name: name + ".bias", layer: name, rows: 1, cols: out}
	}
	if act.needsAux() {
		d.aux = newRowBuffer(maxRows, out)
	}
	return d
}

func (d *dense) params() []*param {
	if d.b == nil {
		return []*param{d.w}
	}
	return []*param{d.w, d.b}
}

func (d *dense) forward(x *Tensor, train bool) *Tensor {
	checkCols(d.name, x, d.in)
	n := x.Rows
	d.x = x
	y := d.y.view(n)
	d.gemm.Sgemm(NoTrans, NoTrans, n, d.out, d.in, 1, x.Data, d.in, d.w.w, d.out, 0, y.Data, d.out)
	var aux []float32
	if train && d.act.needsAux() {
		aux = d.aux.view(n).Data
	}
	var b []float32
	if d.b != nil {
		b = d.b.w
	}
	d.act.biasAct(y.Data, b, aux)
	return y
}

func (d *dense) backward(dy *Tensor, needInput bool) *Tensor {
	n := d.x.Rows
	if dy.Rows != n || dy.Cols != d.out {
		panic(fmt.Sprintf("core: %s: gradient is %dx%d, want %dx%d", d.name, dy.Rows, dy.Cols, n, d.out))
	}
	var db, aux []float32
	if d.b != nil {
		db = d.b.g
	}
	if d.act.needsAux() {
		aux = d.aux.view(n).Data
	}
	// dz = dy ⊙ act'(z), and db = Σ_rows dz, in one pass.
	d.act.backward(dy.Data, d.y.view(n).Data, aux, db)
	// dW = xᵀ·dz
	d.gemm.Sgemm(Trans, NoTrans, d.in, d.out, n, 1, d.x.Data, d.in, dy.Data, d.out, 0, d.w.g, d.out)
	if !needInput {
		return nil
	}
	// dx = dz·Wᵀ
	dx := d.dx.view(n)
	d.gemm.Sgemm(NoTrans, Trans, n, d.in, d.out, 1, dy.Data, d.out, d.w.w, d.out, 0, dx.Data, d.in)
	return dx
}
