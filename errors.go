package dltune

import "errors"

// Errors that callers test for with errors.Is.
var (
	// ErrNotFound: the study, trial or checkpoint asked for does not exist.
	ErrNotFound = errors.New("not found")
	// ErrExists: a study of that name already exists.
	ErrExists = errors.New("already exists")
)
