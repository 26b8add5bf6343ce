package core

import (
	"fmt"
	"math"
)

// An Evaluation is how well a Model does on a data set.
type Evaluation struct {
	Samples int
	// Loss is the mean loss per sample, in the model's training loss.
	Loss float64

	// For classifiers: Accuracy is the fraction classified correctly;
	// Confusion[i][j] counts the samples of class i predicted as class j;
	// Precision[c] and Recall[c] are per class, NaN for a class never
	// predicted (precision) or absent from the data (recall).
	Accuracy          float64
	Confusion         [][]int
	Precision, Recall []float64

	// For regression, over all targets: root mean squared error, mean
	// absolute error and the coefficient of determination R² averaged
	// over the targets (NaN for a target constant in the data).
	RMSE, MAE, R2 float64
}

// Evaluate scores the model on d, whose features are raw (the model
// normalizes them). d must have the model's number of features, task and
// (for classifiers) at most its number of classes; otherwise Evaluate
// returns an error that says what was expected.
func (m *Model) Evaluate(d *Dataset) (*Evaluation, error) {
	if err := checkData(d); err != nil {
		return nil, fmt.Errorf("evaluate: %w", err)
	}
	switch {
	case d.X.Cols != m.cfg.Inputs:
		return nil, fmt.Errorf("evaluate: data has %d features per sample, the model takes %d", d.X.Cols, m.cfg.Inputs)
	case d.Task != m.task:
		return nil, fmt.Errorf("evaluate: %v data for a %v model", d.Task, m.task)
	case m.task == Classification && d.Classes > m.classes:
		return nil, fmt.Errorf("evaluate: data of %d classes for a model of %d", d.Classes, m.classes)
	case m.task == Regression && d.Y.Cols != m.cfg.Outputs:
		return nil, fmt.Errorf("evaluate: data has %d targets per sample, the model predicts %d", d.Y.Cols, m.cfg.Outputs)
	}
	z, err := m.logits(d.X)
	if err != nil {
		return nil, fmt.Errorf("evaluate: %w", err)
	}
	n := d.Len()
	e := &Evaluation{Samples: n}
	var labels []int32
	if m.loss == lossSoftmaxCE {
		labels = classLabels(d)
	}
	y := d.Y
	if m.loss == lossBCE && m.task == Classification && m.cfg.Outputs != y.Cols {
		return nil, fmt.Errorf("evaluate: data has %d targets per sample, the model predicts %d", y.Cols, m.cfg.Outputs)
	}
	sum, _ := m.loss.lossEval(z, labels, y)
	e.Loss = sum / float64(n)
	if m.task == Regression {
		e.RMSE, e.MAE, e.R2 = regressionScores(z, y)
		return e, nil
	}
	k := m.classes
	e.Confusion = make([][]int, k)
	for i := range e.Confusion {
		e.Confusion[i] = make([]int, k)
	}
	correct := 0
	for i := range n {
		want := int(y.Data[i])
		var got int
		if m.loss == lossSoftmaxCE {
			got = argmax(z.Row(i))
		} else if z.Data[i] > 0 { // one binary output
			got = 1
		}
		e.Confusion[want][got]++
		if got == want {
			correct++
		}
	}
	e.Accuracy = float64(correct) / float64(n)
	e.Precision, e.Recall = make([]float64, k), make([]float64, k)
	for c := range k {
		var pred, actual int
		for i := range k {
			pred += e.Confusion[i][c]
			actual += e.Confusion[c][i]
		}
		e.Precision[c] = float64(e.Confusion[c][c]) / float64(pred)
		e.Recall[c] = float64(e.Confusion[c][c]) / float64(actual)
	}
	return e, nil
}

func argmax(r []float32) int {
	best := 0
	for j, v := range r {
		if v > r[best] {
			best = j
		}
	}
	return best
}

// regressionScores returns RMSE and MAE over all outputs and R² averaged
// over the output columns, accumulated in float64.
func regressionScores(z, y *Tensor) (rmse, mae, r2 float64) {
	var se, ae float64
	for i, v := range z.Data {
		d := float64(v) - float64(y.Data[i])
		se += d * d
		ae += math.Abs(d)
	}
	n := float64(len(z.Data))
	rmse, mae = math.Sqrt(se/n), ae/n
	for j := range y.Cols {
		var mean float64
		for i := range y.Rows {
			mean += float64(y.Data[i*y.Cols+j])
		}
		mean /= float64(y.Rows)
		var res, tot float64
		for i := range y.Rows {
			t := float64(y.Data[i*y.Cols+j])
			d := t - float64(z.Data[i*z.Cols+j])
			res += d * d
			tot += (t - mean) * (t - mean)
		}
		r2 += 1 - res/tot
	}
	return rmse, mae, r2 / float64(y.Cols)
}
