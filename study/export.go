package study

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/core"
	"github.com/dltune/dltune/studyfile"
)

// ExportOptions tune Export.
type ExportOptions struct {
	// Refit retrains the trial's configuration on the training and
	// validation data together, instead of replaying the trial.
	Refit bool
	// Epochs is the number of epochs a refit trains; 0 means the trial's
	// best epoch. Export without Refit ignores it.
	Epochs int
	// Memory bounds the memory the data may take, as for Prepare.
	Memory MemoryLimit
	// Progress, if not nil, is called after every epoch trained, with the
	// number of epochs to train.
	Progress func(e core.EpochStats, epochs int)
	// Weights are the trial's weights the store keeps (see WeightStore),
	// or nil. When they match the trial (dltune.Weights.Match), Export
	// without Refit loads the model from them and trains nothing.
	Weights *dltune.Weights
}

// ErrReplay is wrapped by Export's error when replaying a trial does not
// reproduce its stored validation losses: the data files or the build
// changed since the trial ran, or it ran on another kind of CPU (see
// core.Trainer). A refit does not need the replay to match.
var ErrReplay = errors.New("replay does not match the stored trial")

// Best returns the best trial of a study, the first on its leaderboard, or
// an error wrapping dltune.ErrNotFound when no finished trial has a
// validation loss.
func Best(spec *studyfile.Spec, trials []*dltune.Trial) (*dltune.Trial, error) {
	rows := Leaderboard(trials, spec.MaxEpochs(), false)
	if len(rows) == 0 || rows[0].ValLoss == nil || rows[0].State == dltune.Failed {
		return nil, fmt.Errorf("study %s: %w: no finished trial with a validation loss", spec.Name, dltune.ErrNotFound)
	}
	for _, t := range trials {
		if t.Number == rows[0].Trial {
			return t, nil
		}
	}
	panic("study: leaderboard row without its trial")
}

// BestEpoch returns the epoch of t's lowest validation loss (the first, on
// ties), or 0 if it trained none.
func BestEpoch(t *dltune.Trial) int {
	best, epoch := math.Inf(1), 0
	for _, e := range t.Curve {
		if e.ValLoss < best {
			best, epoch = e.ValLoss, e.Epoch
		}
	}
	return epoch
}

