package core

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
)

// PCG stream numbers, one per use of randomness, so that changing one (say
// the dropout rate) does not change another (the initial weights).
const (
	streamInit    = 0x5eed_0001
	streamShuffle = 0x5eed_0002
	streamDropout = 0x5eed_0003
	streamAugment = 0x5eed_0004
)

// model is a multilayer perceptron: for each hidden width a dense layer,
// optional batch normalization, the activation (fused into the dense layer
// or the batch normalization) and optional dropout; then a linear dense
// output layer. All trainable parameters live in one slab and their
// gradients in another, so that the optimizer makes one pass per
// parameter tensor and checkpoints copy two vectors.
type model struct {
	gemm    Gemm
	in, out int
	maxRows int
	layers  []layer
	params  []*param
	w, g    []float32 // parameter and gradient slabs
	// state holds non-trainable state: batch-norm running statistics.
	state  []float32
	denses []*dense
	// weighted are the layers with a weight matrix (convolutions and dense
	// layers, input side first): what is initialized and what the
	// diagnostics describe.
	weighted []weightedLayer
	actKind  actKind
	drops    []*dropout
	dropRNG  *rand.PCG
}

// A weightedLayer is a convolution or dense layer as initialization and
// diagnostics see it.
type weightedLayer struct {
	name          string
	w             *param
	fanIn, fanOut int
	// units is the output of the layer's activation, for the dead-unit
	// fraction, or nil (the output layer, a projection shortcut). A unit
	// is a column of a dense layer, a channel of a convolution: plane
	// values per sample (1 for a dense layer).
	units *rowBuffer
	plane int
}

// stateful is a layer with running statistics in the model's state slab.
type stateful interface {
	stateLen() int
	setState(s []float32)
}

// slabAlign pads each parameter's offset to a multiple of 16 floats (64
// bytes) so that every tensor starts on a cache line of the slab.
const slabAlign = 16

// newModel builds an MLP from a validated configuration with Inputs and
// Outputs set, for batches of up to maxRows samples, and initializes it
// from seed.
func newModel(cfg *MLPConfig, act activation, init, outInit initKind, maxRows int, seed uint64) *model {
	m := &model{in: cfg.Inputs, out: cfg.Outputs, maxRows: maxRows, actKind: act.kind,
		dropRNG: rand.NewPCG(seed, streamDropout)}
	m.addDenses(cfg, cfg.Inputs, act, maxRows)
	m.finish(init, outInit, seed)
	return m
}

// addDenses appends cfg's hidden dense layers on width inputs and the
// output layer, numbering them from 1.
func (m *model) addDenses(cfg *MLPConfig, width int, act activation, maxRows int) {
	for i, h := range cfg.Hidden {
		k := strconv.Itoa(i + 1)
		if cfg.BatchNorm {
			d := newDense("dense"+k, width, h, maxRows, false, activation{}, &m.gemm)
			bn := newBatchNorm("bn"+k, h, maxRows, act)
			m.layers = append(m.layers, d, bn)
			m.addDense(d, &bn.y)
		} else {
			d := newDense("dense"+k, width, h, maxRows, true, act, &m.gemm)
			m.layers = append(m.layers, d)
			m.addDense(d, &d.y)
		}
		if cfg.Dropout > 0 {
			dr := newDropout("dropout"+k, h, maxRows, cfg.Dropout, m.dropRNG)
			m.layers = append(m.layers, dr)
			m.drops = append(m.drops, dr)
		}
		width = h
	}
	outName := "dense" + strconv.Itoa(len(cfg.Hidden)+1)
	d := newDense(outName, width, cfg.Outputs, maxRows, true, activation{}, &m.gemm)
	m.layers = append(m.layers, d)
	m.addDense(d, nil)
}

func (m *model) addDense(d *dense, units *rowBuffer) {
	m.denses = append(m.denses, d)
	m.weighted = append(m.weighted, weightedLayer{name: d.name, w: d.w, fanIn: d.in, fanOut: d.out, units: units, plane: 1})
}

// finish lays the parameters and the running statistics out in the slabs
// and initializes them from seed: weights from init (outInit for the
// output layer), biases 0, gamma 1, beta 0.
func (m *model) finish(init, outInit initKind, seed uint64) {
	// Lay the parameters out in the slabs.
	n := 0
	for _, l := range m.layers {
		for _, p := range l.params() {
			p.off = n
			n += (p.len() + slabAlign - 1) / slabAlign * slabAlign
			m.params = append(m.params, p)
		}
	}
	m.w, m.g = make([]float32, n), make([]float32, n)
	for _, p := range m.params {
		p.w = m.w[p.off : p.off+p.len() : p.off+p.len()]
		p.g = m.g[p.off : p.off+p.len() : p.off+p.len()]
	}
	var states []stateful
	var walk func(ls []layer)
	walk = func(ls []layer) {
		for _, l := range ls {
			switch l := l.(type) {
			case stateful:
				states = append(states, l)
			case *residual:
				for _, b := range l.norms() {
					states = append(states, b)
				}
			}
		}
	}
	walk(m.layers)
	ns := 0
	for _, b := range states {
		ns += b.stateLen()
	}
	m.state = make([]float32, ns)
	ns = 0
	for _, b := range states {
		b.setState(m.state[ns : ns+b.stateLen()])
		ns += b.stateLen()
	}

	rng := rand.New(rand.NewPCG(seed, streamInit))
	for i, wl := range m.weighted {
		k := init
		if i == len(m.weighted)-1 {
			k = outInit
		}
		k.fill(wl.w.w, wl.fanIn, wl.fanOut, rng)
	}
	for _, p := range m.params {
		if strings.HasSuffix(p.name, ".gamma") {
			for i := range p.w {
				p.w[i] = 1
			}
		}
	}
}

// forward runs the network on x and returns the logits, owned by the
// output layer. It panics if x does not have m.in columns or has more than
// maxRows rows.
func (m *model) forward(x *Tensor, train bool) *Tensor {
	if x.Cols != m.in {
		panic(fmt.Sprintf("core: model: input has %d columns, want %d", x.Cols, m.in))
	}
	for _, l := range m.layers {
		x = l.forward(x, train)
	}
	return x
}

// backward propagates the gradient of the loss with respect to the logits
// through the network, overwriting every parameter gradient. It may
// overwrite dz.
func (m *model) backward(dz *Tensor) {
	for i := len(m.layers) - 1; i >= 0; i-- {
		dz = m.layers[i].backward(dz, i > 0)
	}
}

// seedDropout reseeds the dropout masks' generator; the trainer calls it
// before every batch with a number unique to the batch.
func (m *model) seedDropout(seed, batch uint64) {
	m.dropRNG.Seed(seed, splitmix64(batch^streamDropout))
}

// splitmix64 scrambles x (Steele, Lea and Flood 2014) so that consecutive
// counters give unrelated PCG seeds.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
