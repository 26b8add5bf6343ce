package core

import (
	"cmp"
	"fmt"
	"math"
)

// A MemoryEstimate is the memory one Trainer allocates, in bytes, by
// purpose. It counts the buffers NewTrainer, the first Fit and one
// MarshalBinary allocate and keep or reuse. It does not count the data
// sets, which concurrent trials share, nor what callers do with the
// results.
type MemoryEstimate struct {
	// Parameters is the parameter slab and batch normalization's running
	// statistics; Gradients is the gradient slab.
	Parameters, Gradients int64
	// OptimizerState is the optimizer's slabs: two for adam and adamw
	// (the moments), one for sgd with momentum, one or two for rmsprop.
	OptimizerState int64
	// Activations is the layers' forward outputs and backward buffers
	// (and dropout masks) for a batch, plus the batch's gathered features,
	// targets and loss gradient.
	Activations int64
	// Evaluation is what the layers' buffers hold beyond a batch for
	// evaluation chunks, plus the validation labels.
	Evaluation int64
	// Gemm is an upper bound of the matrix products' packing buffers.
	Gemm int64
	// Checkpoint is one encoded checkpoint.
	Checkpoint int64
	// Other is the per-sample buffers of the training set (the shuffled
	// order, class labels) and the layers' small vectors and diagnostics.
	Other int64
}

// Total returns the sum of the parts.
func (e MemoryEstimate) Total() int64 {
	var t int64
	for _, v := range []int64{e.Parameters, e.Gradients, e.OptimizerState, e.Activations, e.Evaluation, e.Gemm, e.Checkpoint, e.Other} {
		t = addSat(t, v)
	}
	return t
}

// String formats the estimate as "1.2 GiB (parameters 300.0 MiB, ...)".
func (e MemoryEstimate) String() string {
	return fmt.Sprintf("%s (parameters %s, gradients %s, optimizer state %s, activations %s, evaluation %s, gemm %s, checkpoint %s, other %s)",
		byteSize(e.Total()), byteSize(e.Parameters), byteSize(e.Gradients), byteSize(e.OptimizerState), byteSize(e.Activations),
		byteSize(e.Evaluation), byteSize(e.Gemm), byteSize(e.Checkpoint), byteSize(e.Other))
}

// A DataShape is what EstimateMemory needs to know of the data.
type DataShape struct {
	Task Task
	// Features is the number of input columns, Targets the number of
	// target columns (1 for classification), Classes the number of
	// classes (classification only).
	Features, Targets, Classes int
	// Train and Validation are the sample counts.
	Train, Validation int
	// Shape is the training set's Dataset.Shape.
	Shape []int
}

// ShapeOf returns the shape of a training and a validation set.
func ShapeOf(train, val *Dataset) DataShape {
	return DataShape{Task: train.Task, Features: train.X.Cols, Targets: train.Y.Cols, Classes: train.Classes,
		Train: train.Len(), Validation: val.Len(), Shape: train.Shape}
}

