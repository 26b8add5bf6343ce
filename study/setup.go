package study

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/core"
	"github.com/dltune/dltune/search"
	"github.com/dltune/dltune/studyfile"
	"github.com/dltune/dltune/trial"
)

// ErrChanged is returned when a study file no longer matches the stored
// study of the same name in a way that would mix incomparable trials.
var ErrChanged = errors.New("study changed")

// Options tune Execute.
type Options struct {
	// Parallel, if > 0, overrides the spec's search.parallel.
	Parallel int
	// Retry lists failed trials to run again as new trials; each adds one
	// trial to the study's budget.
	Retry []int
	// Progress is passed on to Run.
	Progress func(Status)
}

// Execute runs the study that spec describes in st: Prepare, then Run on
// the result.
func Execute(ctx context.Context, st Store, spec *studyfile.Spec, opt Options) (*Summary, error) {
	p, err := Prepare(ctx, spec)
	if err != nil {
		return nil, err
	}
	return p.Run(ctx, st, opt)
}

// Prepared is a study ready to run: its strategy checked and its data
// loaded, split and normalized. It only reads its data, so it may be run
// again.
type Prepared struct {
	spec       *studyfile.Spec
	train, val *core.Dataset
	strat      search.Strategy
	pruner     search.Pruner
}

// Prepare does everything that can fail on bad input before a study
// touches a store: it builds the strategy and loads the data.
func Prepare(ctx context.Context, spec *studyfile.Spec) (*Prepared, error) {
	strat, pruner, err := spec.Strategy()
	if err != nil {
		return nil, err
	}
	train, val, err := loadData(ctx, spec)
	if err != nil {
		return nil, err
	}
	return &Prepared{spec: spec, train: train, val: val, strat: strat, pruner: pruner}, nil
}

// Data returns the training and validation sets.
func (p *Prepared) Data() (train, val *core.Dataset) { return p.train, p.val }

// Run runs the study in st. A new study is stored first; a stored one is
// resumed, after checking that the spec has not changed its space, data,
// model, training or strategy in a way that makes the stored trials
// incomparable with new ones (the number of trials and the parallelism
// may change). See the package function Run for what happens while it
// runs and when ctx is cancelled.
func (p *Prepared) Run(ctx context.Context, st Store, opt Options) (*Summary, error) {
	spec := p.spec
	if err := store(ctx, st, spec); err != nil {
		return nil, err
	}
	trials, err := st.Trials(ctx, spec.Name)
	if err != nil {
		return nil, fmt.Errorf("study %s: %w", spec.Name, err)
	}
	cfg := loopConfig(spec, p.strat, p.pruner, trials, opt)
	obj := func(ctx context.Context, job *trial.Job) (trial.Result, error) {
		m, o, sc, tr, err := spec.Resolve(job.Params, job.Seed)
		if err != nil {
			return trial.Result{}, err
		}
		c := core.Config{Model: m, Optimizer: o, Schedule: sc, Train: tr}
		return trial.Run(ctx, c, p.train, p.val, job)
	}
	return Run(ctx, st, spec.Name, cfg, obj)
}

// Load returns the spec of the study stored under name, to resume it without
// its file.
func Load(ctx context.Context, st Store, name string) (*studyfile.Spec, error) {
	s, err := st.Study(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("study %s: %w", name, err)
	}
	file := s.File
	if file == "" {
		file = name + ".yaml"
	}
	spec, err := studyfile.Parse(file, s.Spec)
	if err != nil {
		return nil, fmt.Errorf("stored spec of study %s: %w", name, err)
	}
	return spec, nil
}

// store records spec in st, or checks it against the stored study.
func store(ctx context.Context, st Store, spec *studyfile.Spec) error {
	file := spec.File
	if abs, err := filepath.Abs(file); err == nil {
		file = abs
	}
	rec := &dltune.Study{Name: spec.Name, File: file, Spec: spec.Source, Created: time.Now()}
	old, err := st.Study(ctx, spec.Name)
	switch {
	case errors.Is(err, dltune.ErrNotFound):
		if err := st.CreateStudy(ctx, rec); err != nil {
			return fmt.Errorf("study %s: %w", spec.Name, err)
		}
		return nil
	case err != nil:
		return fmt.Errorf("study %s: %w", spec.Name, err)
	}
	prev, err := studyfile.Parse(old.File, old.Spec)
	if err != nil {
		return fmt.Errorf("stored spec of study %s: %w", spec.Name, err)
	}
	if diff := studyfile.Diff(prev, spec); len(diff) > 0 {
		return fmt.Errorf("%w: %s in the store differs from %s:\n  %s\nrun it under a new name, or restore the old file",
			ErrChanged, spec.Name, spec.File, strings.Join(diff, "\n  "))
	}
	rec.Created = old.Created
	if string(old.Spec) != string(spec.Source) || old.File != rec.File {
		if err := st.UpdateStudy(ctx, rec); err != nil {
			return fmt.Errorf("study %s: %w", spec.Name, err)
		}
	}
	return nil
}

// loopConfig builds the loop's configuration from s and its strategy.
func loopConfig(s *studyfile.Spec, strat search.Strategy, pruner search.Pruner, trials []*dltune.Trial, opt Options) Config {
	budget := s.Search.Trials + len(opt.Retry)
	for _, t := range trials {
		if t.RetryOf >= 0 {
			budget++
		}
	}
	par := s.Search.Parallel
	if opt.Parallel > 0 {
		par = opt.Parallel
	}
	return Config{
		Strategy:  strat,
		Pruner:    pruner,
		Parallel:  par,
		Budget:    budget,
		MaxEpochs: s.MaxEpochs(),
		Epochs: func(p dltune.Params) int {
			_, _, _, tr, err := s.Resolve(p, 0)
			if err != nil {
				return 0
			}
			return tr.Epochs
		},
		Seed:     s.Seed,
		Retry:    opt.Retry,
		Progress: opt.Progress,
	}
}

// loadData loads, splits and normalizes the data of s. The split and any
// synthetic data derive from the study seed, so every run of the study sees
// the same training and validation sets.
func loadData(ctx context.Context, s *studyfile.Spec) (train, val *core.Dataset, err error) {
	d := s.Data
	var all *core.Dataset
	switch d.Kind {
	case "idx":
		all, err = core.LoadIDX(d.Images, d.Labels, core.IDXOptions{})
	case "csv":
		all, err = core.LoadCSV(d.CSV, core.CSVOptions{Target: d.Target, Task: d.Task})
	case "synthetic":
		switch d.Generator {
		case "spirals":
			all = core.Spirals(d.Samples, d.Classes, d.Noise, s.Seed)
		case "moons":
			all = core.Moons(d.Samples, d.Noise, s.Seed)
		case "blobs":
			all = core.Blobs(d.Samples, d.Classes, d.Features, d.Noise, s.Seed)
		case "friedman1":
			all = core.Friedman1(d.Samples, d.Noise, s.Seed)
		default:
			err = fmt.Errorf("unknown generator %q", d.Generator)
		}
	default:
		err = fmt.Errorf("unknown data kind %q", d.Kind)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%s: data: %w", s.File, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	train, val, err = core.Split(all, d.Validation, s.Seed)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: data.validation: %w", s.File, err)
	}
	if err := core.Normalize(d.Normalize, train, val); err != nil {
		return nil, nil, fmt.Errorf("%s: data.normalize: %w", s.File, err)
	}
	return train, val, nil
}
