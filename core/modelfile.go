package core

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"slices"
)

// Model file format (.dltm), version 1. All numbers are little-endian.
//
//	magic      "DLTM"
//	version    u16
//	header     u32 length + that many bytes of JSON (modelHeader): the
//	           architecture, the task and loss, class labels, feature
//	           names, the normalizer, what the model came from, and the
//	           list of tensors that follow, with their names and shapes
//	tensors    the tensors in the header's order, each rows×cols f32
//	           values, then the non-trainable state (batch-norm running
//	           means and variances) as the header's state count of f32s
//	crc        u32 CRC-32 (Castagnoli) of everything before it
//
// The architecture is a tagged object, "kind": "mlp" or "cnn", so that
// kinds of network can be added without a new version: a reader refuses a
// kind it does not know by name. A "cnn" adds "conv", the input image shape
// and the blocks of a ConvConfig; its tensors are those of the
// convolutional blocks, input side first, then those of the dense head,
// and its state the running statistics of its batch normalizations in the
// same order. A change that an older
// reader would misread increments the version, and LoadModel refuses a
// newer version with ErrModelVersion.
const (
	modelMagic = "DLTM"
	// ModelFormat is the version of the model file format that WriteTo
	// writes and the newest that LoadModel reads.
	ModelFormat = 1
	// MaxModelBytes bounds the size of a model file LoadModel reads, so
	// that a damaged or hostile file cannot exhaust memory.
	MaxModelBytes = 1 << 30
)

// ErrModelVersion is wrapped by LoadModel's error for a file written by a
// newer dltune, in a format this one cannot read.
var ErrModelVersion = errors.New("model file from a newer dltune")

// errModelCorrupt is wrapped by LoadModel's errors for input that is not an
// intact model file.
var errModelCorrupt = errors.New("corrupt model file")

// ModelInfo records where a model came from. The core only stores it.
type ModelInfo struct {
	// Study and Trial name the study and trial whose configuration the
	// model was trained with; Trial is -1 when it came from no trial.
	Study string `json:"study,omitempty"`
	Trial int    `json:"trial"`
	// Params are the trial's hyperparameters, formatted as in study files.
	Params map[string]string `json:"params,omitempty"`
	// Seed is the training seed.
	Seed uint64 `json:"seed"`
	// Epochs is the number of epochs the weights were trained for.
	Epochs int `json:"epochs"`
	// Refit: the model was retrained on the training and validation data
	// together, so it has no held-out validation loss.
	Refit bool `json:"refit,omitempty"`
	// ValLoss is the validation loss of the weights, when not Refit.
	ValLoss float64 `json:"val_loss,omitempty"`
	// Target is the CSV column of the targets, when the training data was
	// a CSV file, so that other files in its format can be scored.
	Target string `json:"target,omitempty"`
}

// A Model is a trained network ready to predict: its architecture and
// weights, the normalization fitted on its training data, and what its
// outputs mean. Trainer.Model makes one; LoadModel reads one from a model
// file and WriteTo writes it.
//
// A Model reuses buffers between calls, so it is not safe for concurrent
// use; load one per goroutine.
type Model struct {
	// Info says where the model came from.
	Info ModelInfo

	cfg      MLPConfig
	conv     *ConvConfig // nil for an MLP; shape and blocks as trained
	loss     lossKind
	task     Task
	classes  int
	labels   []string
	features []string
	shape    []int
	norm     Normalizer
	net      *model
	xv       Tensor
}

// modelHeader is the JSON header of a model file.
type modelHeader struct {
	Arch     modelArch     `json:"arch"`
	Task     string        `json:"task"`
	Loss     string        `json:"loss"`
	Classes  int           `json:"classes,omitempty"`
	Labels   []string      `json:"labels,omitempty"`
	Features []string      `json:"features,omitempty"`
	Shape    []int         `json:"input_shape,omitempty"`
	Norm     modelNorm     `json:"normalize"`
	Info     ModelInfo     `json:"info"`
	Tensors  []modelTensor `json:"tensors"`
	State    int           `json:"state"`
}

