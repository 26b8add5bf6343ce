package core

import (
	"errors"
	"fmt"
	"math"
)

// Config is a whole training setup: the network, the optimizer, the
// learning-rate schedule and the training loop.
type Config struct {
	// Model is the network: a multilayer perceptron, or with Conv the dense
	// layers after the convolutional ones.
	Model MLPConfig
	// Conv, if not nil, makes the network convolutional: Conv's blocks on
	// the input images, then Model's dense layers.
	Conv *ConvConfig
	// Augment transforms the training images of a convolutional model.
	Augment   AugmentConfig
	Optimizer OptimizerConfig
	Schedule  ScheduleConfig
	Train     TrainConfig
}

// trainSetup is a validated Config with its names parsed.
type trainSetup struct {
	Config
	act           activation
	init, outInit initKind
	loss          lossKind
	conv          *convPlan // nil for an MLP
}

// resolve validates c against the data and fills in Model.Inputs and
// Model.Outputs. Errors name the configuration field at fault
// ("model.hidden[1]: ...") or the data set ("train data: ...").
func (c Config) resolve(train, val *Dataset) (*trainSetup, error) {
	s := &trainSetup{Config: c}
	s.Model.Hidden = append([]int(nil), c.Model.Hidden...)
	m := &s.Model
	var err error
	if s.act, err = parseActivation(m.Activation, m.LeakySlope); err != nil {
		return nil, err
	}
	if m.Activation != "leaky_relu" && m.LeakySlope != 0 && !(m.LeakySlope > 0 && m.LeakySlope < 1) {
		return nil, fmt.Errorf("model.leaky_slope: %v is not in (0, 1)", m.LeakySlope)
	}
	if s.init, err = parseInit(m.Init, s.act); err != nil {
		return nil, err
	}
	s.outInit = s.init
	if m.Init == "" {
		s.outInit = initGlorotUniform // the output layer is linear
	}
	for i, h := range m.Hidden {
		if h <= 0 {
			return nil, fmt.Errorf("model.hidden[%d]: %d is not a positive width", i, h)
		}
	}
	if !(m.Dropout >= 0 && m.Dropout < 1) {
		return nil, fmt.Errorf("model.dropout: %v is not in [0, 1)", m.Dropout)
	}
	if m.Inputs < 0 {
		return nil, fmt.Errorf("model.inputs: %d is negative", m.Inputs)
	}
	if m.Outputs < 0 {
		return nil, fmt.Errorf("model.outputs: %d is negative", m.Outputs)
	}
	if err := s.Optimizer.validate(); err != nil {
		return nil, err
	}
	if err := s.Schedule.validate(s.Optimizer.LearningRate); err != nil {
		return nil, err
	}
	tc := &s.Train
	if tc.Epochs <= 0 {
		return nil, fmt.Errorf("train.epochs: %d is not positive", tc.Epochs)
	}
	if tc.BatchSize <= 0 {
		return nil, fmt.Errorf("train.batch_size: %d is not positive", tc.BatchSize)
	}
	if tc.Patience < 0 {
		return nil, fmt.Errorf("train.patience: %d is negative", tc.Patience)
	}

	if err := checkData(train); err != nil {
		return nil, fmt.Errorf("train data: %w", err)
	}
	if val == nil {
		return nil, errors.New("validation data: missing")
	}
	if err := checkData(val); err != nil {
		return nil, fmt.Errorf("validation data: %w", err)
	}
	switch {
	case val.Task != train.Task:
		return nil, fmt.Errorf("validation data: task %v, training data %v", val.Task, train.Task)
	case val.X.Cols != train.X.Cols:
		return nil, fmt.Errorf("validation data: %d features, training data %d", val.X.Cols, train.X.Cols)
	case val.Y.Cols != train.Y.Cols:
		return nil, fmt.Errorf("validation data: %d targets per sample, training data %d", val.Y.Cols, train.Y.Cols)
	case val.Classes != train.Classes:
		return nil, fmt.Errorf("validation data: %d classes, training data %d", val.Classes, train.Classes)
	}

	if s.loss, err = parseLoss(tc.Loss, train.Task); err != nil {
		return nil, err
	}
	var outputs int
	var what string
	switch s.loss {
	case lossSoftmaxCE:
		if train.Task != Classification {
			return nil, fmt.Errorf("train.loss: softmax_cross_entropy needs classification data, not %v", train.Task)
		}
		outputs, what = train.Classes, fmt.Sprintf("%d classes", train.Classes)
	case lossMSE:
		if train.Task != Regression {
			return nil, fmt.Errorf("train.loss: mse needs regression data, not %v", train.Task)
		}
		outputs, what = train.Y.Cols, fmt.Sprintf("%d targets", train.Y.Cols)
	case lossBCE:
		if train.Task == Classification && train.Classes != 2 {
			return nil, fmt.Errorf("train.loss: binary_cross_entropy needs 2 classes, not %d", train.Classes)
		}
		for _, d := range []*Dataset{train, val} {
			if i, v, ok := firstOutside01(d.Y.Data); !ok {
				return nil, fmt.Errorf("train.loss: binary_cross_entropy needs targets in [0, 1]; sample %d has %v", i/d.Y.Cols, v)
			}
		}
		outputs, what = train.Y.Cols, fmt.Sprintf("%d binary targets", train.Y.Cols)
	}
	if m.Inputs == 0 {
		m.Inputs = train.X.Cols
	} else if m.Inputs != train.X.Cols {
		return nil, fmt.Errorf("model.inputs: %d does not match the data's %d features", m.Inputs, train.X.Cols)
	}
	if m.Outputs == 0 {
		m.Outputs = outputs
	} else if m.Outputs != outputs {
		return nil, fmt.Errorf("model.outputs: %d does not match the data's %s", m.Outputs, what)
	}
	if c.Conv != nil {
		if s.conv, err = c.Conv.plan(m.Inputs, train.Shape); err != nil {
			return nil, err
		}
	}
	if err := c.Augment.validate(s.conv); err != nil {
		return nil, err
	}
	return s, nil
}

