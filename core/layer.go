package core

import "fmt"

// A layer is one stage of a network working on a batch, one sample per
// row. Layers own their output and gradient buffers, sized for a maximum
// batch when they are built, so that forward and backward passes allocate
// nothing.
type layer interface {
	// forward computes the layer's output for x. The layer may keep x (or
	// a reference to it) for the backward pass, so x must not change until
	// then. The result is owned by the layer and valid until the next
	// forward call.
	forward(x *Tensor, train bool) *Tensor
	// backward takes the gradient of the loss with respect to the output of
	// the last forward call, accumulates nothing but overwrites the
	// gradients of the layer's parameters, and returns the gradient with
	// respect to the input, or nil when needInput is false. It may
	// overwrite dy.
	backward(dy *Tensor, needInput bool) *Tensor
	// params returns the layer's trainable parameters.
	params() []*param
}

// A param is one trainable tensor of a layer and its gradient. W and G are
// views into the model's parameter and gradient slabs, so that optimizers
// and checkpoints see all parameters as one vector.
type param struct {
	name       string // "dense1.weight"
	layer      string // "dense1"
	rows, cols int
	// decay: weight decay applies (weights yes, biases and batch-norm
	// parameters no).
	decay bool
	off   int // offset in the slabs
	w, g  []float32
}

func (p *param) len() int { return p.rows * p.cols }

// rowBuffer is a layer-owned tensor whose storage holds a maximum number of
// rows; view makes it a tensor of fewer rows without allocating.
type rowBuffer struct {
	t   Tensor
	buf []float32
}

func newRowBuffer(maxRows, cols int) rowBuffer {
	return rowBuffer{t: Tensor{Cols: cols}, buf: make([]float32, maxRows*cols)}
}

// view returns the buffer as a rows×cols tensor.
func (b *rowBuffer) view(rows int) *Tensor {
	n := rows * b.t.Cols
	if n > len(b.buf) {
		panic(fmt.Sprintf("core: batch of %d rows exceeds the %d the layer was built for", rows, len(b.buf)/max(b.t.Cols, 1)))
	}
	b.t.Rows = rows
	b.t.Data = b.buf[:n]
	return &b.t
}

func checkCols(who string, x *Tensor, cols int) {
	if x.Cols != cols || len(x.Data) < x.Rows*x.Cols {
		panic(fmt.Sprintf("core: %s: input is %dx%d (%d elements), want %d columns", who, x.Rows, x.Cols, len(x.Data), cols))
	}
}
