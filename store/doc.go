// Package store keeps dltune's studies, trials and checkpoints in a single
// bbolt file (go.etcd.io/bbolt), dltune.db by default.
//
// A *DB implements study.Store, the interface the run loop needs, and adds
// what the command-line tools need: Studies, Trial and DeleteStudy.
//
// # Layout
//
// The file holds two top-level buckets:
//
//	meta                  "magic"  -> "dltune store"
//	                      "format" -> store format, big-endian uint64
//	studies
//	  <study name>        "study"  -> study record
//	    trials            <number> -> trial record
//	    checkpoints       <number> -> checkpoint bytes
//
// Trial numbers are keys as big-endian uint64s, so keys sort by number.
// The trials bucket's bbolt sequence counts the trials created, and
// CreateTrial takes the next number from it. Records are JSON objects whose
// first key is "format", the format they were written in; floats that
// are not finite (a diverging trial's loss) are the strings "NaN", "+Inf"
// and "-Inf". A trial has at most one checkpoint, its latest; a finished
// trial has none. So the file holds the trial records plus at most one
// checkpoint per unfinished trial. bbolt reuses the pages that replaced
// records and deleted checkpoints leave free, but the file never shrinks;
// Compact writes a compacted copy.
//
// # Format versions
//
// Format is the version this package writes. Open refuses a store whose
// meta format is newer (ErrVersion, with a message that says to upgrade
// dltune), and decoding refuses a record from a newer format the same way.
// When the format changes, Open will upgrade older stores in one
// transaction. Open refuses a file that is not a dltune store (ErrNotStore):
// an empty file, a file that is not a bbolt database, or a bbolt database
// without dltune's meta bucket. It checks the file through a read-only
// handle first, so it never writes to a file that is not a dltune store.
//
// # Concurrency
//
// A DB is safe for concurrent use by multiple goroutines: the run loop
// records trials from several goroutines at once. Reads run in bbolt read
// transactions, concurrently with each other and with the one write
// transaction bbolt allows at a time. Writes that arrive while a write is
// committing are committed together in the next transaction (group
// commit), so concurrent writers share the cost of the disk flush; each
// change is still atomic on its own, and a failing change does not undo
// the others.
//
// Only one process may have a store open for writing. bbolt locks the file
// with flock: a writable Open takes an exclusive lock, a read-only Open a
// shared one. So read-only opens by several processes coexist, but a
// read-only Open (dltune leaderboard, say) fails while a study runs, and a
// study cannot start while a reader has the store open. In every case the
// Open that cannot get its lock fails with ErrLocked after Options.Timeout
// (2s by default); it never hangs. The same holds for a second Open of the
// same file within one process.
//
// Methods take a context.Context and return its error if it is done before
// they start. A change that has started runs to completion, so an error
// always means the change was not made. To record a trial's last state
// after its context was canceled (Ctrl-C), pass context.WithoutCancel(ctx).
//
// # Crash safety
//
// Every state change is one bbolt transaction, and bbolt flushes each
// commit to disk (fdatasync) before the method returns. A process that
// dies at any moment, by kill -9 or power loss, leaves the store as it was
// after the last commit: a finished trial, once UpdateTrial returns, is
// never lost; a trial's stored curve and checkpoint always agree, since
// SaveCheckpoint writes both in one transaction; trial numbers are never
// reused. A write that fails (a full disk, a read-only file system) is
// rolled back and its error returned, wrapped with the store's path; the
// store stays as it was. A new store is built in a temporary file and
// linked into place, so a crash during creation leaves no partial store
// (at most a hidden temporary file beside it, which is safe to delete).
// bbolt panics on damaged pages; DB methods recover and return an error
// matching ErrCorrupt instead.
//
// # Guarantees for other backends
//
// study.Store is meant to have other implementations, such as a shared
// database from which workers on many machines claim trials. What a
// backend must guarantee, and what this one does:
//
//   - CreateStudy is atomic and fails with dltune.ErrExists for a taken name.
//   - CreateTrial assigns a number no other trial of the study has or will
//     have, and stores the record atomically with it. Here numbers are
//     also consecutive from 0; a shared backend may leave gaps.
//   - UpdateTrial replaces one trial's record, and deletes its checkpoint
//     in the same transaction when the trial is finished. Last writer wins:
//     the store does not check that the caller owns the trial. A backend
//     with several workers must add ownership (a lease held by the worker
//     running the trial), as an optional capability the run loop detects
//     with a type assertion, as database/sql does for drivers.
//   - SaveCheckpoint replaces a trial's record and checkpoint atomically.
//   - Study, Trial, Trials and Checkpoint read committed state: after a
//     change returns, every read sees it (read-your-writes). Trials returns
//     a consistent snapshot.
//   - A method that returns an error made no change, unless the error is
//     the disk failing to flush a commit, after which, as with any
//     database, the change may or may not have reached the disk.
package store
