// Package store keeps dltune's studies, trials and checkpoints in a single
// bbolt file (go.etcd.io/bbolt), dltune.db by default.
//
// A *DB implements study.Store, the interface the run loop needs, and
// study.WeightStore, and adds what the command-line tools need: Studies,
// Trials and DeleteStudy.
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
//	    weights           <number> -> weights: u8 format, u32 epoch,
//	                                  f64 loss (big-endian), model file
//
// Trial numbers are keys as big-endian uint64s, so keys sort by number.
// The trials bucket's bbolt sequence counts the trials created, and
// CreateTrial takes the next number from it. The study bucket's sequence
// is the study's revision (Revision), raised by every change of the
// study; older stores, which lack it, read as revision 0 until changed. Records are JSON objects whose
// first key is "format", the format they were written in; floats that
// are not finite (a diverging trial's loss) are the strings "NaN", "+Inf"
// and "-Inf". A trial has at most one checkpoint, its latest; a finished
// trial has none. So the file holds the trial records plus at most one
// checkpoint per unfinished trial, plus the weights after their best
// epoch of a study's search.keep_weights best finished trials and of
// the unfinished ones that may still join them (see SaveWeights and
// dltune.DropWeights): stores written before weights existed have no weights
// bucket, and Weights finds none in them. bbolt reuses the pages that replaced
// records and deleted checkpoints leave free, but the file never shrinks;
// Compact writes a compacted copy.
//
// # Format versions
//
// Format is the version this package writes. Open refuses a store whose
// meta format is newer (ErrVersion, with a message that says to upgrade
// dltune), and decoding refuses a record from a newer format the same way.
// When the format changes, Open will upgrade older stores in one
// transaction. A new optional key does not change the format: records
// without it decode as before, and an older dltune skips it (and drops it
// if it rewrites the record). A trial's "filters", the weights of a CNN's
// first convolution, came so.
//
// Open refuses a file that is not a dltune store (ErrNotStore): an empty
// file, a file that is not a bbolt database, or a bbolt database
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
// Only one process may have a store open for writing: a writable Open
// takes an exclusive lock on the file (bbolt's flock) and holds it until
// Close. A read-only DB holds no lock between reads, so a reader left
// open (a leaderboard piped into a paused pager, a dashboard) never
// blocks a study: it opens the file read-only for each read, under a
// shared lock that it releases when the read ends, and a writable Open
// waits for reads in progress, which are short. Read-only handles also
// read a store in a read-only file or file system.
//
// bbolt's writer reuses a page once no reader in its own process needs
// it; it cannot see readers in other processes, so no process may read
// the store while another writes it. Instead the writer keeps a snapshot
// for readers
// (KeepSnapshot): a copy without checkpoints and weights at SnapshotPath, .NAME.snapshot
// beside the store, retaken at an interval (a second, in dltune run)
// while the store changes, and
// replaced atomically. A read asks the lock, without waiting, whether a
// writer is alive (a killed process holds no lock); if one is, it reads
// the snapshot at once (AsOf says when it was taken) and otherwise the
// store. Checkpoint and Weights, which a snapshot lacks, read only the
// store. A read
// waits, up to Options.Timeout (2s by default), only while a writer keeps
// no snapshot, and then fails with ErrLocked; so does a writable Open
// while another writer has the store. Nothing waits indefinitely. A second
// writable Open of the same file within one process is refused the same
// way.
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
// SaveCheckpoint writes both in one transaction, and a trial's weights
// describe its stored best epoch, since SaveWeights writes them with the
// record and drops those of trials that leave the best in the same
// transaction; trial numbers are never
// reused. A write that fails (a full disk, a read-only file system) is
// rolled back and its error returned, wrapped with the store's path; the
// store stays as it was. A new store is built in a temporary file and
// linked into place, so a crash during creation leaves no partial store.
// What a killed process may leave beside the store (a temporary file of
// a creation or a snapshot, a stale snapshot) is hidden, and the next
// writable Open removes it.
//
// A new store, its snapshots and compacted copies are created with mode
// 0600 whatever the umask: the store holds study files and the paths of
// their data. A snapshot takes the store's mode, if that was changed.
// bbolt panics on damaged pages; DB methods recover and return an error
// matching ErrCorrupt instead.
//
// # The study.Store contract
//
// The guarantees the run loop relies on (atomic changes, durability,
// read-your-writes, never-reused numbers, dltune.ErrNotFound and
// dltune.ErrExists, copies) are stated once, on study.Store, and
// store/storetest checks them on every implementation, this one
// included. What this one adds: trial numbers are consecutive from 0;
// every commit is flushed to disk (fdatasync) before the method returns,
// so a change survives power loss too; a read-only DB reading a writer's
// snapshot sees the store as of that snapshot (AsOf); and only one process
// writes at a time, so the plain methods' last-writer-wins is all the
// ownership it needs. Its TrialSummaries does not decode the parts it
// leaves out.
package store
