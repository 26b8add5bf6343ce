package core

// MLPConfig describes a multilayer perceptron: dense layers with an
// activation between them and a linear output layer.
type MLPConfig struct {
	Inputs  int   // features per sample
	Hidden  []int // widths of the hidden layers, input side first; may be empty
	Outputs int   // width of the output layer
	// Activation of the hidden layers: relu, leaky_relu, tanh, sigmoid or
	// gelu. Empty means relu.
	Activation string
	// LeakySlope is leaky_relu's negative slope; 0 means 0.01.
	LeakySlope float64
	// Dropout is the probability of dropping a hidden unit while training,
	// in [0, 1); 0 disables dropout.
	Dropout float64
	// BatchNorm inserts batch normalization before each hidden activation.
	BatchNorm bool
	// Init is the weight initializer: glorot_uniform, glorot_normal,
	// he_uniform or he_normal. Empty chooses from the activation: He for the
	// ReLU family and GELU, Glorot for tanh and sigmoid (uniform).
	Init string
}

// OptimizerConfig chooses and tunes the optimizer.
type OptimizerConfig struct {
	// Name is sgd, adam, adamw or rmsprop.
	Name         string
	LearningRate float64
	// Momentum for sgd (0 is plain SGD) and rmsprop.
	Momentum float64
	// Nesterov switches sgd's momentum to Nesterov's.
	Nesterov bool
	// Beta1, Beta2 and Epsilon for adam and adamw; Rho (the decay of the
	// squared-gradient average) and Epsilon for rmsprop. Zero means the
	// usual default (0.9, 0.999, 1e-8; rho 0.9, epsilon 1e-8 for rmsprop).
	Beta1, Beta2, Epsilon, Rho float64
	// WeightDecay is L2 regularization added to the gradient for sgd, adam
	// and rmsprop, and decoupled weight decay for adamw. Biases and batch
	// normalization parameters are not decayed.
	WeightDecay float64
	// ClipNorm, if > 0, rescales the whole gradient so that its global L2
	// norm is at most ClipNorm.
	ClipNorm float64
}

// ScheduleConfig sets how the learning rate changes over training. The rate
// is set per batch from the fractional epoch, so schedules are smooth.
type ScheduleConfig struct {
	// Kind is constant, step or cosine. Empty means constant.
	Kind string
	// StepEpochs and Gamma: step multiplies the rate by Gamma every
	// StepEpochs epochs (defaults 10 and 0.1).
	StepEpochs int
	Gamma      float64
	// MinRate is the rate cosine decays to at the last epoch (default 0).
	MinRate float64
	// WarmupEpochs ramps the rate linearly from near 0 to its scheduled
	// value over the first WarmupEpochs epochs (0 disables warm-up).
	WarmupEpochs int
}

// TrainConfig sets the training loop.
type TrainConfig struct {
	// Epochs is the length of the whole training run; schedules such as
	// cosine are laid out over it even when a run is cut into pieces.
	Epochs    int
	BatchSize int
	// Loss is softmax_cross_entropy, mse or binary_cross_entropy. Empty
	// chooses from the task: softmax cross-entropy for classification, mean
	// squared error for regression.
	Loss string
	// Patience, if > 0, stops training when the validation loss has not
	// improved for Patience epochs in a row.
	Patience int
	// Seed drives initialization, shuffling and dropout.
	Seed uint64
}
