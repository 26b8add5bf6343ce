package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"

	"github.com/dltune/dltune"
	bolt "go.etcd.io/bbolt"
)

// CreateTrial stores t as a new trial of the study and sets t.Number to its
// number: one more than the last trial created in the study, starting at 0.
// Numbering and storing are one transaction, so concurrent callers get
// unique, consecutive numbers and a failed call uses none. t.Number is set
// only on success. It fails with an error matching dltune.ErrNotFound if
// there is no such study. It is safe for concurrent use.
func (db *DB) CreateTrial(ctx context.Context, study string, t *dltune.Trial) error {
	var n int
	err := db.update(ctx, func(tx *bolt.Tx) error {
		b, err := studyBucket(tx, study)
		if err != nil {
			return err
		}
		trials := b.Bucket(trialsBucket)
		seq, err := trials.NextSequence()
		if err != nil {
			return fmt.Errorf("study %q new trial: %w", study, err)
		}
		n = int(seq - 1)
		data, err := encodeTrial(t, n)
		if err != nil {
			return fmt.Errorf("study %q trial %d: encode: %w", study, n, err)
		}
		return putTrial(b, study, n, data)
	})
	if err != nil {
		return err
	}
	t.Number = n
	return nil
}

// UpdateTrial replaces the stored record of trial t.Number. When t is
// finished (Complete, Pruned or Failed) the trial's checkpoint is deleted
// in the same transaction, and when it has no epoch (it restarts from
// scratch) its weights (see SaveWeights). It fails with an error matching
// dltune.ErrNotFound if the study or trial does not exist. It is safe for
// concurrent use.
func (db *DB) UpdateTrial(ctx context.Context, study string, t *dltune.Trial) error {
	data, err := encodeTrial(t, t.Number)
	if err != nil {
		return fmt.Errorf("study %q trial %d: encode: %w", study, t.Number, err)
	}
	finished, fresh := t.State.Finished(), len(t.Curve) == 0
	return db.update(ctx, func(tx *bolt.Tx) error {
		b, err := trialBucket(tx, study, t.Number)
		if err != nil {
			return err
		}
		if err := putTrial(b, study, t.Number, data); err != nil {
			return err
		}
		k := trialKey(t.Number)
		if wb := b.Bucket(weightsBucket); fresh && wb != nil {
			if err := wb.Delete(k); err != nil {
				return fmt.Errorf("study %q trial %d weights: %w", study, t.Number, err)
			}
		}
		if finished {
			return b.Bucket(checkpointsBucket).Delete(k)
		}
		return nil
	})
}

// SaveCheckpoint replaces the record of trial t.Number and its checkpoint
// in one transaction, so that the stored curve and checkpoint always
// agree. A trial keeps one checkpoint, its latest. It fails with an error
// matching dltune.ErrNotFound if the study or trial does not exist, and
// with an error if t is finished, since a finished trial keeps no
// checkpoint. It is safe for concurrent use; checkpoint is not retained.
func (db *DB) SaveCheckpoint(ctx context.Context, study string, t *dltune.Trial, checkpoint []byte) error {
	if t.State.Finished() {
		return fmt.Errorf("study %q trial %d: save checkpoint: trial is %s", study, t.Number, t.State)
	}
	data, err := encodeTrial(t, t.Number)
	if err != nil {
		return fmt.Errorf("study %q trial %d: encode: %w", study, t.Number, err)
	}
	if checkpoint == nil {
		checkpoint = []byte{} // bbolt refuses nil values
	}
	return db.update(ctx, func(tx *bolt.Tx) error {
		b, err := trialBucket(tx, study, t.Number)
		if err != nil {
			return err
		}
		if err := putTrial(b, study, t.Number, data); err != nil {
			return err
		}
		if err := b.Bucket(checkpointsBucket).Put(trialKey(t.Number), checkpoint); err != nil {
			return fmt.Errorf("study %q trial %d checkpoint: %w", study, t.Number, err)
		}
		return nil
	})
}