func firstOutside01(y []float32) (int, float32, bool) {
	for i, v := range y {
		if !(v >= 0 && v <= 1) {
			return i, v, false
		}
	}
	return 0, 0, true
}

// checkData checks that a data set is complete and consistent, with finite
// features and valid targets.
func checkData(d *Dataset) error {
	switch {
	case d == nil || d.X == nil || d.Y == nil:
		return errors.New("missing")
	case d.X.Rows != d.Y.Rows:
		return fmt.Errorf("%d samples but %d targets", d.X.Rows, d.Y.Rows)
	case d.X.Rows == 0:
		return errors.New("no samples")
	case d.X.Cols == 0:
		return errors.New("no features")
	case len(d.X.Data) != d.X.Rows*d.X.Cols || len(d.Y.Data) != d.Y.Rows*d.Y.Cols:
		return errors.New("tensor data does not match its shape")
	}
	for i, v := range d.X.Data {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("sample %d: feature %d is %v", i/d.X.Cols, i%d.X.Cols, v)
		}
	}
	switch d.Task {
	case Classification:
		if d.Classes < 2 {
			return fmt.Errorf("%d classes; classification needs at least 2", d.Classes)
		}
		if d.Y.Cols != 1 {
			return fmt.Errorf("%d target columns; classification needs 1 (the class index)", d.Y.Cols)
		}
		for i, v := range d.Y.Data {
			if !(v >= 0 && v < float32(d.Classes)) || v != float32(math.Trunc(float64(v))) {
				return fmt.Errorf("sample %d: class %v is not an integer in [0, %d)", i, v, d.Classes)
			}
		}
	case Regression:
		if d.Y.Cols == 0 {
			return errors.New("no targets")
		}
		for i, v := range d.Y.Data {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return fmt.Errorf("sample %d: target %d is %v", i/d.Y.Cols, i%d.Y.Cols, v)
			}
		}
	default:
		return fmt.Errorf("unknown task %d", d.Task)
	}
	return nil
}
