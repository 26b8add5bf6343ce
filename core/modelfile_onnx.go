package core

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
)

// ONNX export. The file is an ONNX ModelProto (opset 13, IR version 7)
// written with a small protobuf encoder: the few messages and fields it
// needs, numbered as in onnx.proto, so that the core needs no protobuf
// library. The graph takes raw features, as Predict does:
//
//	input [N, inputs] → Sub offset → Mul scale (the normalization)
//	→ per hidden layer: Gemm (or MatMul, then BatchNormalization) → activation
//	→ Gemm → Softmax (softmax cross-entropy) or Sigmoid (binary cross-entropy)
//	→ output [N, outputs]
//
// GELU is the tanh approximation the core computes, built from Mul, Add
// and Tanh (opset 13 has no Gelu).
const (
	onnxOpset     = 13
	onnxIRVersion = 7
	onnxFloat     = 1 // TensorProto.DataType FLOAT
	onnxAttrFloat = 1 // AttributeProto.AttributeType FLOAT
	onnxAttrInt   = 2 // AttributeProto.AttributeType INT
)

// WriteONNX writes the model as an ONNX model that any ONNX runtime can
// run, with the model's normalization in the graph: its input is raw
// features, a float tensor [N, Inputs()], and its output what Predict
// returns. Results agree with Predict to float32 rounding. Convolutional
// networks have no ONNX form yet: WriteONNX refuses them.
func (m *Model) WriteONNX(w io.Writer) (int64, error) {
	if m.conv != nil {
		return 0, errors.New("onnx: convolutional networks have no ONNX export yet; export a .dltm model file instead")
	}
	g := &onnxGraph{}
	x := "input"
	if m.norm.Method != NormalizeNone {
		off, scale := make([]float32, len(m.norm.Offset)), make([]float32, len(m.norm.Scale))
		for j := range off {
			off[j], scale[j] = float32(m.norm.Offset[j]), float32(m.norm.Scale[j])
		}
		g.init("norm.offset", []int64{int64(len(off))}, off)
		g.init("norm.scale", []int64{int64(len(scale))}, scale)
		x = g.node("Sub", "normalize.sub", []string{x, "norm.offset"})
		x = g.node("Mul", "normalize.mul", []string{x, "norm.scale"})
	}
	for _, l := range m.net.layers {
		switch l := l.(type) {
		case *dense:
			g.init(l.w.name, []int64{int64(l.in), int64(l.out)}, l.w.w)
			if l.b != nil {
				g.init(l.b.name, []int64{int64(l.out)}, l.b.w)
				x = g.node("Gemm", l.name, []string{x, l.w.name, l.b.name})
			} else {
				x = g.node("MatMul", l.name, []string{x, l.w.name})
			}
			x = g.activation(l.act, l.name, x)
		case *batchNorm:
			for _, t := range []struct {
				name string
				v    []float32
			}{{l.gamma.name, l.gamma.w}, {l.beta.name, l.beta.w}, {l.name + ".running_mean", l.runMean}, {l.name + ".running_var", l.runVar}} {
				g.init(t.name, []int64{int64(l.cols)}, t.v)
			}
			x = g.node("BatchNormalization", l.name, []string{x, l.gamma.name, l.beta.name, l.name + ".running_mean", l.name + ".running_var"},
				onnxAttr{name: "epsilon", f: bnEpsilon, isFloat: true})
			x = g.activation(l.act, l.name, x)
		case *dropout:
			// Identity at inference.
		default:
			return 0, fmt.Errorf("onnx: layer %T has no ONNX form yet", l)
		}
	}
	switch m.loss {
	case lossSoftmaxCE:
		x = g.node("Softmax", "softmax", []string{x}, onnxAttr{name: "axis", i: 1})
	case lossBCE:
		x = g.node("Sigmoid", "sigmoid", []string{x})
	}
	// Name the last output "output".
	g.nodes[len(g.nodes)-1].outputs[0] = "output"

	var graph []byte
	for _, n := range g.nodes {
		graph = pbBytes(graph, 1, n.encode())
	}
	graph = pbString(graph, 2, "dltune")
	for _, t := range g.inits {
		graph = pbBytes(graph, 5, t)
	}
	graph = pbBytes(graph, 11, onnxValueInfo("input", m.cfg.Inputs))
	graph = pbBytes(graph, 12, onnxValueInfo("output", m.cfg.Outputs))

	var b []byte
	b = pbVarint(b, 1, onnxIRVersion)
	b = pbString(b, 2, "dltune")
	b = pbString(b, 3, strconv.Itoa(ModelFormat))
	b = pbBytes(b, 7, graph)
	b = pbBytes(b, 8, pbVarint(pbString(nil, 1, ""), 2, onnxOpset))
	n, err := w.Write(b)
	return int64(n), err
}

