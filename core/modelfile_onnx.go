package core

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/dltune/dltune/internal/onnxpb"
	"google.golang.org/protobuf/proto"
)

// ONNX export. The file is an ONNX ModelProto (opset 13, IR version 7)
// built from the official schema's generated types (internal/onnxpb) and
// encoded by google.golang.org/protobuf. The writer lives in the core
// because it reads the layers, which the core does not export; onnxpb
// imports nothing of dltune, so dependencies still point toward the core.
//
// The graph takes raw features, as Predict does, and computes what
// Predict returns:
//
//	input → Sub offset → Mul scale (the normalization, when there is one)
//	→ per convolutional block (a CNN):
//	    Conv (strides, pads, dilations; bias without batch normalization)
//	    → batch normalization → activation → MaxPool | AveragePool
//	  or for a residual block:
//	    Conv → batch normalization → activation → Conv → batch normalization
//	    → Add the shortcut (the input, or Conv 1×1 → batch normalization)
//	    → activation
//	→ Flatten, or GlobalAveragePool → Flatten (a CNN)
//	→ per hidden layer: Gemm (or MatMul, then batch normalization) → activation
//	→ Gemm → Softmax (softmax cross-entropy) or Sigmoid (binary cross-entropy)
//	→ output [N, outputs]
//
// An MLP's input is [N, inputs], a CNN's [N, channels, height, width].
// Batch normalization is written in its inference form, the per-channel
// scale and shift that the core computes from the running statistics
// (gamma/√(var+ε) and beta − scale·mean), as Mul then Add: the arithmetic
// of Predict, and ops that every runtime has (BatchNormalization is absent
// from small runtimes such as gonnx). Dropout is the identity at
// inference and is left out. GELU is the tanh approximation the core
// computes, built from Mul, Add and Tanh (opset 13 has no Gelu).
const (
	onnxOpset     = 13
	onnxIRVersion = 7
	// maxONNXWeights bounds the bytes of weights WriteONNX writes: a
	// protobuf message holds less than 2 GiB, and larger ONNX models keep
	// their weights in external files, which WriteONNX does not write.
	maxONNXWeights = 1<<31 - 1<<20
)

// WriteONNX writes the model as an ONNX model that any ONNX runtime can
// run, with the model's normalization in the graph: its input is raw
// features, a float tensor [N, Inputs()] for an MLP or [N, channels,
// height, width] for a CNN (see Conv), and its output what Predict
// returns, [N, Outputs()]. Results agree with Predict to float32 rounding.
func (m *Model) WriteONNX(w io.Writer) (int64, error) {
	b, err := m.marshalONNX()
	if err != nil {
		return 0, err
	}
	n, err := w.Write(b)
	return int64(n), err
}

// marshalONNX returns the bytes WriteONNX writes.
func (m *Model) marshalONNX() ([]byte, error) {
	g := &onnxGraph{g: &onnxpb.GraphProto{Name: proto.String("dltune")}}
	inShape := []int64{int64(m.cfg.Inputs)}
	if c := m.conv; c != nil {
		inShape = []int64{int64(c.Channels), int64(c.Height), int64(c.Width)}
	}
	x := "input"
	if m.norm.Method != NormalizeNone {
		off, scale := make([]float32, len(m.norm.Offset)), make([]float32, len(m.norm.Scale))
		for j := range off {
			off[j], scale[j] = float32(m.norm.Offset[j]), float32(m.norm.Scale[j])
		}
		g.init("norm.offset", inShape, off)
		g.init("norm.scale", inShape, scale)
		x = g.node("Sub", "normalize.sub", []string{x, "norm.offset"})
		x = g.node("Mul", "normalize.mul", []string{x, "norm.scale"})
	}
	for _, l := range m.net.layers {
		var err error
		if x, err = g.layer(l, x); err != nil {
			return nil, err
		}
	}
	if n := 4 * int64(len(m.net.w)+len(m.net.state)); n > maxONNXWeights {
		return nil, fmt.Errorf("onnx: the model's weights take %d bytes, more than an ONNX file without external data holds (2 GiB); export a .dltm model file instead", n)
	}
	switch m.loss {
	case lossSoftmaxCE:
		x = g.node("Softmax", "softmax", []string{x}, onnxInt("axis", 1))
	case lossBCE:
		x = g.node("Sigmoid", "sigmoid", []string{x})
	}
	// Name the last output "output".
	last := g.g.Node[len(g.g.Node)-1]
	if last.Output[0] != x {
		panic("core: onnx: the graph's last node is not its output")
	}
	last.Output[0] = "output"
	g.g.Input = []*onnxpb.ValueInfoProto{onnxValueInfo("input", inShape)}
	g.g.Output = []*onnxpb.ValueInfoProto{onnxValueInfo("output", []int64{int64(m.cfg.Outputs)})}

	mp := &onnxpb.ModelProto{
		IrVersion:       proto.Int64(onnxIRVersion),
		ProducerName:    proto.String("dltune"),
		ProducerVersion: proto.String(strconv.Itoa(ModelFormat)),
		Graph:           g.g,
		OpsetImport:     []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(onnxOpset)}},
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(mp)
	if err != nil {
		return nil, fmt.Errorf("onnx: %w", err)
	}
	return b, nil
}

