package core

import "fmt"

// ConvConfig describes the convolutional part of a network: the shape of
// its input images and a stack of blocks, input side first. The feature
// maps of the last block, flattened (or averaged per channel with
// GlobalPool), feed the dense layers of Config.Model, whose Hidden widths,
// Dropout and BatchNorm then apply to those dense layers only; its
// Activation and Init apply to every layer.
//
// Layers are named for diagnostics and errors by block, from 1: block i's
// convolution is conv<i> (its batch normalization conv<i>.bn); a residual
// block's are res<i>.conv1, res<i>.conv2 and, with a projection shortcut,
// res<i>.proj. The dense layers are dense1, dense2, ... as in an MLP.
//
// For example, the small CNN of Fashion-MNIST tutorials, conv(16, 3×3,
// pad 1)-ReLU-maxpool 2 → conv(32, 3×3, pad 1)-ReLU-maxpool 2 → dense(10):
//
//	&ConvConfig{Height: 28, Width: 28, Blocks: []ConvBlock{
//		{Filters: 16, Kernel: 3, Padding: 1, Pool: "max"},
//		{Filters: 32, Kernel: 3, Padding: 1, Pool: "max"},
//	}}
type ConvConfig struct {
	// Channels, Height and Width are the shape of one image. A sample's
	// features are its pixels in channel, row, column order (NCHW), so
	// Channels·Height·Width must equal the number of features. All three
	// 0 takes the shape from the training data's Shape (height×width, or
	// channels×height×width, as IDX images have); otherwise Channels 0
	// means 1.
	Channels, Height, Width int
	Blocks                  []ConvBlock
	// GlobalPool averages every channel of the last block's output over
	// the image (global average pooling) before the dense layers.
	GlobalPool bool
}

// A ConvBlock is one convolution, or with Residual a residual block of
// two, followed by the activation, optional pooling and optional dropout.
type ConvBlock struct {
	// Filters is the number of output channels.
	Filters int
	// Kernel is the side of the square kernel.
	Kernel int
	// Stride of the convolution (of the residual block's first one); 0
	// means 1.
	Stride int
	// Padding is the zero padding on every side of the input.
	Padding int
	// Dilation spaces the kernel's taps; 0 means 1.
	Dilation int
	// BatchNorm normalizes the convolution's output over each channel
	// before the activation; the convolution then has no bias.
	BatchNorm bool
	// Residual makes the block a residual block (He et al. 2016): two
	// Kernel×Kernel convolutions with batch normalization and "same"
	// padding, the first of stride Stride, added to a shortcut (the
	// identity, or a 1×1 convolution with batch normalization when the
	// shape changes) before the activation. Kernel must be odd; Padding,
	// Dilation and BatchNorm must be left zero.
	Residual bool
	// Pool is "" (none), "max" or "avg".
	Pool string
	// PoolSize is the side of the pooling window, 0 meaning 2; PoolStride
	// its stride, 0 meaning PoolSize.
	PoolSize, PoolStride int
	// Dropout is the probability of dropping each element of the block's
	// output while training, in [0, 1).
	Dropout float64
}

// convPlan is a validated ConvConfig with its defaults filled in and the
// shape of every block's input.
type convPlan struct {
	in     imageShape
	blocks []ConvBlock
	shapes []imageShape // shapes[i] is block i's input; shapes[len(blocks)] the last output
	conv   []imageShape // conv[i] is block i's output before pooling
	out    imageShape   // what the dense layers see (1×1 planes after global pooling)
}

// maxConvFloats bounds a block's output per sample, so that a shape too
// large for memory is an error rather than an overflow.
const maxConvFloats = 1 << 28

