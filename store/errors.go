package store

import (
	"errors"
	"fmt"
)

// Errors that callers test for with errors.Is. A missing or duplicate study,
// trial or checkpoint is reported with dltune.ErrNotFound or
// dltune.ErrExists instead.
var (
	// ErrLocked: another process, or another DB in this process, has the
	// store open for writing and did not close it within Options.Timeout;
	// for a read, that writer keeps no snapshot (see KeepSnapshot).
	ErrLocked = errors.New("store is in use by another dltune process")

	// ErrNotStore: the file is not a dltune store: it is empty, not a bbolt
	// database, or a bbolt database without dltune's metadata. Open never
	// modifies such a file.
	ErrNotStore = errors.New("not a dltune store")

	// ErrVersion: the store, or a record in it, was written by a newer
	// dltune in a format this one does not know. The error's message names
	// both formats.
	ErrVersion = errors.New("store format is newer than this dltune")

	// ErrCorrupt: the store is a dltune store but part of it cannot be read:
	// a record does not decode, or bbolt found a damaged page. After a
	// damaged page is found in a write, the DB refuses further changes.
	ErrCorrupt = errors.New("store is corrupted")

	// ErrReadOnly: a change was asked of a store opened with
	// Options.ReadOnly.
	ErrReadOnly = errors.New("store is open read-only")

	// ErrClosed: the DB was used after Close.
	ErrClosed = errors.New("store is closed")
)

// A versionError reports a store or record format newer than Format. It
// matches ErrVersion.
type versionError struct {
	format int
}

func (e *versionError) Error() string {
	return fmt.Sprintf("store format %d is newer than this dltune (%d); upgrade dltune", e.format, Format)
}

func (e *versionError) Is(target error) bool { return target == ErrVersion }
