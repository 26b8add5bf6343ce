package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math"

	"github.com/dltune/dltune"
	bolt "go.etcd.io/bbolt"
)

// weightsBucket holds, in a study's bucket, the weights of the trials
// that keep them. Stores written before weights existed have none; it is
// made by the first SaveWeights.
var weightsBucket = []byte("weights")

// weightsFormat is the version of a weights value: u8 version, u32 epoch,
// u64 loss bits (big-endian), then the model file's bytes.
const (
	weightsFormat = 1
	weightsHeader = 1 + 4 + 8
)

// SaveWeights replaces, in one transaction, the record of trial t.Number,
// its checkpoint and its weights, then deletes the weights that
// dltune.DropWeights drops to keep those of keep trials, ranked as a
// leaderboard ranks them, so that the stored curve, checkpoint and
// weights always agree and the weights kept are bounded. When t is finished its checkpoint is deleted
// and checkpoint must be nil; otherwise checkpoint must not be nil. w nil
// deletes the trial's weights. It fails with an error matching
// dltune.ErrNotFound if the study or trial does not exist. It is safe
// for concurrent use; w is not retained.
func (db *DB) SaveWeights(ctx context.Context, study string, t *dltune.Trial, checkpoint []byte, w *dltune.Weights, keep int) error {
	switch finished := t.State.Finished(); {
	case finished && checkpoint != nil:
		return fmt.Errorf("study %q trial %d: save weights: a checkpoint for a trial that is %s", study, t.Number, t.State)
	case !finished && checkpoint == nil:
		return fmt.Errorf("study %q trial %d: save weights: no checkpoint for a trial that is %s", study, t.Number, t.State)
	}
	data, err := encodeTrial(t, t.Number)
	if err != nil {
		return fmt.Errorf("study %q trial %d: encode: %w", study, t.Number, err)
	}
	var wv []byte
	if w != nil {
		if err := w.Check(); err != nil {
			return fmt.Errorf("study %q trial %d: save %w", study, t.Number, err)
		}
		wv = encodeWeights(w)
	}
	return db.update(ctx, func(tx *bolt.Tx) error {
		b, err := trialBucket(tx, study, t.Number)
		if err != nil {
			return err
		}
		if err := putTrial(b, study, t.Number, data); err != nil {
			return err
		}
		k := trialKey(t.Number)
		if checkpoint != nil {
			err = b.Bucket(checkpointsBucket).Put(k, checkpoint)
		} else {
			err = b.Bucket(checkpointsBucket).Delete(k)
		}
		if err != nil {
			return fmt.Errorf("study %q trial %d checkpoint: %w", study, t.Number, err)
		}
		wb, err := b.CreateBucketIfNotExists(weightsBucket)
		if err != nil {
			return fmt.Errorf("study %q weights: %w", study, err)
		}
		if wv != nil {
			err = wb.Put(k, wv)
		} else {
			err = wb.Delete(k)
		}
		if err != nil {
			return fmt.Errorf("study %q trial %d weights: %w", study, t.Number, err)
		}
		return dropWeights(study, wb, b.Bucket(trialsBucket), keep)
	})
}

// dropWeights deletes from wb the weights that dltune.DropWeights drops
// of those wb holds, keeping those of keep trials, ranked with their
// records in tb. It reads the header of each weights value and the record
// of each trial that has them: keep, and those of trials not finished.
func dropWeights(study string, wb, tb *bolt.Bucket, keep int) error {
	var held []dltune.HeldWeights
	c := wb.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		_, loss, err := weightsHead(v)
		if err != nil {
			return fmt.Errorf("study %q trial %x weights: %w", study, k, err)
		}
		if len(k) != 8 {
			return fmt.Errorf("study %q weights: %w: key %x", study, ErrCorrupt, k)
		}
		h := dltune.HeldWeights{Trial: int(binary.BigEndian.Uint64(k)), Loss: loss}
		if rec := tb.Get(k); rec != nil {
			t, err := decodeTrialSummary(rec)
			if err != nil {
				return fmt.Errorf("study %q trial %d: %w", study, h.Trial, err)
			}
			h.State, h.Epochs = t.State, t.Epochs()
		}
		held = append(held, h)
	}
	for _, n := range dltune.DropWeights(held, keep) {
		if err := wb.Delete(trialKey(n)); err != nil {
			return fmt.Errorf("study %q trial %d weights: %w", study, n, err)
		}
	}
	return nil
}