// plan validates c for inputs features of the data's shape (Dataset.Shape,
// nil if none), naming the field at fault ("model.blocks[1].kernel:
// ..."), and computes the shapes.
func (c *ConvConfig) plan(inputs int, shape []int) (*convPlan, error) {
	in := imageShape{c.Channels, c.Height, c.Width}
	if in == (imageShape{}) {
		switch len(shape) {
		case 2:
			in = imageShape{1, shape[0], shape[1]}
		case 3:
			in = imageShape{shape[0], shape[1], shape[2]}
		default:
			what := "the data has no image shape (CSV data has none)"
			if len(shape) > 0 {
				what = fmt.Sprintf("the data's samples have %d dimensions, not an image's 2 or 3", len(shape))
			}
			return nil, fmt.Errorf("model.input: not set, and %s; give channels, height and width", what)
		}
	}
	if in.c == 0 {
		in.c = 1
	}
	if in.c < 0 || in.h <= 0 || in.w <= 0 || in.c > maxConvFloats || in.h > maxConvFloats || in.w > maxConvFloats {
		return nil, fmt.Errorf("model.input: %dx%dx%d (channels x height x width) is not a positive image shape", in.c, in.h, in.w)
	}
	if s := int64(in.c) * int64(in.h) * int64(in.w); s != int64(inputs) {
		return nil, fmt.Errorf("model.input: a %v image has %d values, the data %d features", in, s, inputs)
	}
	if len(c.Blocks) == 0 {
		return nil, fmt.Errorf("model.blocks: a convolutional model needs at least one block")
	}
	p := &convPlan{in: in, blocks: append([]ConvBlock(nil), c.Blocks...), shapes: []imageShape{in}}
	sh := in
	for i := range p.blocks {
		b := &p.blocks[i]
		field := func(name string) string { return fmt.Sprintf("model.blocks[%d].%s", i, name) }
		switch {
		case b.Filters <= 0 || b.Filters > maxConvFloats:
			return nil, fmt.Errorf("%s: %d is not a positive number of filters", field("filters"), b.Filters)
		case b.Kernel <= 0 || b.Kernel > maxConvFloats:
			return nil, fmt.Errorf("%s: %d is not a positive kernel size", field("kernel"), b.Kernel)
		case b.Stride < 0 || b.Stride > maxConvFloats:
			return nil, fmt.Errorf("%s: %d is negative", field("stride"), b.Stride)
		case b.Padding < 0 || b.Padding > maxConvFloats:
			return nil, fmt.Errorf("%s: %d is negative", field("padding"), b.Padding)
		case b.Dilation < 0 || b.Dilation > maxConvFloats:
			return nil, fmt.Errorf("%s: %d is negative", field("dilation"), b.Dilation)
		case !(b.Dropout >= 0 && b.Dropout < 1):
			return nil, fmt.Errorf("%s: %v is not in [0, 1)", field("dropout"), b.Dropout)
		}
		b.Stride, b.Dilation = max(b.Stride, 1), max(b.Dilation, 1)
		if b.Residual {
			switch {
			case b.Kernel%2 == 0:
				return nil, fmt.Errorf("%s: a residual block needs an odd kernel size, not %d", field("kernel"), b.Kernel)
			case b.Padding != 0:
				return nil, fmt.Errorf("%s: a residual block pads its convolutions itself (\"same\" padding); leave it 0", field("padding"))
			case b.Dilation != 1:
				return nil, fmt.Errorf("%s: residual blocks are not dilated", field("dilation"))
			case b.BatchNorm:
				return nil, fmt.Errorf("%s: a residual block always has batch normalization; leave it false", field("batch_norm"))
			}
			b.Padding = b.Kernel / 2
		}
		oh, ow := convOut(sh.h, b.Kernel, b.Stride, b.Padding, b.Dilation), convOut(sh.w, b.Kernel, b.Stride, b.Padding, b.Dilation)
		if oh < 1 || ow < 1 {
			return nil, fmt.Errorf("%s: a %dx%d kernel (dilation %d, padding %d) does not fit the %dx%d input of block %d",
				field("kernel"), b.Kernel, b.Kernel, b.Dilation, b.Padding, sh.h, sh.w, i)
		}
		sh = imageShape{b.Filters, oh, ow}
		if int64(sh.c)*int64(sh.h)*int64(sh.w) > maxConvFloats {
			return nil, fmt.Errorf("%s: the block's output of %d channels of %dx%d is too large", field("filters"), sh.c, sh.h, sh.w)
		}
		p.conv = append(p.conv, sh)
		switch b.Pool {
		case "":
			if b.PoolSize != 0 || b.PoolStride != 0 {
				return nil, fmt.Errorf("%s: set without model.blocks[%d].pool", field("pool_size"), i)
			}
		case "max", "avg":
			if b.PoolSize < 0 || b.PoolStride < 0 {
				return nil, fmt.Errorf("%s: pool size %d and stride %d must not be negative", field("pool_size"), b.PoolSize, b.PoolStride)
			}
			if b.PoolSize == 0 {
				b.PoolSize = 2
			}
			if b.PoolStride == 0 {
				b.PoolStride = b.PoolSize
			}
			ph, pw := convOut(sh.h, b.PoolSize, b.PoolStride, 0, 1), convOut(sh.w, b.PoolSize, b.PoolStride, 0, 1)
			if ph < 1 || pw < 1 {
				return nil, fmt.Errorf("%s: a %dx%d window does not fit the %dx%d output of the block's convolution",
					field("pool_size"), b.PoolSize, b.PoolSize, sh.h, sh.w)
			}
			sh = imageShape{sh.c, ph, pw}
		default:
			return nil, fmt.Errorf("%s: unknown pooling %q (want max or avg)", field("pool"), b.Pool)
		}
		p.shapes = append(p.shapes, sh)
	}
	p.out = sh
	if c.GlobalPool {
		p.out = imageShape{sh.c, 1, 1}
	}
	return p, nil
}

