package dltune

import "errors"

// Errors that callers test for with errors.Is.
var (
	// ErrNotFound: the study, trial or checkpoint asked for does not exist.
	ErrNotFound = errors.New("not found")
	// ErrExists: a study of that name already exists.
	ErrExists = errors.New("already exists")
	// ErrLost: a worker sharing a store with others changed a trial it no
	// longer holds: it stopped renewing its hold in time (a pause, a lost
	// connection), and another worker took the trial over.
	ErrLost = errors.New("trial taken over by another worker")
)