// EstimateMemory returns the memory a Trainer for c on data of shape d
// will allocate, before building it. The estimate is meant to refuse a
// configuration that cannot fit before it is tried; it errs on the high
// side. Figures saturate at math.MaxInt64 rather than overflow.
//
// It returns an error for a configuration that NewTrainer would reject
// for a reason that needs no data (an unknown name, a width that is not
// positive), naming the field as NewTrainer does.
func (c Config) EstimateMemory(d DataShape) (MemoryEstimate, error) {
	act, err := parseActivation(c.Model.Activation, c.Model.LeakySlope)
	if err != nil {
		return MemoryEstimate{}, err
	}
	loss, err := parseLoss(c.Train.Loss, d.Task)
	if err != nil {
		return MemoryEstimate{}, err
	}
	if err := c.Optimizer.validate(); err != nil {
		return MemoryEstimate{}, err
	}
	for i, h := range c.Model.Hidden {
		if h <= 0 {
			return MemoryEstimate{}, fmt.Errorf("model.hidden[%d]: %d is not a positive width", i, h)
		}
	}
	if c.Train.BatchSize <= 0 {
		return MemoryEstimate{}, fmt.Errorf("train.batch_size: %d is not positive", c.Train.BatchSize)
	}
	if d.Features <= 0 || d.Train <= 0 || d.Validation <= 0 || d.Targets < 0 || d.Classes < 0 {
		return MemoryEstimate{}, fmt.Errorf("estimate memory: invalid data shape %+v", d)
	}
	in := int64(cmp.Or(c.Model.Inputs, d.Features))
	out := int64(c.Model.Outputs)
	if out == 0 {
		out = int64(d.Targets)
		if loss == lossSoftmaxCE {
			out = int64(d.Classes)
		}
	}
	var cp *convPlan
	if c.Conv != nil {
		if cp, err = c.Conv.plan(int(min(in, math.MaxInt32)), d.Shape); err != nil {
			return MemoryEstimate{}, err
		}
	}
	if err := c.Augment.validate(cp); err != nil {
		return MemoryEstimate{}, err
	}
	bs := int64(min(c.Train.BatchSize, d.Train))
	rows := max(bs, evalRows)
	if cp != nil {
		rows = max(bs, evalRowsConv)
	}
	const f32 = 4

	var e MemoryEstimate
	// Floats in the slabs and the batch-norm state, floats per batch row,
	// and bytes of per-layer vectors; np counts parameter tensors.
	var slab, state, perRow, vecs, np int64
	width := in
	denses := int64(0)
	addDense := func(in, out int64, bias, aux bool) {
		slab = addSat(slab, roundUp64(mulSat(in, out), slabAlign))
		np++
		if bias {
			slab = addSat(slab, roundUp64(out, slabAlign))
			np++
		}
		perRow = addSat(perRow, out+in) // y, dx
		if aux {
			perRow = addSat(perRow, out)
		}
		denses++
	}
	widest := int64(0)
	var convGemm int64
	if cp != nil {
		ce := cp.estimate(act.needsAux())
		slab, state, perRow, vecs, np = ce.slab, ce.state, ce.perRow, ce.vecs, ce.np
		denses, widest, convGemm = ce.convs, ce.widest, ce.gemm
		width = int64(cp.out.size())
	}
	for _, h := range c.Model.Hidden {
		h := int64(h)
		widest = max(widest, h)
		if c.Model.BatchNorm {
			addDense(width, h, false, false)
			slab = addSat(slab, 2*roundUp64(h, slabAlign)) // gamma, beta
			np += 2
			state = addSat(state, 2*h)
			perRow = addSat(perRow, 3*h) // xhat, y, dx
			if act.needsAux() {
				perRow = addSat(perRow, h)
			}
			vecs = addSat(vecs, mulSat(h, 4+8+8+4+4)) // invStd, mean, sum2, scale, shift
		} else {
			addDense(width, h, true, act.needsAux())
		}
		if c.Model.Dropout > 0 {
			perRow = addSat(perRow, 2*h) // mask, y
		}
		width = h
	}
	addDense(width, out, true, false)

	e.Parameters = mulSat(addSat(slab, state), f32)
	e.Gradients = mulSat(slab, f32)
	slabs := int64(0)
	switch parseOptimizerName(c.Optimizer.Name) {
	case optSGD:
		if c.Optimizer.Momentum != 0 {
			slabs = 1
		}
	case optAdam, optAdamW:
		slabs = 2
	case optRMSProp:
		slabs = 1
		if c.Optimizer.Momentum != 0 {
			slabs = 2
		}
	}
	e.OptimizerState = mulSat(mulSat(slabs, slab), f32)

	// The trainer's batch buffers: features, loss gradient, and targets
	// (float32) or labels (int32, 4 bytes too).
	batchRow := in + out + int64(d.Targets)
	if loss == lossSoftmaxCE {
		batchRow = in + out + 1
	}
	e.Activations = mulSat(addSat(mulSat(perRow, bs), mulSat(batchRow, bs)), f32)
	e.Evaluation = mulSat(mulSat(perRow, rows-bs), f32)
	if loss == lossSoftmaxCE {
		e.Evaluation = addSat(e.Evaluation, mulSat(int64(d.Validation), 4))
	}

	// Every product of the model runs on one Gemm, whose packing buffers
	// grow to the largest product's blocks.
	widths := []int64{in}
	if cp != nil {
		widths[0] = int64(cp.out.size())
	}
	for _, h := range c.Model.Hidden {
		widths = append(widths, int64(h))
	}
	widths = append(widths, out)
	e.Gemm = addSat(gemmBound(widths, bs, rows), convGemm)

	e.Checkpoint = checkpointSize(ckptShapeLen(len(c.Model.Hidden), cp), int(denses), slab, state, mulSat(slabs, slab))

	e.Other = mulSat(int64(d.Train), 4) // shuffled order
	if loss == lossSoftmaxCE {
		e.Other = addSat(e.Other, mulSat(int64(d.Train), 4))
	}
	e.Other = addSat(e.Other, vecs)
	if c.Augment.enabled() {
		e.Other = addSat(e.Other, mulSat(in, f32)+128) // one image of scratch, the generator
	}
	e.Other = addSat(e.Other, widest)     // dead-unit scratch
	e.Other = addSat(e.Other, 4*np)       // the optimizer's largest gradients
	e.Other = addSat(e.Other, denses*104) // diagnostics
	// The layer, parameter and trainer structures and their names.
	e.Other = addSat(e.Other, 2048+np*256)
	return e, nil
}

