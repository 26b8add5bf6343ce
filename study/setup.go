package study

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
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

// Options tune Prepared.Run.
type Options struct {
	// Parallel, if > 0, overrides the spec's search.parallel.
	Parallel int
	// Retry lists failed trials to run again as new trials; each adds one
	// trial to the study's budget.
	Retry []int
	// Progress, if not nil, is called from Run's goroutine after every
	// change: a trial started, reported an epoch or ended.
	Progress func(Status)
	// WorkDir is where the trials of a command study keep their
	// directories (the program's checkpoints, its parameters file), in
	// WorkDir/STUDY/TRIAL, while they may continue; "" is a directory
	// under the system's temporary one, which a reboot may empty.
	WorkDir string
}

// Prepared is a study ready to run: its spec validated, its strategy built
// and its data loaded, split and normalized. It only reads its data, so it
// may be run again.
type Prepared struct {
	spec       *studyfile.Spec
	train, val *core.Dataset
	// nz is the normalizer fitted on train, which the trials' model files
	// keep.
	nz     *core.Normalizer
	strat  search.Strategy
	pruner search.Pruner
	obj    objective
	// mem is the memory limit (Bytes 0: unchecked), data the memory the
	// data sets take, and fixed, if not nil, every trial's estimate.
	mem   MemoryLimit
	data  int64
	fixed *core.MemoryEstimate
}

// Prepare does everything that can fail on bad input before a study
// touches a store: it validates the spec (see Spec.Validate), builds its
// strategy and loads its data within opt.Memory. When training takes the
// same memory in every trial and that cannot fit in the limit less the
// data, it fails with a MemoryError: every trial would fail.
func Prepare(ctx context.Context, spec *studyfile.Spec, opt PrepareOptions) (*Prepared, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	strat, pruner, err := spec.Strategy()
	if err != nil {
		return nil, err
	}
	mem := memoryLimit(opt.Memory)
	if spec.Command != nil {
		// The program loads its own data and trains; its objective is
		// made by Run, which knows the parallelism.
		return &Prepared{spec: spec, strat: strat, pruner: pruner, mem: mem}, nil
	}
	train, val, nz, err := loadFitted(ctx, spec, mem)
	if err != nil {
		return nil, err
	}
	// What only the data can tell (a CNN block that does not fit the
	// images) fails here, before the store or any trial is touched.
	if err := spec.ValidateData(core.ShapeOf(train, val)); err != nil {
		return nil, err
	}
	p := &Prepared{spec: spec, train: train, val: val, nz: nz, strat: strat, pruner: pruner, mem: mem, data: dataBytes(train, val)}
	if c, ok := spec.FixedSize(); ok {
		if e, err := p.estimate(c); err == nil {
			p.fixed = &e
			// One trial alone; Check looks at the parallelism of a run.
			if err := p.fits(e, 1); err != nil {
				return nil, fmt.Errorf("%s: every trial %w", spec.File, err)
			}
		}
	}
	// The objective depends on what the study trains; today that is
	// always a model of the core.
	p.obj = p.trainModel
	return p, nil
}

// Data returns the training and validation sets; nil for a command
// study, whose program loads its own.
func (p *Prepared) Data() (train, val *core.Dataset) { return p.train, p.val }

// Run runs the study in st. A new study is stored first. A stored one is
// resumed if the spec still matches it: Run refuses with ErrChanged when
// the space, data, model, training or strategy changed, since the stored
// trials would not compare with new ones (see studyfile.Diff). The number
// of trials and the parallelism may change.
//
// Run refuses a study none of whose trials fits in memory (see Check)
// before it touches st. It first turns trials left Running by a process
// that died into Interrupted ones and continues them from their
// checkpoints; a trial whose process died more than twice without a new
// epoch fails instead. Then it asks the strategy what to do whenever a
// worker is free, training up to Parallel trials at once; a trial that
// cannot fit in its share of memory fails with a MemoryError before it
// allocates. Every state change is written to st before it is acted
// upon, so a process killed at any moment loses at most the epochs since
// each running trial's last checkpoint.
//
// When ctx is cancelled, running trials save a checkpoint of where they
// stopped (possibly mid-epoch) and become Interrupted; Run then returns
// the summary with Interrupted set and an error wrapping ctx.Err().
func (p *Prepared) Run(ctx context.Context, st Store, opt Options) (*Summary, error) {
	spec := p.spec
	if err := p.Check(opt); err != nil {
		return nil, err
	}
	if err := register(ctx, st, spec); err != nil {
		return nil, err
	}
	trials, err := st.TrialSummaries(ctx, spec.Name)
	if err != nil {
		return nil, fmt.Errorf("study %s: %w", spec.Name, err)
	}
	cfg := p.loopConfig(trials, opt)
	if spec.Command == nil {
		return loop(ctx, st, spec.Name, cfg, p.obj)
	}
	dir := commandDir(spec.Name, opt.WorkDir)
	sum, err := loop(ctx, st, spec.Name, cfg, p.runCommand(dir, max(1, runtime.NumCPU()/cfg.Parallel)))
	if serr := sweep(context.WithoutCancel(ctx), st, spec.Name, dir); serr != nil && err == nil {
		err = serr
	}
	return sum, err
}