type modelArch struct {
	Kind       string  `json:"kind"` // "mlp"
	Inputs     int     `json:"inputs"`
	Hidden     []int   `json:"hidden"`
	Outputs    int     `json:"outputs"`
	Activation string  `json:"activation"`
	LeakySlope float64 `json:"leaky_slope,omitempty"`
	BatchNorm  bool    `json:"batch_norm,omitempty"`
	Dropout    float64 `json:"dropout,omitempty"`
	// Conv is the convolutional part of a "cnn"; Hidden, BatchNorm and
	// Dropout then describe its dense head.
	Conv *modelConv `json:"conv,omitempty"`
}

// modelConv is a ConvConfig with the input shape always given.
type modelConv struct {
	Channels   int          `json:"channels"`
	Height     int          `json:"height"`
	Width      int          `json:"width"`
	Blocks     []modelBlock `json:"blocks"`
	GlobalPool bool         `json:"global_pool,omitempty"`
}

// modelBlock is a ConvBlock, with the names of study files.
type modelBlock struct {
	Filters    int     `json:"filters"`
	Kernel     int     `json:"kernel"`
	Stride     int     `json:"stride,omitempty"`
	Padding    int     `json:"padding,omitempty"`
	Dilation   int     `json:"dilation,omitempty"`
	BatchNorm  bool    `json:"batch_norm,omitempty"`
	Residual   bool    `json:"residual,omitempty"`
	Pool       string  `json:"pool,omitempty"`
	PoolSize   int     `json:"pool_size,omitempty"`
	PoolStride int     `json:"pool_stride,omitempty"`
	Dropout    float64 `json:"dropout,omitempty"`
}

func newModelConv(c *ConvConfig) *modelConv {
	mc := &modelConv{Channels: c.Channels, Height: c.Height, Width: c.Width, GlobalPool: c.GlobalPool, Blocks: []modelBlock{}}
	for _, b := range c.Blocks {
		mc.Blocks = append(mc.Blocks, modelBlock(b))
	}
	return mc
}

func (mc *modelConv) config() *ConvConfig {
	c := &ConvConfig{Channels: mc.Channels, Height: mc.Height, Width: mc.Width, GlobalPool: mc.GlobalPool}
	for _, b := range mc.Blocks {
		c.Blocks = append(c.Blocks, ConvBlock(b))
	}
	return c
}

type modelNorm struct {
	Method string    `json:"method"`
	Offset []float64 `json:"offset,omitempty"`
	Scale  []float64 `json:"scale,omitempty"`
}

type modelTensor struct {
	Name  string `json:"name"`
	Shape [2]int `json:"shape"`
}

// Model returns a copy of the trainer's network as it is now, with nz, the
// normalizer fitted on the training data before training (nil if the data
// was not normalized), and info. Later training does not change it. It
// fails for a trainer that diverged and a normalizer of another width.
func (t *Trainer) Model(nz *Normalizer, info ModelInfo) (*Model, error) {
	m, err := t.describe(nz, info)
	if err != nil {
		return nil, err
	}
	act, _ := parseActivation(m.cfg.Activation, m.cfg.LeakySlope) // validated by NewTrainer
	if p := t.s.conv; p != nil {
		m.net = newConvModel(p, &m.cfg, m.conv.GlobalPool, act, initGlorotUniform, initGlorotUniform, evalRowsConv, 0)
	} else {
		m.net = newModel(&m.cfg, act, initGlorotUniform, initGlorotUniform, predictRows(&m.cfg, len(t.model.w)), 0)
	}
	copy(m.net.w, t.model.w)
	copy(m.net.state, t.model.state)
	return m, nil
}

// MarshalModel returns the model file of the trainer's network as it is
// now: the bytes of Model(nz, info).MarshalBinary(), made without copying
// the network, so that a trial can keep its best epoch's weights at the
// cost of one encoding. It fails as Model does, and for an info whose
// ValLoss is not finite.
func (t *Trainer) MarshalModel(nz *Normalizer, info ModelInfo) ([]byte, error) {
	m, err := t.describe(nz, info)
	if err != nil {
		return nil, err
	}
	m.net = t.model // only read
	return m.MarshalBinary()
}

