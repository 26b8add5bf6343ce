package trial

import (
	"context"
	"errors"
	"fmt"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/core"
)

// errPruned stops core training when Report asks for it.
var errPruned = errors.New("pruned")

// Run trains the job's trial with configuration cfg on train, validating on
// val, from the job's checkpoint (if any) up to job.Until epochs. cfg's seed
// is replaced by the job's.
//
// Run returns a Result when training reached job.Until, stopped early by
// its own rule, or was pruned by Report. A configuration the core rejects,
// a checkpoint that does not fit, a divergence (a *core.DivergenceError) or
// an error from Report is returned as an error: the trial failed. When ctx
// is cancelled, Run returns an error wrapping ctx.Err() together with a
// Result whose Checkpoint holds the state where training stopped.
func Run(ctx context.Context, cfg core.Config, train, val *core.Dataset, job *Job) (Result, error) {
	cfg.Train.Seed = job.Seed
	tr, err := core.NewTrainer(cfg, train, val)
	if err != nil {
		return Result{}, fmt.Errorf("trial %d: %w", job.Number, err)
	}
	if job.Checkpoint != nil {
		if err := tr.UnmarshalBinary(job.Checkpoint); err != nil {
			return Result{}, fmt.Errorf("trial %d: restore checkpoint: %w", job.Number, err)
		}
		if tr.Epoch() != job.Done {
			return Result{}, fmt.Errorf("trial %d: checkpoint is after epoch %d, the trial's record after %d", job.Number, tr.Epoch(), job.Done)
		}
	} else if job.Done != 0 {
		return Result{}, fmt.Errorf("trial %d: %d epochs done but no checkpoint", job.Number, job.Done)
	}

	var res Result
	err = tr.Fit(ctx, job.Until, func(s core.EpochStats) error {
		if job.Report == nil {
			return nil
		}
		st := State{
			Checkpoint: func() ([]byte, error) {
				b, err := tr.MarshalBinary()
				if err != nil {
					return nil, fmt.Errorf("checkpoint: %w", err)
				}
				return b, nil
			},
			Model: func() ([]byte, error) {
				info := job.Info
				info.Trial, info.Seed, info.Epochs, info.ValLoss = job.Number, job.Seed, s.Epoch, s.ValLoss
				b, err := tr.MarshalModel(job.Normalizer, info)
				if err != nil {
					return nil, fmt.Errorf("model: %w", err)
				}
				return b, nil
			},
		}
		stop, err := job.Report(Epoch(s), st)
		if err != nil {
			return err
		}
		if stop {
			return errPruned
		}
		return nil
	})
	res.Epochs = tr.Epoch()
	switch {
	case errors.Is(err, errPruned):
		res.Pruned = true
		res.Filters = filters(tr)
		return res, nil
	case err != nil && ctx.Err() != nil:
		ckpt, cerr := tr.MarshalBinary()
		if cerr == nil {
			res.Checkpoint = ckpt
		}
		return res, fmt.Errorf("trial %d: %w", job.Number, err)
	case err != nil:
		return res, fmt.Errorf("trial %d: %w", job.Number, err)
	}
	res.EarlyStopped = tr.Stopped()
	res.Filters = filters(tr)
	return res, nil
}

// filters returns the first convolution's weights of tr, after its last
// epoch: nil for an MLP or before any epoch, weights left out (Data nil)
// beyond dltune.MaxFilters.
func filters(tr *core.Trainer) *dltune.Filters {
	w, shape := tr.FirstConvWeights()
	if w == nil || tr.Epoch() == 0 {
		return nil
	}
	f := &dltune.Filters{Shape: shape, Epoch: tr.Epoch()}
	if len(w) <= dltune.MaxFilters {
		f.Data = w
	}
	return f
}

// Epoch converts the core's epoch statistics to the stored form.
func Epoch(s core.EpochStats) dltune.Epoch {
	e := dltune.Epoch{
		Epoch:        s.Epoch,
		TrainLoss:    s.TrainLoss,
		ValLoss:      s.ValLoss,
		ValAccuracy:  s.ValAccuracy,
		HasAccuracy:  s.HasAccuracy,
		LearningRate: s.LearningRate,
		Seconds:      s.Duration.Seconds(),
	}
	if len(s.Layers) > 0 {
		e.Layers = make([]dltune.LayerStats, len(s.Layers))
		for i, l := range s.Layers {
			e.Layers[i] = dltune.LayerStats{
				Name:         l.Name,
				WeightNorm:   l.WeightNorm,
				GradRMS:      l.GradRMS,
				GradMax:      l.GradMax,
				DeadFraction: l.DeadFraction,
				GradHist:     append([]int(nil), l.GradHist...),
				HistLow:      l.HistLow,
			}
		}
	}
	return e
}
