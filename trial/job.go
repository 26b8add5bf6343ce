package trial

import (
	"github.com/dltune/dltune"
	"github.com/dltune/dltune/core"
)

// A Job asks for one trial to be trained up to a number of epochs.
type Job struct {
	// Number and Params identify the trial.
	Number int
	Params dltune.Params
	// Seed drives the trial's initialization, shuffling and dropout.
	Seed uint64
	// Done is the number of epochs already trained; Checkpoint holds the
	// training state after them (nil when Done is 0 and nothing was saved:
	// start from scratch).
	Done       int
	Checkpoint []byte
	// Until is the number of epochs to train to, in all.
	Until int
	// Report, if not nil, is called after every epoch with what it measured
	// and what makes the state after it on demand. Returning stop=true ends
	// the trial there (it was pruned); returning an error fails it.
	Report func(e dltune.Epoch, s State) (stop bool, err error)

	// Normalizer and Info go into the model files State.Model makes, for
	// a trial of the core: the normalization fitted on the training data
	// (nil: none) and where the model came from. Run sets Info's Trial,
	// Seed, Epochs and ValLoss.
	Normalizer *core.Normalizer
	Info       core.ModelInfo
}

// State makes, on demand, what a store keeps of a trial after an epoch.
// Each costs a copy of the model, so it is made only when asked for. Its
// functions may be called only during the Report call they came with.
type State struct {
	// Checkpoint returns the training state after the epoch, to continue
	// from.
	Checkpoint func() ([]byte, error)
	// Model returns the model file (.dltm, see core.LoadModel) of the
	// weights after the epoch. It is nil for a trial that makes none (a
	// command's program).
	Model func() ([]byte, error)
}

// A Result says how a job ended when Run returns without error, or, with
// Checkpoint, where an interrupted job stopped.
type Result struct {
	// Epochs is the number of epochs trained in all.
	Epochs int
	// EarlyStopped: the training's own early-stopping rule ended it before
	// Until.
	EarlyStopped bool
	// Pruned: Report asked to stop.
	Pruned bool
	// Filters are the first convolution's weights after the last epoch
	// trained, when Run returns without error; nil for an MLP.
	Filters *dltune.Filters
	// Stderr is the end of a command's stderr, its last lines and at
	// most dltune.MaxStderr bytes, however the run ended; "" for the
	// core's trials and a program that wrote nothing there.
	Stderr string
	// Checkpoint is the training state when the job was interrupted (its
	// context cancelled), possibly mid-epoch, so that it can continue
	// without losing the batches it trained. Nil otherwise.
	Checkpoint []byte
}
