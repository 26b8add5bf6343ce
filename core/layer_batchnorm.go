package core

import (
	"fmt"
	"math"
)

// Batch normalization constants, as in PyTorch's BatchNorm1d.
const (
	// bnMomentum is the weight of the current batch in the running
	// averages: running = (1-bnMomentum)·running + bnMomentum·batch.
	bnMomentum = 0.1
	// bnEpsilon is added to the variance before its square root.
	bnEpsilon = 1e-5
)

// batchNorm normalizes each column over the batch (Ioffe and Szegedy 2015),
// scales and shifts it by the learned gamma and beta, and applies a fused
// activation: y = act(gamma·(x-mean)/sqrt(var+eps) + beta).
//
// While training, mean and var are the batch's (var biased, divided by n),
// and the running averages used for evaluation are updated with momentum
// bnMomentum, the running variance with the unbiased batch variance (n-1;
// a batch of one sample leaves it as it is). A batch of one sample
// normalizes to beta.
type batchNorm struct {
	name        string
	cols        int
	act         activation
	gamma, beta *param
	// runMean and runVar are the running statistics, kept in the model's
	// state slab so that checkpoints include them.
	runMean, runVar []float32

	invStd []float32 // 1/sqrt(var+eps) of the last training batch
	mean   []float64 // mean of the last training batch
	sum2   []float64 // scratch: squared deviations
	scale  []float32 // scratch: evaluation scale and shift, per column
	shift  []float32
	xhat   rowBuffer
	y      rowBuffer
	aux    rowBuffer
	dx     rowBuffer
	n      int // rows of the last forward call
	train  bool
}

func newBatchNorm(name string, cols, maxRows int, act activation) *batchNorm {
	b := &batchNorm{
		name: name, cols: cols, act: act,
		gamma:  &param{name: name + ".gamma", layer: name, rows: 1, cols: cols},
		beta:   &param{name: name + ".beta", layer: name, rows: 1, cols: cols},
		invStd: make([]float32, cols),
		mean:   make([]float64, cols),
		sum2:   make([]float64, cols),
		scale:  make([]float32, cols),
		shift:  make([]float32, cols),
		xhat:   newRowBuffer(maxRows, cols),
		y:      newRowBuffer(maxRows, cols),
		dx:     newRowBuffer(maxRows, cols),
	}
	if act.needsAux() {
		b.aux = newRowBuffer(maxRows, cols)
	}
	return b
}

// stateLen is the length of the running statistics in the state slab.
func (b *batchNorm) stateLen() int { return 2 * b.cols }

// setState points the running statistics into s (len stateLen) and resets
// them to mean 0, variance 1.
func (b *batchNorm) setState(s []float32) {
	b.runMean, b.runVar = s[:b.cols:b.cols], s[b.cols:2*b.cols:2*b.cols]
	clear(b.runMean)
	for i := range b.runVar {
		b.runVar[i] = 1
	}
}

func (b *batchNorm) params() []*param { return []*param{b.gamma, b.beta} }

func (b *batchNorm) forward(x *Tensor, train bool) *Tensor {
	checkCols(b.name, x, b.cols)
	n, c := x.Rows, b.cols
	b.n, b.train = n, train
	y := b.y.view(n)
	gamma, beta := b.gamma.w[:c], b.beta.w[:c]
	if !train {
		// Fold the running statistics into a per-column scale and shift.
		// Fold the running statistics into a per-column scale and shift.
		scale, shift := b.scale[:c], b.shift[:c]
		for j := range c {
			s := gamma[j] / float32(math.Sqrt(float64(b.runVar[j])+bnEpsilon))
			scale[j] = s
			shift[j] = beta[j] - s*b.runMean[j]
		}
		for r := 0; r < n*c; r += c {
			xr, yr := x.Data[r:r+c], y.Data[r:r+c]
			for j, v := range xr {
				yr[j] = v * scale[j]
			}
		}
		b.act.biasAct(y.Data, shift, nil) // + shift, activation
		return y
	}
	// Two passes for the statistics, in float64: mean, then squared
	// deviations.
	mean, sum2 := b.mean[:c], b.sum2[:c]
	clear(mean)
	clear(sum2)
	for r := 0; r < n*c; r += c {
		for j, v := range x.Data[r : r+c] {
			mean[j] += float64(v)
		}
	}
	for j := range mean {
		mean[j] /= float64(n)
	}
	for r := 0; r < n*c; r += c {
		for j, v := range x.Data[r : r+c] {
			d := float64(v) - mean[j]
			sum2[j] += d * d
		}
	}
	for j := range c {
		b.invStd[j] = float32(1 / math.Sqrt(sum2[j]/float64(n)+bnEpsilon))
		b.runMean[j] = float32((1-bnMomentum)*float64(b.runMean[j]) + bnMomentum*mean[j])
		if n > 1 {
			b.runVar[j] = float32((1-bnMomentum)*float64(b.runVar[j]) + bnMomentum*sum2[j]/float64(n-1))
		}
	}
	xhat := b.xhat.view(n)
	inv := b.invStd[:c]
	for r := 0; r < n*c; r += c {
		xr, hr, yr := x.Data[r:r+c], xhat.Data[r:r+c], y.Data[r:r+c]
		for j, v := range xr {
			h := float32(float64(v)-mean[j]) * inv[j]
			hr[j] = h
			yr[j] = gamma[j] * h
		}
	}
	var aux []float32
	if b.act.needsAux() {
		aux = b.aux.view(n).Data
	}
	b.act.biasAct(y.Data, beta, aux) // + beta, activation
	return y
}

func (b *batchNorm) backward(dy *Tensor, needInput bool) *Tensor {
	n, c := b.n, b.cols
	if !b.train {
		panic(fmt.Sprintf("core: %s: backward after an evaluation forward pass", b.name))
	}
	if dy.Rows != n || dy.Cols != c {
		panic(fmt.Sprintf("core: %s: gradient is %dx%d, want %dx%d", b.name, dy.Rows, dy.Cols, n, c))
	}
	var aux []float32
	if b.act.needsAux() {
		aux = b.aux.view(n).Data
	}
	// dz = dy ⊙ act'(z); dbeta = Σ dz in the same pass.
	b.act.backward(dy.Data, b.y.view(n).Data, aux, b.beta.g)
	// dgamma = Σ dz·xhat
	xhat := b.xhat.view(n)
	dgamma := b.gamma.g[:c]
	clear(dgamma)
	for r := 0; r < n*c; r += c {
		for j, h := range xhat.Data[r : r+c] {
			dgamma[j] += dy.Data[r+j] * h
		}
	}
	if !needInput {
		return nil
	}
	// dx = gamma·invStd/n · (n·dz - Σdz - xhat·Σ(dz·xhat))
	dx := b.dx.view(n)
	gamma, dbeta, inv := b.gamma.w[:c], b.beta.g[:c], b.invStd[:c]
	k := b.scale[:c] // scratch
	for j := range c {
		k[j] = gamma[j] * inv[j] / float32(n)
	}
	fn := float32(n)
	for r := 0; r < n*c; r += c {
		dr, hr, xr := dy.Data[r:r+c], xhat.Data[r:r+c], dx.Data[r:r+c]
		for j, d := range dr {
			xr[j] = k[j] * (fn*d - dbeta[j] - hr[j]*dgamma[j])
		}
	}
	return dx
}