type onnxGraph struct {
	nodes []onnxNode
	inits [][]byte
}

type onnxNode struct {
	op, name        string
	inputs, outputs []string
	attrs           []onnxAttr
}

type onnxAttr struct {
	name    string
	f       float32
	i       int64
	isFloat bool
}

// node adds a node with one output, named after the node, and returns it.
func (g *onnxGraph) node(op, name string, inputs []string, attrs ...onnxAttr) string {
	out := name + ".out"
	g.nodes = append(g.nodes, onnxNode{op: op, name: name, inputs: inputs, outputs: []string{out}, attrs: attrs})
	return out
}

// init adds a float initializer.
func (g *onnxGraph) init(name string, dims []int64, v []float32) {
	var t []byte
	for _, d := range dims {
		t = pbVarint(t, 1, uint64(d))
	}
	t = pbVarint(t, 2, onnxFloat)
	t = pbString(t, 8, name)
	raw := make([]byte, 0, 4*len(v))
	for _, f := range v {
		raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(f))
	}
	g.inits = append(g.inits, pbBytes(t, 9, raw))
}

// scalar adds a float scalar initializer and returns its name.
func (g *onnxGraph) scalar(name string, v float32) string {
	g.init(name, nil, []float32{v})
	return name
}

// activation appends the nodes of a and returns the output.
func (g *onnxGraph) activation(a activation, layer, x string) string {
	switch a.kind {
	case actIdentity:
		return x
	case actReLU:
		return g.node("Relu", layer+".relu", []string{x})
	case actLeakyReLU:
		return g.node("LeakyRelu", layer+".leaky_relu", []string{x}, onnxAttr{name: "alpha", f: a.slope, isFloat: true})
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

func (n *onnxNode) encode() []byte {
	var b []byte
	for _, in := range n.inputs {
		b = pbString(b, 1, in)
	}
	for _, out := range n.outputs {
		b = pbString(b, 2, out)
	}
	b = pbString(b, 3, n.name)
	b = pbString(b, 4, n.op)
	for _, a := range n.attrs {
		var ab []byte
		ab = pbString(ab, 1, a.name)
		if a.isFloat {
			ab = pbFixed32(ab, 2, math.Float32bits(a.f))
			ab = pbVarint(ab, 20, onnxAttrFloat)
		} else {
			ab = pbVarint(ab, 3, uint64(a.i))
			ab = pbVarint(ab, 20, onnxAttrInt)
		}
		b = pbBytes(b, 5, ab)
	}
	return b
}

// onnxValueInfo describes a float tensor [N, cols] with N symbolic.
func onnxValueInfo(name string, cols int) []byte {
	var shape []byte
	shape = pbBytes(shape, 1, pbString(nil, 2, "N"))
	shape = pbBytes(shape, 1, pbVarint(nil, 1, uint64(cols)))
	tensor := pbBytes(pbVarint(nil, 1, onnxFloat), 2, shape)
	typ := pbBytes(nil, 1, tensor)
	return pbBytes(pbString(nil, 1, name), 2, typ)
}

// Protobuf wire format: a key is the field number and wire type as a
// varint; wire type 0 is a varint, 2 length-delimited bytes, 5 a 32-bit
// little-endian value.

func pbKey(b []byte, field, wire int) []byte {
	return binary.AppendUvarint(b, uint64(field)<<3|uint64(wire))
}

func pbVarint(b []byte, field int, v uint64) []byte {
	return binary.AppendUvarint(pbKey(b, field, 0), v)
}

func pbBytes(b []byte, field int, v []byte) []byte {
	b = binary.AppendUvarint(pbKey(b, field, 2), uint64(len(v)))
	return append(b, v...)
}

func pbString(b []byte, field int, s string) []byte { return pbBytes(b, field, []byte(s)) }

func pbFixed32(b []byte, field int, v uint32) []byte {
	return binary.LittleEndian.AppendUint32(pbKey(b, field, 5), v)
}
