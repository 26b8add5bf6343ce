package core

import (
	"fmt"
	"math"
)

// lossKind is a training objective on the output layer's linear outputs
// (logits). Every loss is the mean over the batch of a per-sample loss, so
// epoch losses are comparable across batch sizes.
type lossKind uint8

const (
	// lossSoftmaxCE is softmax cross-entropy on integer class labels.
	lossSoftmaxCE lossKind = iota + 1
	// lossMSE is the squared error averaged over the outputs of a sample.
	lossMSE
	// lossBCE is binary cross-entropy on logits, averaged over the outputs
	// of a sample; targets are in [0, 1].
	lossBCE
)

var lossNames = [...]string{
	lossSoftmaxCE: "softmax_cross_entropy",
	lossMSE:       "mse",
	lossBCE:       "binary_cross_entropy",
}

func (k lossKind) String() string { return lossNames[k] }

func parseLoss(name string, task Task) (lossKind, error) {
	switch name {
	case "":
		if task == Classification {
			return lossSoftmaxCE, nil
		}
		return lossMSE, nil
	case "softmax_cross_entropy":
		return lossSoftmaxCE, nil
	case "mse":
		return lossMSE, nil
	case "binary_cross_entropy":
		return lossBCE, nil
	}
	return 0, fmt.Errorf("train.loss: unknown loss %q (want %s)", name, oneOf(Losses()))
}

// lossGrad returns the mean loss of the batch of logits z and writes its
// gradient with respect to z into dz (same shape as z). Softmax
// cross-entropy reads labels (one per row); the other losses read the
// targets y (same shape as z).
func (k lossKind) lossGrad(z *Tensor, labels []int32, y, dz *Tensor) float64 {
	if dz.Rows != z.Rows || dz.Cols != z.Cols {
		panic(fmt.Sprintf("core: %v: gradient is %dx%d, logits %dx%d", k, dz.Rows, dz.Cols, z.Rows, z.Cols))
	}
	switch k {
	case lossSoftmaxCE:
		return softmaxCE(z, labels, dz)
	case lossMSE:
		return mse(z, y, dz)
	case lossBCE:
		return bce(z, y, dz)
	}
	panic("core: invalid loss")
}

// lossEval returns the summed (not averaged) loss of the batch and the
// number of samples classified correctly: argmax for softmax
// cross-entropy, logit > 0 for a one-output binary cross-entropy; 0 for
// the rest.
func (k lossKind) lossEval(z *Tensor, labels []int32, y *Tensor) (sum float64, correct int) {
	switch k {
	case lossSoftmaxCE:
		return softmaxCEEval(z, labels)
	case lossMSE:
		return mse(z, y, nil) * float64(z.Rows), 0
	case lossBCE:
		sum = bce(z, y, nil) * float64(z.Rows)
		if z.Cols == 1 {
			for i, v := range z.Data[:z.Rows] {
				if (v > 0) == (y.Data[i] > 0.5) {
					correct++
				}
			}
		}
		return sum, correct
	}
	panic("core: invalid loss")
}

// softmaxCE is the fused, numerically stable softmax cross-entropy: per row
// one pass for the maximum, one for the exponentials (stored in dz), one
// to normalize them into the gradient (softmax - onehot)/n.
func softmaxCE(z *Tensor, labels []int32, dz *Tensor) float64 {
	n, c := z.Rows, z.Cols
	checkLabels(z, labels)
	inv := 1 / float32(n)
	var total float64
	for i := range n {
		zr, dr := z.Data[i*c:(i+1)*c], dz.Data[i*c:(i+1)*c]
		m := rowMax(zr)
		var s float32
		for j, v := range zr {
			e := exp32(v - m)
			dr[j] = e
			s += e
		}
		lbl := labels[i]
		total += float64(m) + math.Log(float64(s)) - float64(zr[lbl])
		f := inv / s
		for j := range dr {
			dr[j] *= f
		}
		dr[lbl] -= inv
	}
	return total / float64(n)
}

func softmaxCEEval(z *Tensor, labels []int32) (sum float64, correct int) {
	n, c := z.Rows, z.Cols
	checkLabels(z, labels)
	for i := range n {
		zr := z.Data[i*c : (i+1)*c]
		m := rowMax(zr)
		var s float32
		best := 0
		for j, v := range zr {
			s += exp32(v - m)
			if v > zr[best] {
				best = j
			}
		}
		lbl := labels[i]
		sum += float64(m) + math.Log(float64(s)) - float64(zr[lbl])
		if best == int(lbl) {
			correct++
		}
	}
	return sum, correct
}

func rowMax(r []float32) float32 {
	m := r[0]
	for _, v := range r[1:] {
		if v > m || v != v {
			m = v
		}
	}
	return m
}

func checkLabels(z *Tensor, labels []int32) {
	if len(labels) != z.Rows {
		panic(fmt.Sprintf("core: softmax cross-entropy: %d labels for %d rows", len(labels), z.Rows))
	}
}

func checkTargets(who string, z, y *Tensor) {
	if y == nil || y.Rows != z.Rows || y.Cols != z.Cols {
		panic(fmt.Sprintf("core: %s: targets do not match %dx%d logits", who, z.Rows, z.Cols))
	}
}

// mse returns the mean over the batch of each sample's mean squared error
// and, if dz is not nil, writes the gradient.
func mse(z, y, dz *Tensor) float64 {
	checkTargets("mse", z, y)
	n := len(z.Data[:z.Rows*z.Cols])
	var total float64
	yd := y.Data[:n]
	if dz == nil {
		for i, v := range z.Data[:n] {
			d := float64(v - yd[i])
			total += d * d
		}
		return total / float64(n)
	}
	dd := dz.Data[:n]
	g := 2 / float32(n)
	for i, v := range z.Data[:n] {
		d := v - yd[i]
		total += float64(d) * float64(d)
		dd[i] = g * d
	}
	return total / float64(n)
}

// bce is binary cross-entropy on logits, in the stable form
// max(z,0) - z·y + log(1+e^-|z|), with gradient sigmoid(z) - y.
func bce(z, y, dz *Tensor) float64 {
	checkTargets("binary cross-entropy", z, y)
	n := len(z.Data[:z.Rows*z.Cols])
	yd := y.Data[:n]
	var total float64
	g := 1 / float32(n)
	for i, v := range z.Data[:n] {
		zf, t := float64(v), float64(yd[i])
		total += max(zf, 0) - zf*t + math.Log1p(math.Exp(-math.Abs(zf)))
		if dz != nil {
			dz.Data[i] = g * (sigmoid32(v) - yd[i])
		}
	}
	return total / float64(n)
}