// describe returns the Model of the trainer's network without the network
// itself.
func (t *Trainer) describe(nz *Normalizer, info ModelInfo) (*Model, error) {
	if t.diverged != nil {
		return nil, fmt.Errorf("model: %w", t.diverged)
	}
	m := &Model{
		Info:     info,
		cfg:      t.s.Model,
		loss:     t.s.loss,
		task:     t.train.Task,
		classes:  t.train.Classes,
		labels:   slices.Clone(t.train.Labels),
		features: slices.Clone(t.train.Features),
		shape:    slices.Clone(t.train.Shape),
		norm:     Normalizer{Method: NormalizeNone},
	}
	m.cfg.Hidden = slices.Clone(m.cfg.Hidden)
	if nz != nil && nz.Method != "" && nz.Method != NormalizeNone {
		if len(nz.Offset) != m.cfg.Inputs || len(nz.Scale) != m.cfg.Inputs {
			return nil, fmt.Errorf("model: normalizer has %d features, the model %d", len(nz.Offset), m.cfg.Inputs)
		}
		m.norm = Normalizer{Method: nz.Method, Offset: slices.Clone(nz.Offset), Scale: slices.Clone(nz.Scale)}
	}
	if p := t.s.conv; p != nil {
		// The shape as planned, so that the model needs no data to rebuild.
		m.conv = &ConvConfig{Channels: p.in.c, Height: p.in.h, Width: p.in.w,
			Blocks: slices.Clone(t.s.Conv.Blocks), GlobalPool: t.s.Conv.GlobalPool}
	}
	return m, nil
}

// Inputs returns the number of features the model takes per sample.
func (m *Model) Inputs() int { return m.cfg.Inputs }

// Outputs returns the number of values Predict returns per sample.
func (m *Model) Outputs() int { return m.cfg.Outputs }

// Task returns the task of the model's training data.
func (m *Model) Task() Task { return m.task }

// Classes returns the number of classes of a classifier, 0 otherwise.
func (m *Model) Classes() int { return m.classes }

// Labels returns the class names, when the training data named them
// (Labels()[i] is class i), or nil. The caller must not modify them.
func (m *Model) Labels() []string { return m.labels }

// Features returns the feature names, when the training data named them,
// or nil. The caller must not modify them.
func (m *Model) Features() []string { return m.features }

// Shape returns the shape of one sample's features when the training data
// had one (IDX images: rows, columns), or nil. The caller must not modify
// it.
func (m *Model) Shape() []int { return m.shape }

// Normalizer returns the normalization Predict applies to its input.
func (m *Model) Normalizer() Normalizer { return m.norm }

// Conv returns the convolutional part of the model's architecture, with
// the input shape given, or nil for an MLP.
func (m *Model) Conv() *ConvConfig {
	if m.conv == nil {
		return nil
	}
	c := *m.conv
	c.Blocks = slices.Clone(c.Blocks)
	return &c
}

// Config returns the model's architecture: all of an MLP's, the dense head
// of a CNN's (see Conv).
func (m *Model) Config() MLPConfig {
	c := m.cfg
	c.Hidden = slices.Clone(c.Hidden)
	return c
}

// Loss returns the name of the loss the model was trained with.
func (m *Model) Loss() string { return m.loss.String() }

// Predict returns the model's predictions for the samples of x, one row
// each, given as raw features (a CNN's images flattened in channel, row,
// column order, as Datasets hold them): Predict applies the model's normalization
// to a copy of x. Rows are class probabilities for softmax cross-entropy,
// probabilities for binary cross-entropy and the outputs for mean squared
// error; they are bit for bit those of the Trainer the model came from
// (Trainer.Predict on normalized data). x with the wrong number of
// columns is an error.
func (m *Model) Predict(x *Tensor) (*Tensor, error) {
	if x.Cols != m.cfg.Inputs || len(x.Data) != x.Rows*x.Cols {
		if c := m.conv; c != nil {
			return nil, fmt.Errorf("predict: input has %d values per sample, the model takes %dx%dx%d images (channels x height x width) of %d",
				x.Cols, c.Channels, c.Height, c.Width, m.cfg.Inputs)
		}
		return nil, fmt.Errorf("predict: input has %d features per sample, the model takes %d", x.Cols, m.cfg.Inputs)
	}
	z, err := m.logits(x)
	if err != nil {
		return nil, err
	}
	switch m.loss {
	case lossSoftmaxCE:
		for i := range z.Rows {
			softmaxRow(z.Row(i))
		}
	case lossBCE:
		for i, v := range z.Data {
			z.Data[i] = sigmoid32(v)
		}
	}
	return z, nil
}

