package store

import (
	"context"
	"fmt"

	"github.com/dltune/dltune"
	bolt "go.etcd.io/bbolt"
)

// ImportTrial stores t, with its checkpoint if not nil, as trial t.Number
// of the study, keeping its number: a study copied from another store
// keeps its numbers, from which its trials' seeds derive. Numbers later
// created follow the largest imported. It fails with an error matching
// dltune.ErrExists if the study has a trial of that number, and
// dltune.ErrNotFound if there is no such study. It is safe for concurrent
// use.
func (db *DB) ImportTrial(ctx context.Context, study string, t *dltune.Trial, checkpoint []byte) error {
	if t.Number < 0 {
		return fmt.Errorf("study %q import trial %d: negative number", study, t.Number)
	}
	data, err := encodeTrial(t, t.Number)
	if err != nil {
		return fmt.Errorf("study %q trial %d: encode: %w", study, t.Number, err)
	}
	return db.update(ctx, func(tx *bolt.Tx) error {
		b, err := studyBucket(tx, study)
		if err != nil {
			return err
		}
		trials, k := b.Bucket(trialsBucket), trialKey(t.Number)
		if trials.Get(k) != nil {
			return fmt.Errorf("study %q trial %d: %w", study, t.Number, dltune.ErrExists)
		}
		if err := putTrial(b, study, t.Number, data); err != nil {
			return err
		}
		if next := uint64(t.Number) + 1; trials.Sequence() < next {
			if err := trials.SetSequence(next); err != nil {
				return err
			}
		}
		if checkpoint != nil && !t.State.Finished() {
			return b.Bucket(checkpointsBucket).Put(k, checkpoint)
		}
		return nil
	})
}