// layer appends the nodes of l, whose input is x, and returns its output.
// Every layer the core builds has a case; another is an error.
func (g *onnxGraph) layer(l layer, x string) (string, error) {
	switch l := l.(type) {
	case *dense:
		g.init(l.w.name, []int64{int64(l.in), int64(l.out)}, l.w.w)
		if l.b != nil {
			g.init(l.b.name, []int64{int64(l.out)}, l.b.w)
			x = g.node("Gemm", l.name, []string{x, l.w.name, l.b.name})
		} else {
			x = g.node("MatMul", l.name, []string{x, l.w.name})
		}
		return g.activation(l.act, l.name, x), nil
	case *batchNorm:
		x = g.scaleShift(l.name, []int64{int64(l.cols)}, l.gamma.w, l.beta.w, l.runMean, l.runVar, x)
		return g.activation(l.act, l.name, x), nil
	case *dropout:
		return x, nil // the identity at inference
	case *conv2D:
		return g.activation(l.act, l.name, g.conv(l, x)), nil
	case *batchNorm2D:
		return g.activation(l.act, l.name, g.bn2D(l, x)), nil
	case *residual:
		h := g.activation(l.bn1.act, l.bn1.name, g.bn2D(l.bn1, g.conv(l.conv1, x)))
		h = g.activation(l.bn2.act, l.bn2.name, g.bn2D(l.bn2, g.conv(l.conv2, h)))
		s := x
		if l.proj != nil {
			s = g.activation(l.bnProj.act, l.bnProj.name, g.bn2D(l.bnProj, g.conv(l.proj, x)))
		}
		return g.activation(l.act, l.name, g.node("Add", l.name+".add", []string{h, s})), nil
	case *maxPool2D:
		return g.node("MaxPool", l.name, []string{x},
			onnxInts("kernel_shape", l.k, l.k), onnxInts("strides", l.stride, l.stride)), nil
	case *avgPool2D:
		return g.node("AveragePool", l.name, []string{x},
			onnxInts("kernel_shape", l.k, l.k), onnxInts("strides", l.stride, l.stride)), nil
	case *globalAvgPool:
		x = g.node("GlobalAveragePool", l.name, []string{x})
		return g.node("Flatten", l.name+".flatten", []string{x}, onnxInt("axis", 1)), nil
	case *flatten:
		return g.node("Flatten", l.name, []string{x}, onnxInt("axis", 1)), nil
	}
	return "", fmt.Errorf("onnx: layer %T has no ONNX form", l)
}

// onnxGraph builds a GraphProto.
type onnxGraph struct {
	g *onnxpb.GraphProto
}

// node adds a node with one output, named after the node, and returns it.
func (g *onnxGraph) node(op, name string, inputs []string, attrs ...*onnxpb.AttributeProto) string {
	out := name + ".out"
	g.g.Node = append(g.g.Node, &onnxpb.NodeProto{
		OpType: proto.String(op), Name: proto.String(name),
		Input: inputs, Output: []string{out}, Attribute: attrs,
	})
	return out
}

// init adds a float initializer, stored as little-endian raw data.
func (g *onnxGraph) init(name string, dims []int64, v []float32) {
	raw := make([]byte, 0, 4*len(v))
	for _, f := range v {
		raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(f))
	}
	g.g.Initializer = append(g.g.Initializer, &onnxpb.TensorProto{
		Dims: dims, DataType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)), Name: proto.String(name), RawData: raw,
	})
}

