package core

// Task says what a dataset's targets are.
type Task uint8

// The tasks a dataset can pose.
const (
	// Classification: Y holds one class index (0..Classes-1) per sample, as
	// an n×1 tensor.
	Classification Task = iota + 1
	// Regression: Y holds the real-valued targets, one row per sample.
	Regression
)

// String returns the task's name.
func (t Task) String() string {
	switch t {
	case Classification:
		return "classification"
	case Regression:
		return "regression"
	}
	return "task(?)"
}

// MaxClasses bounds the classes of loaded data: IDX labels and the labels
// of a stated class count are class indices in [0, MaxClasses).
const MaxClasses = 1 << 16

// A Dataset is a set of samples: X has one row of features per sample and Y
// one row of targets. Trainers only read a Dataset, so concurrent trials
// may share one.
type Dataset struct {
	X       *Tensor
	Y       *Tensor
	Task    Task
	Classes int // number of classes of a classification task; 0 otherwise
	// Features names X's columns when the source named them (CSV headers).
	Features []string
	// Labels names the classes of a classification task when the source
	// named them (CSV class labels): Labels[i] is class i. Nil otherwise.
	Labels []string
	// Shape is the shape of one sample's features when the source stored
	// them as an array (IDX images: rows, columns, or more dimensions),
	// outermost first, its product X.Cols; nil otherwise. Convolutional
	// models take their input shape from it.
	Shape []int
}

// Len returns the number of samples.
func (d *Dataset) Len() int { return d.X.Rows }