// Weights returns a copy of the weights of trial number, or an error
// matching dltune.ErrNotFound if the study or trial does not exist or the
// trial has none. It is safe for concurrent use. A read-only DB reads
// them from the store itself, never from a snapshot (which has none), so
// it waits for a writer like Open.
func (db *DB) Weights(ctx context.Context, study string, number int) (*dltune.Weights, error) {
	var w *dltune.Weights
	err := db.viewFrom(ctx, false, func(tx *bolt.Tx) error {
		v, err := weightsValue(tx, study, number)
		if err != nil {
			return err
		}
		w, err = decodeWeights(v)
		if err != nil {
			return fmt.Errorf("study %q trial %d weights: %w", study, number, err)
		}
		return nil
	})
	return w, err
}

// WeightsHead returns the epoch and loss of trial number's weights, with
// Model nil, or an error matching dltune.ErrNotFound as Weights does. It
// reads the value's header alone and copies nothing of the model. It is
// safe for concurrent use, and waits for a writer as Weights does.
func (db *DB) WeightsHead(ctx context.Context, study string, number int) (*dltune.Weights, error) {
	var w *dltune.Weights
	err := db.viewFrom(ctx, false, func(tx *bolt.Tx) error {
		v, err := weightsValue(tx, study, number)
		if err != nil {
			return err
		}
		epoch, loss, err := weightsHead(v)
		if err != nil {
			return fmt.Errorf("study %q trial %d weights: %w", study, number, err)
		}
		w = &dltune.Weights{Epoch: epoch, Loss: loss}
		return nil
	})
	return w, err
}

// weightsValue returns trial number's weights value, valid for the life
// of tx, or an error matching dltune.ErrNotFound if the study or trial
// does not exist or the trial has none.
func weightsValue(tx *bolt.Tx, study string, number int) ([]byte, error) {
	b, err := trialBucket(tx, study, number)
	if err != nil {
		return nil, err
	}
	var v []byte
	if wb := b.Bucket(weightsBucket); wb != nil {
		v = wb.Get(trialKey(number))
	}
	if v == nil {
		return nil, fmt.Errorf("study %q trial %d weights: %w", study, number, dltune.ErrNotFound)
	}
	return v, nil
}

func encodeWeights(w *dltune.Weights) []byte {
	b := make([]byte, 0, weightsHeader+len(w.Model))
	b = append(b, weightsFormat)
	b = binary.BigEndian.AppendUint32(b, uint32(w.Epoch))
	b = binary.BigEndian.AppendUint64(b, math.Float64bits(w.Loss))
	return append(b, w.Model...)
}

// weightsHead decodes the epoch and loss of a weights value.
func weightsHead(v []byte) (epoch int, loss float64, err error) {
	switch {
	case len(v) < 1:
		return 0, 0, fmt.Errorf("%w: empty weights", ErrCorrupt)
	case v[0] > weightsFormat:
		return 0, 0, &versionError{format: int(v[0])}
	case v[0] != weightsFormat || len(v) <= weightsHeader:
		return 0, 0, fmt.Errorf("%w: weights of format %d, %d bytes", ErrCorrupt, v[0], len(v))
	}
	return int(binary.BigEndian.Uint32(v[1:])), math.Float64frombits(binary.BigEndian.Uint64(v[5:])), nil
}

// decodeWeights decodes a copy of the weights value v.
func decodeWeights(v []byte) (*dltune.Weights, error) {
	epoch, loss, err := weightsHead(v)
	if err != nil {
		return nil, err
	}
	w := &dltune.Weights{Epoch: epoch, Loss: loss, Model: bytes.Clone(v[weightsHeader:])}
	if err := w.Check(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return w, nil
}