// convFlops returns the multiply-adds of one sample's forward pass through
// the convolutions of p, for benchmarks.
func (p *convPlan) convFlops() float64 {
	var f float64
	for i, b := range p.blocks {
		in, out := p.shapes[i], p.conv[i]
		f += float64(out.size()) * float64(in.c*b.Kernel*b.Kernel)
		if b.Residual {
			f += float64(out.size()) * float64(out.c*b.Kernel*b.Kernel)
			if in != out {
				f += float64(out.size()) * float64(in.c)
			}
		}
	}
	return 2 * f
}

// convEstimate is what the convolutional part of a model allocates, in the
// terms of EstimateMemory: floats in the parameter slab and the state, per
// batch row, bytes of per-layer vectors, parameter tensors, weighted
// layers, the most channels, and a bound of the GEMM's packing buffers.
type convEstimate struct {
	slab, state, perRow, vecs, np, convs, widest, gemm int64
}

func (p *convPlan) estimate(aux bool) convEstimate {
	var e convEstimate
	var pa, pb int64
	kn := bestKernel
	product := func(m, n, k int64) {
		kc := gemmBlock(k, int64(kn.kc), 1)
		pa = max(pa, roundUp64(min(gemmBlock(m, int64(kn.mc), int64(kn.mr)), m), int64(kn.mr))*kc)
		pb = max(pb, roundUp64(min(gemmBlock(n, int64(kn.nc), int64(kn.nr)), n), int64(kn.nr))*kc)
	}
	conv := func(in, out imageShape, k int, bias, act bool) {
		ckk, ohw := int64(in.c*k*k), int64(out.plane())
		e.slab += roundUp64(int64(out.c)*ckk, slabAlign)
		e.np++
		if bias {
			e.slab += roundUp64(int64(out.c), slabAlign)
			e.np++
		}
		e.perRow += int64(out.size() + in.size()) // y, dx
		if act && aux {
			e.perRow += int64(out.size())
		}
		e.vecs += 4*2*ckk*ohw + 2*8*int64(k) // col, dcol, lo, hi
		e.convs++
		e.widest = max(e.widest, int64(out.c))
		product(int64(out.c), ohw, ckk)
		product(int64(out.c), ckk, ohw)
		product(ckk, ohw, int64(out.c))
	}
	bn := func(s imageShape, act bool) {
		e.slab += 2 * roundUp64(int64(s.c), slabAlign)
		e.np += 2
		e.state += 2 * int64(s.c)
		e.perRow += 3 * int64(s.size()) // xhat, y, dx
		if act && aux {
			e.perRow += int64(s.size())
		}
		e.vecs += int64(s.c) * (4*3 + 8)
	}
	for i, b := range p.blocks {
		in, co, out := p.shapes[i], p.conv[i], p.shapes[i+1]
		switch {
		case b.Residual:
			conv(in, co, b.Kernel, false, false)
			bn(co, true)
			conv(co, co, b.Kernel, false, false)
			bn(co, false)
			if co != in {
				conv(in, co, 1, false, false)
				bn(co, false)
			}
			e.perRow += 2*int64(co.size()) + int64(in.size()) // y, ds, dx
			if aux {
				e.perRow += int64(co.size())
			}
		case b.BatchNorm:
			conv(in, co, b.Kernel, false, false)
			bn(co, true)
		default:
			conv(in, co, b.Kernel, true, true)
		}
		if b.Pool != "" {
			e.perRow += 2*int64(out.size()) + int64(co.size()) // y, index, dx
		}
		if b.Dropout > 0 {
			e.perRow += 2 * int64(out.size())
		}
	}
	if p.out != p.shapes[len(p.blocks)] {
		e.perRow += int64(p.out.size() + p.shapes[len(p.blocks)].size()) // global pooling: y, dx
	}
	e.gemm = 4 * (pa + pb)
	return e
}