// scalar adds a float scalar initializer and returns its name.
func (g *onnxGraph) scalar(name string, v float32) string {
	g.init(name, nil, []float32{v})
	return name
}

// conv adds c's convolution, without its activation.
func (g *onnxGraph) conv(c *conv2D, x string) string {
	g.init(c.w.name, []int64{int64(c.out.c), int64(c.in.c), int64(c.k), int64(c.k)}, c.w.w)
	in := []string{x, c.w.name}
	if c.b != nil {
		g.init(c.b.name, []int64{int64(c.out.c)}, c.b.w)
		in = append(in, c.b.name)
	}
	return g.node("Conv", c.name, in,
		onnxInts("kernel_shape", c.k, c.k), onnxInts("strides", c.stride, c.stride),
		onnxInts("pads", c.pad, c.pad, c.pad, c.pad), onnxInts("dilations", c.dil, c.dil))
}

// bn2D adds b's batch normalization over channels, without its activation.
func (g *onnxGraph) bn2D(b *batchNorm2D, x string) string {
	return g.scaleShift(b.name, []int64{int64(b.shape.c), 1, 1}, b.gamma.w, b.beta.w, b.runMean, b.runVar, x)
}

// scaleShift adds batch normalization in inference form, x·scale + shift
// per channel, with scale and shift computed as batchNorm and batchNorm2D
// compute them when not training; dims broadcast them over x.
func (g *onnxGraph) scaleShift(name string, dims []int64, gamma, beta, mean, variance []float32, x string) string {
	scale, shift := make([]float32, len(gamma)), make([]float32, len(gamma))
	for c := range gamma {
		s := gamma[c] / float32(math.Sqrt(float64(variance[c])+bnEpsilon))
		scale[c], shift[c] = s, beta[c]-s*mean[c]
	}
	g.init(name+".scale", dims, scale)
	g.init(name+".shift", dims, shift)
	x = g.node("Mul", name+".mul", []string{x, name + ".scale"})
	return g.node("Add", name, []string{x, name + ".shift"})
}

// activation appends the nodes of a and returns the output.
func (g *onnxGraph) activation(a activation, layer, x string) string {
	switch a.kind {
	case actIdentity:
		return x
	case actReLU:
		return g.node("Relu", layer+".relu", []string{x})
	case actLeakyReLU:
		return g.node("LeakyRelu", layer+".leaky_relu", []string{x}, onnxFloat("alpha", a.slope))
	case actTanh:
		return g.node("Tanh", layer+".tanh", []string{x})
	case actSigmoid:
		return g.node("Sigmoid", layer+".sigmoid", []string{x})
	case actGELU:
		// 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
		p := layer + ".gelu"
		c := g.scalar(p+".c", 0.7978845608028654)
		k := g.scalar(p+".k", 0.044715)
		half := g.scalar(p+".half", 0.5)
		one := g.scalar(p+".one", 1)
		x2 := g.node("Mul", p+".x2", []string{x, x})
		x3 := g.node("Mul", p+".x3", []string{x2, x})
		kx3 := g.node("Mul", p+".kx3", []string{k, x3})
		in := g.node("Add", p+".inner", []string{x, kx3})
		t := g.node("Tanh", p+".tanh", []string{g.node("Mul", p+".scaled", []string{c, in})})
		hx := g.node("Mul", p+".hx", []string{half, x})
		return g.node("Mul", p+".y", []string{hx, g.node("Add", p+".one_plus", []string{one, t})})
	}
	panic("core: onnx: unknown activation")
}

func onnxInt(name string, v int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(v)}
}

func onnxInts(name string, v ...int) *onnxpb.AttributeProto {
	ints := make([]int64, len(v))
	for i, n := range v {
		ints[i] = int64(n)
	}
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_INTS.Enum(), Ints: ints}
}

func onnxFloat(name string, v float32) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_FLOAT.Enum(), F: proto.Float32(v)}
}

// onnxValueInfo describes a float tensor [N, dims...] with N symbolic.
func onnxValueInfo(name string, dims []int64) *onnxpb.ValueInfoProto {
	shape := &onnxpb.TensorShapeProto{Dim: []*onnxpb.TensorShapeProto_Dimension{
		{Value: &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: "N"}},
	}}
	for _, d := range dims {
		shape.Dim = append(shape.Dim, &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: d}})
	}
	return &onnxpb.ValueInfoProto{
		Name: proto.String(name),
		Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{
			ElemType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)), Shape: shape,
		}}},
	}
}
