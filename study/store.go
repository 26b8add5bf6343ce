package study

import (
	"context"

	"github.com/dltune/dltune"
)

// Store is what a study needs from persistence. Package store holds the
// bbolt implementation, store/postgres one on a shared PostgreSQL
// database, and store/storetest the conformance suite that every
// implementation passes. What follows is the contract the loop relies on.
//
// Every method is one atomic state change or one consistent read, and is
// safe for concurrent use by multiple goroutines: the loop records trials
// from several goroutines at once.
//
//   - Atomic: a method that returns nil made its whole change; one that
//     returns an error made none of it, unless the error is the storage
//     failing to confirm a commit (a disk flush, a lost connection), after
//     which, as with any database, the change may or may not have been
//     made. Either way the stored state is one the methods could have
//     produced: a trial's record and its checkpoint always agree.
//   - Durable: once a method returns nil, its change survives a crash of
//     the process (kill -9) and, for a store that says so, of the machine.
//     A finished trial, once recorded, is never lost.
//   - Read-your-writes: after a change returns, every read through the
//     same Store sees it. TrialSummaries is one consistent snapshot.
//   - Numbers: CreateTrial assigns a number that no other trial of the
//     study has or will have, never reusing one, even across crashes.
//     Numbers increase in the order of creation; they need not be
//     consecutive (a shared store may leave gaps).
//   - Not found: a method naming a study, trial or checkpoint that does not
//     exist returns an error matching dltune.ErrNotFound and changes
//     nothing; CreateStudy of a taken name returns one matching
//     dltune.ErrExists.
//   - Copies: a Store keeps no reference to the values it is given and
//     returns values the caller may modify.
//   - Context: a method returns ctx's error if ctx is done before it
//     starts. A change that has started may run to completion, so to
//     record a trial's last state after its context was cancelled (Ctrl-C)
//     pass context.WithoutCancel(ctx).
//   - Ownership: the plain methods do not check who runs a trial; last
//     writer wins. So a Store alone serves one process at a time. A store
//     that many processes share must add ownership, as an optional
//     capability the loop detects by type assertion, as database/sql does
//     for drivers.
type Store interface {
	// CreateStudy stores a new study; it fails with an error matching
	// dltune.ErrExists if the name is taken.
	CreateStudy(ctx context.Context, s *dltune.Study) error
	// UpdateStudy replaces a stored study's record (its spec); its trials
	// are unchanged.
	UpdateStudy(ctx context.Context, s *dltune.Study) error
	// Study returns the named study, or an error that names it; the error
	// matches dltune.ErrNotFound if there is no such study.
	Study(ctx context.Context, name string) (*dltune.Study, error)
	// CreateTrial stores t as a new trial of the study and, on success
	// only, sets t.Number to the number it assigned; numbering and
	// storing are one change.
	CreateTrial(ctx context.Context, study string, t *dltune.Trial) error
	// UpdateTrial replaces the stored record of trial t.Number. When t is
	// finished (Complete, Pruned, Failed) its checkpoint is deleted in the
	// same change: a finished trial keeps none.
	UpdateTrial(ctx context.Context, study string, t *dltune.Trial) error
	// SaveCheckpoint replaces the record of trial t.Number and its
	// checkpoint in one change, so that the stored curve and the stored
	// checkpoint always agree. A trial keeps one checkpoint, its latest.
	// It fails if t is finished.
	SaveCheckpoint(ctx context.Context, study string, t *dltune.Trial, checkpoint []byte) error
	// Checkpoint returns trial number's last checkpoint, or an error
	// matching dltune.ErrNotFound if it has none.
	Checkpoint(ctx context.Context, study string, number int) ([]byte, error)
	// Trial returns trial number of the study, whole, or an error matching
	// dltune.ErrNotFound.
	Trial(ctx context.Context, study string, number int) (*dltune.Trial, error)
	// TrialSummaries returns the study's trials by ascending number, each
	// as Trial returns it but without its events, its error and its
	// epochs' per-layer diagnostics (Epoch.Layers). A run keeps every
	// trial in memory to decide and needs none of these; it loads a trial
	// whole with Trial before it writes it. An implementation may return
	// whole trials, but should not decode what it leaves out: the loop
	// keeps every summary in memory, and a study's diagnostics are most of
	// its size.
	TrialSummaries(ctx context.Context, study string) ([]*dltune.Trial, error)
}