// logits returns the network's linear outputs for the raw features x.
func (m *Model) logits(x *Tensor) (*Tensor, error) {
	xn := x
	if m.norm.Method != NormalizeNone {
		xn = &Tensor{Rows: x.Rows, Cols: x.Cols, Data: slices.Clone(x.Data)}
		if err := m.norm.Apply(xn); err != nil {
			return nil, fmt.Errorf("predict: %w", err)
		}
	}
	out := NewTensor(x.Rows, m.cfg.Outputs)
	chunk := m.net.maxRows
	for lo := 0; lo < x.Rows; lo += chunk {
		hi := min(lo+chunk, x.Rows)
		m.xv = Tensor{Rows: hi - lo, Cols: xn.Cols, Data: xn.Data[lo*xn.Cols : hi*xn.Cols]}
		z := m.net.forward(&m.xv, false)
		copy(out.Data[lo*out.Cols:], z.Data)
	}
	return out, nil
}

func (m *Model) header() *modelHeader {
	h := &modelHeader{
		Arch: modelArch{Kind: "mlp", Inputs: m.cfg.Inputs, Hidden: m.cfg.Hidden, Outputs: m.cfg.Outputs,
			Activation: m.cfg.Activation, LeakySlope: m.cfg.LeakySlope, BatchNorm: m.cfg.BatchNorm, Dropout: m.cfg.Dropout},
		Task: m.task.String(), Loss: m.loss.String(), Classes: m.classes, Labels: m.labels, Features: m.features, Shape: m.shape,
		Norm:  modelNorm{Method: m.norm.Method, Offset: m.norm.Offset, Scale: m.norm.Scale},
		Info:  m.Info,
		State: len(m.net.state),
	}
	if m.conv != nil {
		h.Arch.Kind = "cnn"
		h.Arch.Conv = newModelConv(m.conv)
	}
	if h.Arch.Activation == "" {
		h.Arch.Activation = "relu"
	}
	if h.Arch.Hidden == nil {
		h.Arch.Hidden = []int{}
	}
	for _, p := range m.net.params {
		h.Tensors = append(h.Tensors, modelTensor{Name: p.name, Shape: [2]int{p.rows, p.cols}})
	}
	return h
}

// MarshalBinary returns the model file's bytes.
func (m *Model) MarshalBinary() ([]byte, error) {
	hj, err := json.Marshal(m.header())
	if err != nil {
		return nil, fmt.Errorf("model: %w", err) // a non-finite ValLoss
	}
	le := binary.LittleEndian
	b := make([]byte, 0, 4+2+4+len(hj)+4*(len(m.net.w)+len(m.net.state))+4)
	b = append(b, modelMagic...)
	b = le.AppendUint16(b, ModelFormat)
	b = le.AppendUint32(b, uint32(len(hj)))
	b = append(b, hj...)
	for _, p := range m.net.params {
		for _, v := range p.w {
			b = le.AppendUint32(b, math.Float32bits(v))
		}
	}
	for _, v := range m.net.state {
		b = le.AppendUint32(b, math.Float32bits(v))
	}
	return le.AppendUint32(b, crc32.Checksum(b, ckptTable)), nil
}

// WriteTo writes the model file to w.
func (m *Model) WriteTo(w io.Writer) (int64, error) {
	b, err := m.MarshalBinary()
	if err != nil {
		return 0, err
	}
	n, err := w.Write(b)
	return int64(n), err
}

