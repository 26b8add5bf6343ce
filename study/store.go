package study

import (
	"context"

	"github.com/dltune/dltune"
)

// Store is what a study needs from persistence. The bbolt store (package
// store) implements it; a shared-database backend serving many workers
// would implement the same methods, each of which is one atomic state
// change.
type Store interface {
	// CreateStudy stores a new study; it fails with an error matching
	// dltune.ErrExists if the name is taken.
	CreateStudy(ctx context.Context, s *dltune.Study) error
	// UpdateStudy replaces a stored study's record (its spec).
	UpdateStudy(ctx context.Context, s *dltune.Study) error
	// Study returns the named study, or an error that names it; the error
	// matches dltune.ErrNotFound if there is no such study.
	Study(ctx context.Context, name string) (*dltune.Study, error)
	// CreateTrial stores t as a new trial of the study, setting t.Number to
	// the next unused number, atomically.
	CreateTrial(ctx context.Context, study string, t *dltune.Trial) error
	// UpdateTrial replaces the stored record of trial t.Number. When t is
	// finished (Complete, Pruned, Failed) its checkpoint is deleted in the
	// same transaction.
	UpdateTrial(ctx context.Context, study string, t *dltune.Trial) error
	// SaveCheckpoint replaces the record of trial t.Number and its
	// checkpoint in one transaction, so that the stored curve and the
	// stored checkpoint always agree.
	SaveCheckpoint(ctx context.Context, study string, t *dltune.Trial, checkpoint []byte) error
	// Checkpoint returns trial number's last checkpoint, or an error matching
	// dltune.ErrNotFound if it has none.
	Checkpoint(ctx context.Context, study string, number int) ([]byte, error)
	// Trial returns trial number of the study, whole, or an error matching
	// dltune.ErrNotFound.
	Trial(ctx context.Context, study string, number int) (*dltune.Trial, error)
	// TrialSummaries returns the study's trials by ascending number, each
	// as Trial returns it but without its events, its error and its
	// epochs' per-layer diagnostics (Epoch.Layers). A run keeps every
	// trial in memory to decide and needs none of these; it loads a trial
	// whole with Trial before it writes it. An implementation may return
	// whole trials.
	TrialSummaries(ctx context.Context, study string) ([]*dltune.Trial, error)
}
