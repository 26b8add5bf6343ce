package core

// actLayer applies an activation on its own, for networks where it cannot
// be fused into the layer before it.
type actLayer struct {
	name string
	cols int
	act  activation
	y    rowBuffer
	aux  rowBuffer
}

func newActLayer(name string, cols, maxRows int, act activation) *actLayer {
	a := &actLayer{name: name, cols: cols, act: act, y: newRowBuffer(maxRows, cols)}
	if act.needsAux() {
		a.aux = newRowBuffer(maxRows, cols)
	}
	return a
}

func (a *actLayer) params() []*param { return nil }

func (a *actLayer) forward(x *Tensor, train bool) *Tensor {
	checkCols(a.name, x, a.cols)
	y := a.y.view(x.Rows)
	copy(y.Data, x.Data)
	var aux []float32
	if train && a.act.needsAux() {
		aux = a.aux.view(x.Rows).Data
	}
	a.act.apply(y.Data, aux)
	return y
}

func (a *actLayer) backward(dy *Tensor, needInput bool) *Tensor {
	if !needInput {
		return nil
	}
	var aux []float32
	if a.act.needsAux() {
		aux = a.aux.view(dy.Rows).Data
	}
	a.act.backward(dy.Data, a.y.view(dy.Rows).Data, aux, nil)
	return dy
}