// LoadModel reads a model file written by WriteTo. A file that is
// truncated, damaged (its checksum does not match), larger than
// MaxModelBytes or inconsistent is an error that says so; a file of a
// newer format version is an error wrapping ErrModelVersion.
func LoadModel(r io.Reader) (*Model, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxModelBytes+1))
	if err != nil {
		return nil, fmt.Errorf("load model: %w", err)
	}
	if len(b) > MaxModelBytes {
		return nil, fmt.Errorf("load model: larger than %d bytes", MaxModelBytes)
	}
	return unmarshalModel(b)
}

func unmarshalModel(b []byte) (*Model, error) {
	le := binary.LittleEndian
	if len(b) < len(modelMagic)+2 || string(b[:4]) != modelMagic {
		return nil, fmt.Errorf("load model: %w: not a dltune model file", errModelCorrupt)
	}
	if v := le.Uint16(b[4:]); v > ModelFormat {
		return nil, fmt.Errorf("load model: %w: format %d, this dltune reads up to %d; upgrade dltune", ErrModelVersion, v, ModelFormat)
	} else if v == 0 {
		return nil, fmt.Errorf("load model: %w: format 0", errModelCorrupt)
	}
	if len(b) < 4+2+4+4 {
		return nil, fmt.Errorf("load model: %w: truncated", errModelCorrupt)
	}
	body, sum := b[:len(b)-4], le.Uint32(b[len(b)-4:])
	if crc32.Checksum(body, ckptTable) != sum {
		return nil, fmt.Errorf("load model: %w: checksum mismatch (truncated or damaged)", errModelCorrupt)
	}
	d := ckptDecoder{b: body, off: 6}
	hlen := int(d.u32())
	hj := d.bytes(hlen)
	if d.err != nil {
		return nil, fmt.Errorf("load model: header: %w", d.err)
	}
	var h modelHeader
	dec := json.NewDecoder(bytes.NewReader(hj))
	if err := dec.Decode(&h); err != nil {
		return nil, fmt.Errorf("load model: %w: header: %v", errModelCorrupt, err)
	}
	m, err := h.model(len(body) - d.off)
	if err != nil {
		return nil, fmt.Errorf("load model: %w", err)
	}
	for _, p := range m.net.params {
		for i := range p.w {
			p.w[i] = math.Float32frombits(d.u32())
		}
	}
	for i := range m.net.state {
		m.net.state[i] = math.Float32frombits(d.u32())
	}
	switch {
	case d.err != nil:
		return nil, fmt.Errorf("load model: %w", d.err)
	case d.off != len(body):
		return nil, fmt.Errorf("load model: %w: %d bytes of trailing data", errModelCorrupt, len(body)-d.off)
	}
	return m, nil
}

