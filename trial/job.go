package trial

import "github.com/dltune/dltune"

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
	// and a function that returns a checkpoint of the state after it (a
	// checkpoint costs a copy of the model and optimizer state, so it is
	// only made when asked for). Returning stop=true ends the trial there
	// (it was pruned); returning an error fails it.
	Report func(e dltune.Epoch, checkpoint func() ([]byte, error)) (stop bool, err error)
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