// gemmBound bounds the packing buffers of the Gemm that runs a model's
// products: dense layers between consecutive widths, on batches of bs rows
// and evaluation chunks of rows rows. For each product it counts the
// blocks of A and B that Gemm.sgemm packs, as if it packed both operands.
func gemmBound(widths []int64, bs, rows int64) int64 {
	kn := bestKernel
	var pa, pb int64
	product := func(m, n, k int64) {
		kc := gemmBlock(k, int64(kn.kc), 1)
		pa = max(pa, mulSat(roundUp64(min(gemmBlock(m, int64(kn.mc), int64(kn.mr)), m), int64(kn.mr)), kc))
		pb = max(pb, mulSat(roundUp64(min(gemmBlock(n, int64(kn.nc), int64(kn.nr)), n), int64(kn.nr)), kc))
	}
	for i := 1; i < len(widths); i++ {
		in, out := widths[i-1], widths[i]
		product(rows, out, in) // forward (evaluation chunks are the largest)
		product(in, out, bs)   // weight gradient
		if i > 1 {
			product(bs, in, out) // input gradient
		}
	}
	return mulSat(addSat(pa, pb), 4)
}

// gemmBlock is blockSize for int64.
func gemmBlock(x, limit, mult int64) int64 {
	if x <= limit {
		return roundUp64(x, mult)
	}
	nb := (x + limit - 1) / limit
	return roundUp64((x+nb-1)/nb, mult)
}

// checkpointSize returns the length of MarshalBinary's encoding for a
// model whose shape section is shape bytes, with denses weighted layers
// (convolutions and dense layers), whose parameter slab,
// batch-norm state and optimizer slabs hold slab, state and opt floats.
// It follows the layout documented at ckptMagic.
func checkpointSize(shape, denses int, slab, state, opt int64) int64 {
	fixed := int64(4 + 2 + shape + 4 + 8 + 8*5 + 4 + 1 + 1 + denses*(24+4*histBuckets) + 4*4 + 4)
	return addSat(fixed, mulSat(addSat(addSat(slab, state), opt), 4))
}

func roundUp64(x, mult int64) int64 {
	if x > math.MaxInt64-mult {
		return math.MaxInt64
	}
	return (x + mult - 1) / mult * mult
}

// addSat and mulSat add and multiply non-negative numbers, saturating at
// math.MaxInt64.
func addSat(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

func mulSat(a, b int64) int64 {
	if a != 0 && b > math.MaxInt64/a {
		return math.MaxInt64
	}
	return a * b
}