// trainModel is the objective of a study that trains a model of the core.
func (p *Prepared) trainModel(ctx context.Context, job *trial.Job) (trial.Result, error) {
	c, err := p.spec.Resolve(job.Params, job.Seed)
	if err != nil {
		return trial.Result{}, err
	}
	j := *job
	j.Normalizer = p.nz
	j.Info = modelInfo(p.spec, job.Params)
	return trial.Run(ctx, c, p.train, p.val, &j)
}

// Load returns the spec of the study stored under name, to resume it without
// its file.
func Load(ctx context.Context, st Store, name string) (*studyfile.Spec, error) {
	s, err := st.Study(ctx, name)
	if err != nil {
		return nil, err // the store's error names the study
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

// register records spec in st as a new study, or checks it against the
// stored study of the same name.
func register(ctx context.Context, st Store, spec *studyfile.Spec) error {
	file := spec.File
	if abs, err := filepath.Abs(file); err == nil {
		file = abs
	}
	rec := &dltune.Study{Name: spec.Name, File: file, Spec: spec.Source, Created: time.Now()}
	old, err := st.Study(ctx, spec.Name)
	switch {
	case errors.Is(err, dltune.ErrNotFound):
		err := st.CreateStudy(ctx, rec)
		if err == nil {
			return nil
		}
		if !errors.Is(err, dltune.ErrExists) {
			return fmt.Errorf("study %s: %w", spec.Name, err)
		}
		// Another process sharing the store created it meanwhile: compare
		// with what it stored.
		if old, err = st.Study(ctx, spec.Name); err != nil {
			return fmt.Errorf("study %s: %w", spec.Name, err)
		}
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

// loopConfig builds the loop's configuration: the budget counts the
// retries, past and asked for.
func (p *Prepared) loopConfig(trials []*dltune.Trial, opt Options) loopConfig {
	s := p.spec
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
	return loopConfig{
		Strategy:  p.strat,
		Pruner:    p.pruner,
		Parallel:  par,
		Budget:    budget,
		MaxEpochs: s.MaxEpochs(),
		Epochs: func(params dltune.Params) int {
			c, err := s.Resolve(params, 0)
			if err != nil {
				return 0
			}
			return c.Train.Epochs
		},
		Seed:     s.Seed,
		Retry:    opt.Retry,
		Progress: opt.Progress,
		Admit:    p.admit(par),

		KeepWeights: s.Search.KeepWeights,
	}
}

// loadData loads, splits and normalizes the data of s. The split and any
// synthetic data derive from the study seed, so every run of the study sees
// the same training and validation sets.
//
// The loaders read at most half of mem (their default where mem.Bytes is 0).
func loadData(ctx context.Context, s *studyfile.Spec, mem MemoryLimit) (train, val *core.Dataset, err error) {
	train, val, _, err = loadFitted(ctx, s, mem)
	return train, val, err
}

// loadFitted is loadData, and returns the normalizer fitted on the
// training data too, for the trials' model files.
func loadFitted(ctx context.Context, s *studyfile.Spec, mem MemoryLimit) (train, val *core.Dataset, nz *core.Normalizer, err error) {
	d := s.Data
	maxBytes := dataLimit(mem.Bytes)
	var all *core.Dataset
	switch d.Kind {
	case "idx":
		all, err = core.LoadIDX(d.Images, d.Labels, core.IDXOptions{Classes: d.Classes, MaxBytes: maxBytes})
	case "csv":
		all, err = core.LoadCSV(d.CSV, core.CSVOptions{Target: d.Target, Task: d.Task, Classes: d.Classes, MaxBytes: maxBytes})
	case "synthetic":
		limit := cmp.Or(maxBytes, core.DefaultMaxDataBytes)
		if n := syntheticBytes(d); n > limit {
			return nil, nil, nil, fmt.Errorf("%s: data.synthetic: %d samples take %s, more than the data may (%s)",
				s.File, d.Samples, formatBytes(n), dataLimitText(limit, mem))
		}
		switch d.Generator {
		case "spirals":
			all = core.Spirals(d.Samples, d.Classes, d.Noise, s.Seed)
		case "moons":
			all = core.Moons(d.Samples, d.Noise, s.Seed)
		case "blobs":
			all = core.Blobs(d.Samples, d.Classes, d.Features, d.Noise, s.Seed)
		case "friedman1":
			all = core.Friedman1(d.Samples, d.Features, d.Noise, s.Seed)
		default:
			err = fmt.Errorf("unknown generator %q", d.Generator)
		}
	default:
		err = fmt.Errorf("unknown data kind %q", d.Kind)
	}
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%s: data: %w", s.File, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, nil, err
	}
	train, val, err = core.Split(all, d.Validation, s.Seed)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%s: data.validation: %w", s.File, err)
	}
	if nz, err = core.Normalize(d.Normalize, train, val); err != nil {
		return nil, nil, nil, fmt.Errorf("%s: data.normalize: %w", s.File, err)
	}
	return train, val, nz, nil
}
