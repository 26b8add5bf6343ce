package core

import "fmt"

func (t *Trainer) hasAccuracy() bool {
	return t.s.loss == lossSoftmaxCE || (t.s.loss == lossBCE && t.train.Task == Classification)
}

// evaluate returns the summed loss and the number of correct predictions
// of the model in evaluation mode on x (targets y or labels).
func (t *Trainer) evaluate(x, y *Tensor, labels []int32) (loss float64, correct int) {
	chunk := t.model.maxRows
	for lo := 0; lo < x.Rows; lo += chunk {
		hi := min(lo+chunk, x.Rows)
		t.xv = Tensor{Rows: hi - lo, Cols: x.Cols, Data: x.Data[lo*x.Cols : hi*x.Cols]}
		z := t.model.forward(&t.xv, false)
		var lb []int32
		var yv *Tensor
		if labels != nil {
			lb = labels[lo:hi]
		} else {
			t.yv = Tensor{Rows: hi - lo, Cols: y.Cols, Data: y.Data[lo*y.Cols : hi*y.Cols]}
			yv = &t.yv
		}
		l, c := t.s.loss.lossEval(z, lb, yv)
		loss += l
		correct += c
	}
	return loss, correct
}

// Metrics are a model's loss and, for classifiers, accuracy on a data set.
type Metrics struct {
	Loss        float64 // mean loss per sample
	Accuracy    float64 // fraction classified correctly, if HasAccuracy
	HasAccuracy bool
}

// Evaluate returns the model's metrics on d in evaluation mode (dropout
// off, batch normalization with its running statistics). d must have the
// training data's shape and task; otherwise Evaluate returns an error.
func (t *Trainer) Evaluate(d *Dataset) (Metrics, error) {
	if err := checkData(d); err != nil {
		return Metrics{}, fmt.Errorf("evaluate: %w", err)
	}
	if d.Task != t.train.Task || d.X.Cols != t.train.X.Cols || d.Y.Cols != t.train.Y.Cols || d.Classes != t.train.Classes {
		return Metrics{}, fmt.Errorf("evaluate: data of %d features, %d targets, task %v and %d classes does not match the model's training data",
			d.X.Cols, d.Y.Cols, d.Task, d.Classes)
	}
	var lb []int32
	if t.s.loss == lossSoftmaxCE {
		lb = classLabels(d)
	}
	loss, correct := t.evaluate(d.X, d.Y, lb)
	m := Metrics{Loss: loss / float64(d.Len()), HasAccuracy: t.hasAccuracy()}
	if m.HasAccuracy {
		m.Accuracy = float64(correct) / float64(d.Len())
	}
	return m, nil
}

// Predict returns the model's predictions for the samples of x (one per
// row) in evaluation mode: class probabilities for softmax cross-entropy,
// probabilities for binary cross-entropy, the outputs for mean squared
// error. It panics if x does not have the model's number of inputs.
func (t *Trainer) Predict(x *Tensor) *Tensor {
	checkCols("Predict", x, t.s.Model.Inputs)
	out := NewTensor(x.Rows, t.s.Model.Outputs)
	chunk := t.model.maxRows
	for lo := 0; lo < x.Rows; lo += chunk {
		hi := min(lo+chunk, x.Rows)
		t.xv = Tensor{Rows: hi - lo, Cols: x.Cols, Data: x.Data[lo*x.Cols : hi*x.Cols]}
		z := t.model.forward(&t.xv, false)
		copy(out.Data[lo*out.Cols:], z.Data)
	}
	switch t.s.loss {
	case lossSoftmaxCE:
		for i := range out.Rows {
			softmaxRow(out.Row(i))
		}
	case lossBCE:
		for i, v := range out.Data {
			out.Data[i] = sigmoid32(v)
		}
	}
	return out
}

func softmaxRow(r []float32) {
	m := rowMax(r)
	var s float32
	for j, v := range r {
		e := exp32(v - m)
		r[j] = e
		s += e
	}
	for j := range r {
		r[j] /= s
	}
}