// model checks the header and builds the model it describes, with zero
// weights, provided its tensors take exactly avail bytes. The check comes
// before any allocation, so the header cannot make the loader allocate
// more than the file's size justifies.
func (h *modelHeader) model(avail int) (*Model, error) {
	a := &h.Arch
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", errModelCorrupt, fmt.Sprintf(format, args...))
	}
	switch {
	case a.Kind != "mlp" && a.Kind != "cnn":
		return nil, fmt.Errorf("architecture %q is not one this dltune knows (mlp, cnn); upgrade dltune", a.Kind)
	case a.Kind == "cnn" && a.Conv == nil:
		return nil, bad("arch: a cnn without conv")
	case a.Kind == "mlp" && a.Conv != nil:
		return nil, bad("arch: an mlp with conv")
	}
	if a.Inputs <= 0 || a.Outputs <= 0 {
		return nil, bad("arch: %d inputs and %d outputs", a.Inputs, a.Outputs)
	}
	// Count the floats the architecture needs, bounded by the file.
	limit := avail / 4
	need, width := 0, a.Inputs
	add := func(n int) bool {
		need += n
		return n >= 0 && need <= limit
	}
	var conv *ConvConfig
	var plan *convPlan
	rows := 0
	if a.Conv != nil {
		conv = a.Conv.config()
		if conv.Channels <= 0 || conv.Height <= 0 || conv.Width <= 0 {
			return nil, bad("arch.conv: input %dx%dx%d", conv.Channels, conv.Height, conv.Width)
		}
		var err error
		if plan, err = conv.plan(a.Inputs, nil); err != nil {
			return nil, bad("arch.conv: %v", err)
		}
		// The slab pads every tensor to slabAlign floats; the file does
		// not. Bound the padded count by the file, then check the exact
		// count once the layers exist.
		e := plan.estimate(false)
		if e.slab+e.state > int64(limit)+slabAlign*e.np {
			return nil, bad("arch.conv: the blocks need %d weights, more than the file's %d", e.slab+e.state, limit)
		}
		// Bound the buffers: up to evalRowsConv samples at once, fewer
		// when a sample's activations are large, and no model whose one
		// sample needs more than maxLoadFloats.
		if e.perRow+e.vecs/4 > maxLoadFloats {
			return nil, bad("arch.conv: a sample's activations take %d values, more than the %d a model may", e.perRow+e.vecs/4, maxLoadFloats)
		}
		rows = int(max(1, min(evalRowsConv, (4*int64(limit)+maxLoadFloats/16)/max(e.perRow, 1))))
		width = plan.out.size()
	}
	for i, w := range a.Hidden {
		// A dense layer, with a bias unless batch normalization follows
		// it, which has a scale, a shift and two running statistics.
		extra := w
		if a.BatchNorm {
			extra = 4 * w
		}
		if w <= 0 || w > limit || !add(width*w) || !add(extra) {
			return nil, bad("arch.hidden[%d]: width %d does not fit the file's %d weights", i, w, limit)
		}
		width = w
	}
	if (conv == nil && a.Inputs > limit) || a.Outputs > limit || !add(width*a.Outputs) || !add(a.Outputs) {
		return nil, bad("arch: %d inputs and %d outputs do not fit the file's %d weights", a.Inputs, a.Outputs, limit)
	}
	if conv == nil && (need != limit || need*4 != avail) {
		return nil, bad("the architecture has %d weights, the file %d bytes of them", need, avail)
	}
	if need > limit {
		return nil, bad("the architecture has more than %d weights, the file %d bytes of them", need, avail)
	}
	cfg := MLPConfig{Inputs: a.Inputs, Hidden: a.Hidden, Outputs: a.Outputs, Activation: a.Activation,
		LeakySlope: a.LeakySlope, BatchNorm: a.BatchNorm}
	act, err := parseActivation(a.Activation, a.LeakySlope)
	if err != nil {
		return nil, bad("arch: %v", err)
	}
	if !(a.Dropout >= 0 && a.Dropout < 1) {
		return nil, bad("arch.dropout: %v", a.Dropout)
	}
	cfg.Dropout = a.Dropout
	var task Task
	switch h.Task {
	case "classification":
		task = Classification
	case "regression":
		task = Regression
	default:
		return nil, bad("task %q", h.Task)
	}
	loss, err := parseLoss(h.Loss, task)
	if err != nil || h.Loss == "" {
		return nil, bad("loss %q", h.Loss)
	}
	switch {
	case task == Classification && (h.Classes < 2 || h.Classes > MaxClasses):
		return nil, bad("%d classes", h.Classes)
	case task == Regression && h.Classes != 0:
		return nil, bad("%d classes for regression", h.Classes)
	case loss == lossSoftmaxCE && (task != Classification || a.Outputs != h.Classes):
		return nil, bad("softmax over %d outputs for %d classes", a.Outputs, h.Classes)
	case loss == lossMSE && task != Regression:
		return nil, bad("mse for %v", task)
	case h.Labels != nil && len(h.Labels) != h.Classes:
		return nil, bad("%d labels for %d classes", len(h.Labels), h.Classes)
	case h.Features != nil && len(h.Features) != a.Inputs:
		return nil, bad("%d feature names for %d inputs", len(h.Features), a.Inputs)
	case h.Shape != nil && shapeSize(h.Shape) != a.Inputs:
		return nil, bad("input shape %v for %d inputs", h.Shape, a.Inputs)
	}
	norm := Normalizer{Method: h.Norm.Method, Offset: h.Norm.Offset, Scale: h.Norm.Scale}
	switch h.Norm.Method {
	case NormalizeNone:
		if norm.Offset != nil || norm.Scale != nil {
			return nil, bad("normalize: none with offsets or scales")
		}
	case NormalizeScale, NormalizeStandardize:
		if len(norm.Offset) != a.Inputs || len(norm.Scale) != a.Inputs {
			return nil, bad("normalize: %d offsets and %d scales for %d inputs", len(norm.Offset), len(norm.Scale), a.Inputs)
		}
	default:
		return nil, bad("normalize: method %q", h.Norm.Method)
	}
	m := &Model{Info: h.Info, cfg: cfg, conv: conv, loss: loss, task: task, classes: h.Classes,
		labels: h.Labels, features: h.Features, shape: h.Shape, norm: norm}
	if plan != nil {
		m.net = newConvModel(plan, &m.cfg, conv.GlobalPool, act, initGlorotUniform, initGlorotUniform, rows, 0)
		n := len(m.net.state)
		for _, p := range m.net.params {
			n += p.len()
		}
		if n*4 != avail {
			return nil, bad("the architecture has %d weights, the file %d bytes of them", n, avail)
		}
	} else {
		m.net = newModel(&m.cfg, act, initGlorotUniform, initGlorotUniform, predictRows(&m.cfg, need), 0)
	}
	if len(h.Tensors) != len(m.net.params) {
		return nil, bad("%d tensors, the architecture has %d", len(h.Tensors), len(m.net.params))
	}
	for i, p := range m.net.params {
		if t := h.Tensors[i]; t.Name != p.name || t.Shape != [2]int{p.rows, p.cols} {
			return nil, bad("tensor %d is %s %v, the architecture wants %s [%d %d]", i, t.Name, t.Shape, p.name, p.rows, p.cols)
		}
	}
	if h.State != len(m.net.state) {
		return nil, bad("state of %d values, the architecture has %d", h.State, len(m.net.state))
	}
	return m, nil
}

