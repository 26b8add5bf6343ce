package core

// FirstConvWeights returns a copy of the weights of the model's first
// convolution layer (the first block's, or its residual block's first
// convolution) and their shape: out channels × in channels × kernel height
// × kernel width, PyTorch's layout. For an MLP it returns nil and a zero
// shape. The weights are the current ones: after Fit, those of the last
// epoch trained.
func (t *Trainer) FirstConvWeights() ([]float32, [4]int) {
	c := t.model.firstConv()
	if c == nil {
		return nil, [4]int{}
	}
	return append([]float32(nil), c.w.w...), [4]int{c.out.c, c.in.c, c.k, c.k}
}

// firstConv returns the convolution nearest the input, or nil.
func (m *model) firstConv() *conv2D {
	for _, l := range m.layers {
		switch l := l.(type) {
		case *conv2D:
			return l
		case *residual:
			return l.conv1
		}
	}
	return nil
}
