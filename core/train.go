package core

import (
	"context"
	"encoding"
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// evalRows is the least number of rows evaluated per forward pass; larger
// products run faster than batch-sized ones.
const evalRows = 256

// evalRowsConv is evalRows for convolutional networks.
const evalRowsConv = 64

// A Trainer trains one network (an MLP or a CNN) on one data set: seeded, shuffled mini-batches,
// a validation pass after every epoch, early stopping, diagnostics and
// checkpoints. It runs on the calling goroutine only and starts no
// goroutines.
//
// For the same Config, data and build, a Trainer computes bit-identical
// losses whatever GOMAXPROCS, timing or interruptions (resumed from
// checkpoints). The kernels chosen for a CPU are tested to agree bit for
// bit with their portable versions. The exception is the GEMM
// micro-kernel: its fused multiply-adds may change the last bits between
// machines.
//
// A Trainer is not safe for concurrent use. Trainers share nothing, so
// concurrent trials each use their own, and may share read-only Datasets.
type Trainer struct {
	s          *trainSetup
	train, val *Dataset
	model      *model
	opt        *optimizer
	sched      schedule
	bs         int // batch size (the last batch of an epoch may be smaller)
	batches    int // per epoch
	statsBatch int // the batch whose gradients the diagnostics describe

	trainLabels, valLabels []int32   // class indices, for softmax cross-entropy
	xb, yb, dz             rowBuffer // batch features, targets and loss gradient
	lb                     []int32   // batch labels
	xv, yv                 Tensor    // views of evaluation chunks

	perm      []int32 // sample order of epoch permEpoch
	permEpoch int
	shuffle   *rand.PCG
	shuffleR  *rand.Rand

	// Progress, all in checkpoints.
	epoch   int           // epochs completed
	batch   int           // batches completed in epoch+1
	lossSum float64       // Σ batch loss × batch rows over those batches
	elapsed time.Duration // time spent on epoch+1 before the last Fit call
	lr      float64       // rate of the last batch
	best    float64       // best validation loss (early stopping)
	bad     int           // epochs since best
	stopped bool
	diag    []layerDiag
	hasDiag bool

	diverged error
	alive    []bool // scratch for dead units

	augment *augmenter // nil without augmentation

	// Test and benchmark hooks.
	afterBatch func(epoch, batch int) // called after each batch, 1-based
	noDiag     bool                   // skip diagnostics
}

// NewTrainer builds the model and optimizer of cfg for the data and
// initializes the model from cfg.Train.Seed. Model.Inputs and
// Model.Outputs are taken from the data when 0 (Outputs is the number of
// classes for softmax cross-entropy, the number of target columns for
// mean squared error and binary cross-entropy) and checked against it
// otherwise. An invalid configuration returns an error that starts with
// the field at fault, e.g.
//
//	optimizer.name: unknown optimizer "adamx" (want sgd, adam, adamw or rmsprop)
//
// and invalid data one that starts with "train data" or "validation data".
// The trainer keeps train and val and only reads them.
func NewTrainer(cfg Config, train, val *Dataset) (*Trainer, error) {
	s, err := cfg.resolve(train, val)
	if err != nil {
		return nil, err
	}
	bs := min(s.Train.BatchSize, train.Len())
	var m *model
	if s.conv != nil {
		// Convolutions run one sample at a time, so larger evaluation
		// chunks would only take memory.
		maxRows := max(bs, evalRowsConv)
		m = newConvModel(s.conv, &s.Model, s.Conv.GlobalPool, s.act, s.init, s.outInit, maxRows, s.Train.Seed)
	} else {
		m = newModel(&s.Model, s.act, s.init, s.outInit, max(bs, evalRows), s.Train.Seed)
	}
	t := &Trainer{
		s: s, train: train, val: val, model: m,
		opt:     newOptimizer(&s.Optimizer, len(m.w), len(m.params)),
		sched:   newSchedule(&s.Schedule, s.Optimizer.LearningRate, s.Train.Epochs),
		bs:      bs,
		batches: (train.Len() + bs - 1) / bs,
		xb:      newRowBuffer(bs, s.Model.Inputs),
		dz:      newRowBuffer(bs, s.Model.Outputs),
		shuffle: rand.NewPCG(0, 0),
		best:    math.Inf(1),
		diag:    make([]layerDiag, len(m.weighted)),
		lr:      s.Optimizer.LearningRate,
	}
	t.shuffleR = rand.New(t.shuffle)
	if s.Augment.enabled() {
		t.augment = newAugmenter(s.Augment, s.conv.in)
	}
	t.statsBatch = t.batches - 1
	if train.Len()%bs != 0 && t.batches > 1 {
		t.statsBatch--
	}
	widest := 0
	for _, wl := range m.weighted {
		if wl.units != nil {
			widest = max(widest, wl.units.t.Cols/wl.plane)
		}
	}
	t.alive = make([]bool, widest)
	if s.loss == lossSoftmaxCE {
		t.trainLabels, t.valLabels = classLabels(train), classLabels(val)
		t.lb = make([]int32, bs)
	} else {
		t.yb = newRowBuffer(bs, train.Y.Cols)
	}
	return t, nil
}

func classLabels(d *Dataset) []int32 {
	l := make([]int32, d.Len())
	for i, v := range d.Y.Data {
		l[i] = int32(v)
	}
	return l
}

var _ encoding.BinaryMarshaler = (*Trainer)(nil)
var _ encoding.BinaryUnmarshaler = (*Trainer)(nil)

// ParamCount returns the number of trainable parameters of the model.
func (t *Trainer) ParamCount() int {
	n := 0
	for _, p := range t.model.params {
		n += p.len()
	}
	return n
}

// Epoch returns the number of complete epochs trained.
func (t *Trainer) Epoch() int { return t.epoch }

// Stopped reports whether early stopping ended training: the validation
// loss did not improve for TrainConfig.Patience epochs in a row.
func (t *Trainer) Stopped() bool { return t.stopped }

// EpochStats is what one epoch of training measured.
type EpochStats struct {
	Epoch int // 1-based
	// TrainLoss is the mean training loss over the epoch's samples, as
	// computed during training (dropout on, weights changing).
	TrainLoss float64
	// ValLoss and ValAccuracy are measured on the validation set after the
	// epoch, in evaluation mode. ValAccuracy is meaningful only when
	// HasAccuracy (classification).
	ValLoss, ValAccuracy float64
	HasAccuracy          bool
	// LearningRate is the rate of the epoch's last batch.
	LearningRate float64
	// Duration is the wall time spent training the epoch, validation
	// included; when the epoch was interrupted and resumed (from a
	// checkpoint or not), the time before the interruption counts too.
	Duration time.Duration
	// Layers are the diagnostics of the dense layers, input side first.
	Layers []LayerStats
}

// Fit trains epochs t.Epoch()+1 through until, continuing a partly trained
// epoch first. After each epoch it evaluates the validation set and calls
// onEpoch, if not nil; if onEpoch returns an error, Fit returns it wrapped
// (the epoch counts as trained). Early stopping ends Fit with nil and
// Stopped true; later calls return nil at once.
//
// ctx is checked before every batch, never inside one: on cancellation
// Fit returns an error wrapping ctx.Err(), and the trainer is left between
// two batches, ready to checkpoint or to continue. A loss or gradient that
// is not finite returns a *DivergenceError; the trainer then cannot train
// further, and every later Fit returns the same error.
func (t *Trainer) Fit(ctx context.Context, until int, onEpoch func(EpochStats) error) error {
	if t.diverged != nil {
		return t.diverged
	}
	for t.epoch < until && !t.stopped {
		start := time.Now()
		t.ensurePerm()
		for t.batch < t.batches {
			if err := ctx.Err(); err != nil {
				t.elapsed += time.Since(start)
				return fmt.Errorf("epoch %d, before batch %d: %w", t.epoch+1, t.batch+1, err)
			}
			if err := t.step(); err != nil {
				t.diverged = err
				return err
			}
			t.batch++
			if t.afterBatch != nil {
				t.afterBatch(t.epoch+1, t.batch)
			}
		}
		st := EpochStats{
			Epoch:        t.epoch + 1,
			TrainLoss:    t.lossSum / float64(t.train.Len()),
			LearningRate: t.lr,
		}
		loss, correct := t.evaluate(t.val.X, t.val.Y, t.valLabels)
		st.ValLoss = loss / float64(t.val.Len())
		if math.IsNaN(st.ValLoss) || math.IsInf(st.ValLoss, 0) {
			t.diverged = &DivergenceError{Epoch: t.epoch + 1, Layer: "loss", What: nonFinite(st.ValLoss)}
			return t.diverged
		}
		if t.hasAccuracy() {
			st.HasAccuracy = true
			st.ValAccuracy = float64(correct) / float64(t.val.Len())
		}
		if !t.noDiag {
			st.Layers = t.layerStats()
		}
		t.epoch++
		t.batch, t.lossSum, t.hasDiag = 0, 0, false
		if t.s.Train.Patience > 0 {
			if st.ValLoss < t.best {
				t.best, t.bad = st.ValLoss, 0
			} else if t.bad++; t.bad >= t.s.Train.Patience {
				t.stopped = true
			}
		}
		st.Duration = t.elapsed + time.Since(start)
		t.elapsed = 0
		if onEpoch != nil {
			if err := onEpoch(st); err != nil {
				return fmt.Errorf("epoch %d: %w", st.Epoch, err)
			}
		}
	}
	return nil
}

// ensurePerm computes the sample order of the epoch being trained: a
// permutation drawn from a generator seeded by the seed and the epoch, so
// that any epoch's order can be recomputed after a restart.
func (t *Trainer) ensurePerm() {
	e := t.epoch + 1
	if t.permEpoch == e {
		return
	}
	n := t.train.Len()
	if t.perm == nil {
		t.perm = make([]int32, n)
	}
	for i := range t.perm {
		t.perm[i] = int32(i)
	}
	t.shuffle.Seed(t.s.Train.Seed^streamShuffle, splitmix64(uint64(e)))
	t.shuffleR.Shuffle(n, func(i, j int) { t.perm[i], t.perm[j] = t.perm[j], t.perm[i] })
	t.permEpoch = e
}

// step trains batch t.batch of epoch t.epoch+1.
func (t *Trainer) step() error {
	lo := t.batch * t.bs
	idx := t.perm[lo:min(lo+t.bs, len(t.perm))]
	n := len(idx)
	x := t.gather(idx)
	m := t.model
	batch := uint64(t.epoch)*uint64(t.batches) + uint64(t.batch)
	if t.augment != nil {
		t.augment.apply(x, t.s.Train.Seed, batch)
	}
	if len(m.drops) > 0 {
		m.seedDropout(t.s.Train.Seed, batch)
	}
	lr := t.sched.rate(t.epoch, t.batch, t.batches)
	z := m.forward(x, true)
	dz := t.dz.view(n)
	var yb *Tensor
	if t.s.loss != lossSoftmaxCE {
		yb = &t.yb.t
	}
	var lb []int32
	if t.lb != nil {
		lb = t.lb[:n]
	}
	loss := t.s.loss.lossGrad(z, lb, yb, dz)
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return &DivergenceError{Epoch: t.epoch + 1, Batch: t.batch + 1, Layer: "loss", What: nonFinite(loss)}
	}
	m.backward(dz)
	if t.batch == t.statsBatch && !t.noDiag {
		t.captureDiag()
	}
	if bad := t.opt.step(m.params, lr); bad >= 0 {
		what := "Inf"
		if t.opt.gradMax[bad] > infBits {
			what = "NaN"
		}
		return &DivergenceError{Epoch: t.epoch + 1, Batch: t.batch + 1, Layer: m.params[bad].layer, What: what}
	}
	t.lossSum += loss * float64(n)
	t.lr = lr
	return nil
}

// gather copies the samples idx into the batch buffers.
func (t *Trainer) gather(idx []int32) *Tensor {
	n := len(idx)
	c := t.train.X.Cols
	xb := t.xb.view(n)
	X := t.train.X.Data
	for i, r := range idx {
		copy(xb.Data[i*c:(i+1)*c], X[int(r)*c:(int(r)+1)*c])
	}
	if t.s.loss == lossSoftmaxCE {
		lb := t.lb[:n]
		for i, r := range idx {
			lb[i] = t.trainLabels[r]
		}
		return xb
	}
	yc := t.train.Y.Cols
	yb := t.yb.view(n)
	Y := t.train.Y.Data
	for i, r := range idx {
		copy(yb.Data[i*yc:(i+1)*yc], Y[int(r)*yc:(int(r)+1)*yc])
	}
	return xb
}