// Checkpoint returns a copy of the last checkpoint of trial number, or an
// error matching dltune.ErrNotFound if the study or trial does not exist
// or the trial has no checkpoint. It is safe for concurrent use. A
// read-only DB reads it from the store itself, never from a snapshot
// (which has no checkpoints), so it waits for a writer like Open.
func (db *DB) Checkpoint(ctx context.Context, study string, number int) ([]byte, error) {
	var ckpt []byte
	err := db.viewFrom(ctx, false, func(tx *bolt.Tx) error {
		b, err := trialBucket(tx, study, number)
		if err != nil {
			return err
		}
		v := b.Bucket(checkpointsBucket).Get(trialKey(number))
		if v == nil {
			return fmt.Errorf("study %q trial %d checkpoint: %w", study, number, dltune.ErrNotFound)
		}
		ckpt = bytes.Clone(v)
		return nil
	})
	return ckpt, err
}

// Trial returns trial number of the study, or an error matching
// dltune.ErrNotFound. It is safe for concurrent use.
func (db *DB) Trial(ctx context.Context, study string, number int) (*dltune.Trial, error) {
	var t *dltune.Trial
	err := db.view(ctx, func(tx *bolt.Tx) error {
		b, err := trialBucket(tx, study, number)
		if err != nil {
			return err
		}
		k := trialKey(number)
		t, err = readTrial(study, k, b.Bucket(trialsBucket).Get(k), decodeTrial)
		return err
	})
	return t, err
}

// Trials returns the study's trials by ascending number, or an error
// matching dltune.ErrNotFound if there is no such study. It reads and
// decodes every trial: its cost grows with the number of trials. It is
// safe for concurrent use.
func (db *DB) Trials(ctx context.Context, study string) ([]*dltune.Trial, error) {
	return db.trials(ctx, study, decodeTrial)
}

// TrialSummaries returns the study's trials by ascending number as Trials
// does, but without what only a reader of one trial needs: each epoch's
// per-layer diagnostics (Epoch.Layers), the events and the error message.
// That is all a run needs to decide, in a tenth of the memory or less: the
// diagnostics are skipped while decoding, never allocated. Trial returns
// a trial whole. It is safe for concurrent use.
func (db *DB) TrialSummaries(ctx context.Context, study string) ([]*dltune.Trial, error) {
	return db.trials(ctx, study, decodeTrialSummary)
}

// trials returns the study's trials by ascending number, each decoded by
// decode.
func (db *DB) trials(ctx context.Context, study string, decode func([]byte) (*dltune.Trial, error)) ([]*dltune.Trial, error) {
	var trials []*dltune.Trial
	err := db.view(ctx, func(tx *bolt.Tx) error {
		b, err := studyBucket(tx, study)
		if err != nil {
			return err
		}
		tb := b.Bucket(trialsBucket)
		trials = make([]*dltune.Trial, 0, min(tb.Sequence(), 1<<20))
		return tb.ForEach(func(k, v []byte) error {
			t, err := readTrial(study, k, v, decode)
			if err != nil {
				return err
			}
			trials = append(trials, t)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return trials, nil
}

// trialKey returns the key of trial n: its number as a big-endian uint64,
// so that keys sort by number.
func trialKey(n int) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8), uint64(n))
}

// trialBucket returns the bucket of study if trial number exists in it, or
// an error matching dltune.ErrNotFound.
func trialBucket(tx *bolt.Tx, study string, number int) (*bolt.Bucket, error) {
	b, err := studyBucket(tx, study)
	if err != nil {
		return nil, err
	}
	if number < 0 || b.Bucket(trialsBucket).Get(trialKey(number)) == nil {
		return nil, fmt.Errorf("study %q trial %d: %w", study, number, dltune.ErrNotFound)
	}
	return b, nil
}

// readTrial decodes with decode the trial record v stored under key k.
func readTrial(study string, k, v []byte, decode func([]byte) (*dltune.Trial, error)) (*dltune.Trial, error) {
	if len(k) != 8 {
		return nil, fmt.Errorf("study %q: %w: trial key %x", study, ErrCorrupt, k)
	}
	n := binary.BigEndian.Uint64(k)
	if v == nil {
		return nil, fmt.Errorf("study %q trial %d: %w: not a record", study, n, ErrCorrupt)
	}
	t, err := decode(v)
	if err != nil {
		return nil, fmt.Errorf("study %q trial %d: %w", study, n, err)
	}
	if uint64(t.Number) != n {
		return nil, fmt.Errorf("study %q trial %d: %w: record has number %d", study, n, ErrCorrupt, t.Number)
	}
	return t, nil
}
