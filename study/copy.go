package study

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/dltune/dltune"
)

// An Importer is a store that a study can be copied into with its trial
// numbers, from which the trials' seeds derive. Both stores of dltune
// implement it.
type Importer interface {
	CreateStudy(ctx context.Context, s *dltune.Study) error
	// ImportTrial stores t as trial t.Number, with its checkpoint if not
	// nil; it fails with dltune.ErrExists if the number is taken.
	ImportTrial(ctx context.Context, study string, t *dltune.Trial, checkpoint []byte) error
	DeleteStudy(ctx context.Context, name string) error
}

// Copy copies study name from src into dst with its trials, their numbers,
// the checkpoints of the unfinished ones and, when both are WeightStores,
// the weights src keeps, and returns the number of trials copied. A trial Running in src (a study running while it is
// copied) arrives Interrupted, to be continued from its checkpoint by the
// next run on dst. It fails with an error matching dltune.ErrExists if
// dst has a study of that name; a copy that fails midway is removed from
// dst, so dst has the whole study or none of it.
func Copy(ctx context.Context, dst Importer, src Store, name string) (n int, err error) {
	s, err := src.Study(ctx, name)
	if err != nil {
		return 0, fmt.Errorf("copy %s: %w", name, err)
	}
	sums, err := src.TrialSummaries(ctx, name)
	if err != nil {
		return 0, fmt.Errorf("copy %s: %w", name, err)
	}
	if err := dst.CreateStudy(ctx, s); err != nil {
		return 0, fmt.Errorf("copy %s: %w", name, err)
	}
	defer func() {
		if err != nil {
			if derr := dst.DeleteStudy(context.WithoutCancel(ctx), name); derr != nil {
				err = fmt.Errorf("%w (and removing the partial copy: %v)", err, derr)
			}
		}
	}()
	for _, sum := range sums {
		// One whole trial at a time: a study's diagnostics are most of
		// its size.
		t, err := src.Trial(ctx, name, sum.Number)
		if err != nil {
			return 0, fmt.Errorf("copy %s trial %d: %w", name, sum.Number, err)
		}
		var ckpt []byte
		if !t.State.Finished() {
			ckpt, err = src.Checkpoint(ctx, name, t.Number)
			if errors.Is(err, dltune.ErrNotFound) {
				ckpt = nil
			} else if err != nil {
				return 0, fmt.Errorf("copy %s trial %d: %w", name, t.Number, err)
			}
		}
		if t.State == dltune.Running {
			t.State = dltune.Interrupted
			t.Events = append(t.Events, dltune.Event{Time: time.Now(), Epoch: t.Epochs(), What: "interrupted: copied to another store while it ran"})
		}
		if err := dst.ImportTrial(ctx, name, t, ckpt); err != nil {
			return 0, fmt.Errorf("copy %s trial %d: %w", name, t.Number, err)
		}
		if err := copyWeights(ctx, dst, src, name, t, ckpt); err != nil {
			return 0, fmt.Errorf("copy %s trial %d: %w", name, t.Number, err)
		}
	}
	return len(sums), nil
}

// copyWeights copies the weights src keeps of trial t, imported into dst
// with ckpt, if both stores keep weights and they match t.
func copyWeights(ctx context.Context, dst Importer, src Store, name string, t *dltune.Trial, ckpt []byte) error {
	from, ok := src.(WeightStore)
	if !ok {
		return nil
	}
	to, ok := dst.(WeightStore)
	if !ok {
		return nil
	}
	w, err := from.Weights(ctx, name, t.Number)
	switch {
	case errors.Is(err, dltune.ErrNotFound):
		return nil
	case err != nil:
		return err
	case !w.Match(t) || !t.State.Finished() && ckpt == nil:
		// Weights of an earlier run of the trial, or a trial that will
		// restart from scratch: nothing to keep.
		return nil
	}
	// src bounded the weights it kept; dst keeps them all.
	return to.SaveWeights(ctx, name, t, ckpt, w, math.MaxInt32)
}
