package study

import (
	"context"
	"time"

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
//     that many processes share implements Claimer as well.
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
	// same change: a finished trial keeps none. When t has no epoch (it
	// restarts from scratch), a WeightStore deletes its weights in the
	// same change: they describe no epoch of its curve.
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
	// as Trial returns it but without its events, its error, its filters,
	// its stderr and its epochs' per-layer diagnostics and metrics
	// (Epoch.Layers, Epoch.Metrics). A run keeps
	// every trial in memory to decide and needs none of these; it loads a
	// trial whole with Trial before it writes it. An implementation may return
	// whole trials, but should not decode what it leaves out: the loop
	// keeps every summary in memory, and a study's diagnostics are most of
	// its size.
	TrialSummaries(ctx context.Context, study string) ([]*dltune.Trial, error)
}

// A WeightStore is a Store that keeps, with each trial, its weights after
// its best epoch (dltune.Weights), so that Export needs no replay. All of
// dltune's stores are WeightStores; the loop discovers one by a type
// assertion, and with a plain Store keeps no weights.
//
// SaveWeights is the one change that writes weights, and it writes them
// with the record whose curve they belong to, so that a crash at any
// moment never leaves weights that describe another epoch than the
// stored record's best. Only the weights that dltune.DropWeights keeps
// stay: those of the study's keep finished trials that a leaderboard
// ranks first (so export --best finds them), and those of unfinished
// trials that may still join them. The change that stores a trial's
// weights deletes, in the same change, those that drop out of that set,
// so the disk they take is bounded by keep models plus one per
// unfinished trial, which holds a checkpoint at least as large. The
// contract of Store applies to both methods.
type WeightStore interface {
	Store
	// SaveWeights replaces, in one change, the record of trial t.Number,
	// its checkpoint and its weights. When t is finished its checkpoint
	// is deleted, as by UpdateTrial, and checkpoint must be nil;
	// otherwise checkpoint replaces it, as by SaveCheckpoint, and must
	// not be nil. w replaces the trial's weights; nil deletes them. Then,
	// in the same change, the weights that dltune.DropWeights drops, of
	// the trials as now stored, are deleted (all of them if keep <= 0,
	// this trial's included).
	SaveWeights(ctx context.Context, study string, t *dltune.Trial, checkpoint []byte, w *dltune.Weights, keep int) error
	// Weights returns the weights of trial number, or an error matching
	// dltune.ErrNotFound if it has none (it never had, they were
	// dropped, or it was stored before stores kept weights).
	Weights(ctx context.Context, study string, number int) (*dltune.Weights, error)
	// WeightsHead returns what Weights would, but without the model
	// (Model nil): their epoch and loss, which Weights.Match compares,
	// read without the model's megabytes. It fails as Weights does.
	WeightsHead(ctx context.Context, study string, number int) (*dltune.Weights, error)
}

// A Claimer is a Store that several processes share, on one machine or
// many: PostgreSQL's (store/postgres) is one. The loop discovers it by a
// type assertion, as database/sql discovers a driver's optional
// capabilities, and then changes the trials other processes may also
// change only through the methods below, each one transaction, so that
// correctness comes from the store rather than from luck:
//
//   - a new trial's number is reserved before the strategy picks its
//     parameters (so workers sampling at once draw different ones), and
//     the trial is stored only if the study's budget allows, checked in
//     the same transaction;
//   - a paused or interrupted trial is claimed by exactly one worker;
//   - each worker holds the trials it runs, renewing its hold by the
//     store's clock, never its own; a trial whose holder stopped renewing
//     is marked Interrupted by whichever worker notices first, and any
//     worker continues it from its checkpoint;
//   - each worker reads only the trials changed since it last looked, so
//     the cost of a trial does not grow with the study.
//
// The plain Store methods still record a held trial's epochs and end; on
// a trial this process no longer holds they fail with an error matching
// dltune.ErrLost and change nothing.
type Claimer interface {
	Store
	// Changes returns the study's trials created or changed after the
	// change numbered since (every trial if since < 0), by number, and the
	// number of the latest change they include (since, if none).
	Changes(ctx context.Context, study string, since int64) ([]*dltune.Trial, int64, error)
	// Reserve returns a trial number no other trial of the study has or
	// will be given, for Start.
	Reserve(ctx context.Context, study string) (int, error)
	// Start stores t, numbered t.Number from Reserve, as a new trial held
	// by this process, if fewer than budget trials of the study were
	// started; otherwise it stores nothing and returns false.
	Start(ctx context.Context, study string, t *dltune.Trial, budget int) (bool, error)
	// Claim changes trial number if it is stored in state from and no
	// other worker is claiming it: in one transaction it reads the stored
	// trial, calls change with it and whether it has a checkpoint, and
	// stores the result, held by this process if it is now Running. It
	// returns the stored trial, its checkpoint if it is now Running (nil
	// if it has none), and false if the trial was not in state from.
	Claim(ctx context.Context, study string, number int, from dltune.State, change func(t *dltune.Trial, checkpoint bool)) (*dltune.Trial, []byte, bool, error)
	// Expire changes, with change, the study's running trials whose
	// holder stopped renewing its hold (holder names it, and expired says
	// when the hold ended), in one transaction, and returns how many it
	// changed. change must make a trial Interrupted or finished.
	Expire(ctx context.Context, study string, change func(t *dltune.Trial, holder string, expired time.Time)) (int, error)
}