// Export returns the model of trial t of the study spec describes, with
// the normalization fitted on its training data.
//
// Without Refit it returns the model after the trial's best epoch. When
// opt.Weights, the weights the store kept, match the trial, that model is
// theirs: Export loads it, reading no data and training nothing, so it
// works on any machine. Otherwise (the trial ran before stores kept
// weights, or left the best trials whose weights the store keeps) it
// replays the trial: the same data, configuration and seed, up to the
// trial's best epoch. Training is deterministic, so the weights are those
// the trial had after its best epoch; Export checks every replayed
// validation loss against the stored curve, bit for bit, and fails with
// ErrReplay at the first that differs (the data or the build changed, or
// the trial ran on another kind of CPU).
//
// With Refit it trains the configuration on the training and validation
// data together, normalized by statistics of both, for opt.Epochs epochs
// (the best epoch by default) with the trial's seed. The learning-rate
// schedule keeps the trial's length (train.epochs), so the refit follows
// the trial's trajectory on more data; early stopping is off, as no data
// is held out.
func Export(ctx context.Context, spec *studyfile.Spec, t *dltune.Trial, opt ExportOptions) (*core.Model, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	best := BestEpoch(t)
	if best == 0 {
		return nil, fmt.Errorf("study %s, trial %d: trained no epoch with a validation loss", spec.Name, t.Number)
	}
	if !opt.Refit && opt.Weights.Match(t) {
		return stored(spec, t, opt.Weights)
	}
	seed := trialSeed(spec.Seed, t.Number)
	cfg, err := spec.Resolve(t.Params, seed)
	if err != nil {
		return nil, fmt.Errorf("study %s, trial %d: %w", spec.Name, t.Number, err)
	}
	cfg.Train.Seed = seed
	// Load the data unnormalized, to fit the normalizer the model keeps.
	raw := *spec
	raw.Data.Normalize = core.NormalizeNone
	train, val, err := loadData(ctx, &raw, memoryLimit(opt.Memory))
	if err != nil {
		return nil, err
	}
	info := modelInfo(spec, t.Params)
	info.Trial, info.Seed = t.Number, seed
	epochs := best
	if opt.Refit {
		if opt.Epochs > 0 {
			epochs = opt.Epochs
		}
		train = concat(train, val)
		cfg.Train.Patience = 0
		cfg.Train.Epochs = max(cfg.Train.Epochs, epochs)
		info.Refit = true
	} else {
		info.ValLoss = t.Curve[best-1].ValLoss
	}
	info.Epochs = epochs
	nz, err := core.FitNormalizer(spec.Data.Normalize, train)
	if err != nil {
		return nil, fmt.Errorf("%s: data.normalize: %w", spec.File, err)
	}
	// The training set was copied (a refit) or loaded for Export alone.
	for _, x := range []*core.Tensor{train.X, val.X} {
		if err := nz.Apply(x); err != nil {
			return nil, fmt.Errorf("%s: data.normalize: %w", spec.File, err)
		}
	}
	tr, err := core.NewTrainer(cfg, train, val)
	if err != nil {
		return nil, fmt.Errorf("study %s, trial %d: %w", spec.Name, t.Number, err)
	}
	err = tr.Fit(ctx, epochs, func(s core.EpochStats) error {
		if !opt.Refit {
			if want := t.Curve[s.Epoch-1].ValLoss; s.ValLoss != want {
				return fmt.Errorf("%w: trial %d epoch %d: validation loss %v, stored %v", ErrReplay, t.Number, s.Epoch, s.ValLoss, want)
			}
		}
		if opt.Progress != nil {
			opt.Progress(s, epochs)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("study %s, trial %d: %w", spec.Name, t.Number, err)
	}
	return tr.Model(nz, info)
}

// stored returns the model of w, the weights the store kept of trial t.
func stored(spec *studyfile.Spec, t *dltune.Trial, w *dltune.Weights) (*core.Model, error) {
	m, err := core.LoadModel(bytes.NewReader(w.Model))
	if err != nil {
		return nil, fmt.Errorf("study %s, trial %d: stored weights: %w", spec.Name, t.Number, err)
	}
	if i := m.Info; i.Trial != t.Number || i.Epochs != w.Epoch || i.Refit || math.Float64bits(i.ValLoss) != math.Float64bits(w.Loss) {
		return nil, fmt.Errorf("study %s, trial %d: stored weights: the model is of trial %d after epoch %d (val_loss %v), not of its best epoch %d (val_loss %v)",
			spec.Name, t.Number, i.Trial, i.Epochs, i.ValLoss, w.Epoch, w.Loss)
	}
	return m, nil
}

// modelInfo returns the ModelInfo of a model of the study spec describes
// trained with params, without what depends on the trial and its
// training.
func modelInfo(spec *studyfile.Spec, params dltune.Params) core.ModelInfo {
	info := core.ModelInfo{Study: spec.Name, Params: map[string]string{}, Target: spec.Data.Target}
	for _, n := range params.Names() {
		info.Params[n] = params[n].String()
	}
	return info
}

// concat returns a data set of a's samples followed by b's.
func concat(a, b *core.Dataset) *core.Dataset {
	d := *a
	d.X = &core.Tensor{Rows: a.X.Rows + b.X.Rows, Cols: a.X.Cols, Data: slices.Concat(a.X.Data, b.X.Data)}
	d.Y = &core.Tensor{Rows: a.Y.Rows + b.Y.Rows, Cols: a.Y.Cols, Data: slices.Concat(a.Y.Data, b.Y.Data)}
	return &d
}