// maxLoadFloats bounds the activations of one sample of a convolutional
// model LoadModel builds (256 MiB of float32s).
const maxLoadFloats = 1 << 26

// shapeSize returns the number of values of a shape, or -1 if a dimension
// is not positive or the product exceeds MaxModelBytes.
func shapeSize(shape []int) int {
	n := 1
	for _, d := range shape {
		if d <= 0 || d > MaxModelBytes/n {
			return -1
		}
		n *= d
	}
	return n
}

// predictRows returns the rows a Model predicts at once: evalRows, or
// fewer when the layers are so wide that the buffers of evalRows rows
// would take more than 4 times the weights (params of them). That keeps
// what a model file makes LoadModel allocate proportional to its size.
// Rows are computed independently, so the chunk size does not change the
// results.
func predictRows(c *MLPConfig, params int) int {
	units := c.Inputs + c.Outputs
	for _, h := range c.Hidden {
		units += h
	}
	return max(1, min(evalRows, 4*params/units))
}

// CheckSample returns an error unless samples of the given shape (an IDX
// file's dimensions after the first) are what the model takes: as many
// values as its inputs, and for a CNN its images' height and width (and
// channels, for 3 dimensions), so that images of another shape with as
// many pixels are not silently misread.
func (m *Model) CheckSample(shape []int) error {
	size := shapeSize(shape)
	if len(shape) == 0 || size != m.cfg.Inputs {
		return fmt.Errorf("samples of %d values; the model takes %d", max(size, 0), m.cfg.Inputs)
	}
	c := m.conv
	if c == nil {
		return nil
	}
	ok := false
	switch len(shape) {
	case 2:
		ok = c.Channels == 1 && shape[0] == c.Height && shape[1] == c.Width
	case 3:
		ok = shape[0] == c.Channels && shape[1] == c.Height && shape[2] == c.Width
	}
	if !ok {
		return fmt.Errorf("samples of shape %v; the model takes %dx%dx%d images (channels x height x width)", shape, c.Channels, c.Height, c.Width)
	}
	return nil
}
