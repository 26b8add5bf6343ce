package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/dltune/dltune/dashboard"
	"github.com/dltune/dltune/study"
	"github.com/dltune/dltune/studyfile"
)

type runOptions struct {
	*globals
	File     string
	Parallel int
	// MaxMemory is --max-memory in bytes; 0 if not given.
	MaxMemory int64
	// DataRoot is --data-root; "" if not given.
	DataRoot string
	// Serve is --serve, the address to serve the dashboard on while the
	// study runs; "" if not given. Token is --token or $DLTUNE_TOKEN.
	Serve string
	Token string
}

func newRunCmd(g *globals, runF func(context.Context, *runOptions) error) *cobra.Command {
	o := &runOptions{globals: g}
	cmd := &cobra.Command{
		Use:   "run STUDY.yaml",
		Short: "Run a study, or continue it if the store already holds it",
		Long: `Run the study that STUDY.yaml describes: train its trials, PARALLEL at a time,
and record every result in the store.

If the store already holds a study of the same name, run continues it:
finished trials are kept, trials that were running when the last run stopped
continue from their checkpoints, and the budget counts what was done. A file
whose space, data, model, training or strategy changed is refused with the
differences; the number of trials and the parallelism may change.

Ctrl-C stops the study cleanly: running trials save a checkpoint and the
command exits with status 130, saying how to resume.`,
		Example: `  dltune run examples/quickstart.yaml
  dltune run --parallel 4 --storage runs.db study.yaml`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.File = args[0]
			if err := checkServeFlag(o.Serve, &o.Token); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return runRun(cmd.Context(), o)
		},
	}
	addParallelFlag(cmd, &o.Parallel)
	addMaxMemoryFlag(cmd, &o.MaxMemory)
	addDataRootFlag(cmd, &o.DataRoot)
	addServeFlags(cmd, &o.Serve, &o.Token)
	return cmd
}

func runRun(ctx context.Context, o *runOptions) error {
	spec, err := studyfile.ParseFile(o.File)
	if err != nil {
		return err
	}
	if err := confine(spec, o.DataRoot); err != nil {
		return err
	}
	// No trial reads the test set: a mistyped one would be found only by
	// evaluate, after the study. (resume and worker do not check it: a
	// worker needs no test set.)
	if err := spec.CheckTestData(); err != nil {
		return err
	}
	return execute(ctx, o.globals, spec, o.MaxMemory, study.Options{Parallel: o.Parallel}, o.Serve, o.Token)
}

// execute runs spec in the store, within maxMemory bytes (0: the
// default), and reports the outcome. If serve is not "", it serves the
// dashboard there, with token, while the study runs.
func execute(ctx context.Context, g *globals, spec *studyfile.Spec, maxMemory int64, opt study.Options, serve, token string) error {
	prep, err := prepare(ctx, g, spec, maxMemory, opt)
	if err != nil {
		return err
	}
	return g.withStore(ctx, func(db backend) error {
		if serve != "" {
			src, ok := db.(dashboard.Source)
			if !ok {
				return fmt.Errorf("--serve: the store %s cannot be served", db)
			}
			d, err := startDashboard(ctx, g, src, serve, token)
			if err != nil {
				return err
			}
			defer d.Stop()
			fmt.Fprintf(g.stderr, "dashboard of study %s at %sstudy/%s\n", spec.Name, d.URL(), url.PathEscape(spec.Name))
		}
		return executeIn(ctx, g, db, prep, spec, opt)
	})
}

// prepare validates spec, loads its data and checks that its trials fit
// within maxMemory bytes (0: the default).
func prepare(ctx context.Context, g *globals, spec *studyfile.Spec, maxMemory int64, opt study.Options) (*study.Prepared, error) {
	mem, err := memoryLimit(maxMemory)
	if err != nil {
		return nil, err
	}
	// Validate, load the data and check that a trial can fit before the
	// store is opened: bad input must leave no trace, not even a new empty
	// store.
	prep, err := study.Prepare(ctx, spec, study.PrepareOptions{Memory: mem})
	if err != nil {
		return nil, err
	}
	if err := prep.Check(opt); err != nil {
		return nil, err
	}
	if m := prep.Memory().Bytes; m > 0 {
		// The estimates bound what trials keep; the runtime's soft limit
		// makes the garbage collector keep the rest within the same bound.
		debug.SetMemoryLimit(min(m, debug.SetMemoryLimit(-1)))
	} else {
		fmt.Fprintf(g.stderr, "dltune: the available memory is unknown: trials are not checked against it (%s)\n", memoryHint)
	}
	return prep, nil
}

// executeIn runs prepared spec in db and reports the outcome.
func executeIn(ctx context.Context, g *globals, db backend, prep *study.Prepared, spec *studyfile.Spec, opt study.Options) error {
	train, val := prep.Data()
	par := spec.Search.Parallel
	if opt.Parallel > 0 {
		par = opt.Parallel
	}
	var data string
	if train != nil {
		data = fmt.Sprintf("%d training and %d validation samples", train.Len(), val.Len())
	} else {
		data = "each trial runs " + strconv.Quote(spec.Command.Program())
	}
	fmt.Fprintf(g.stderr, "study %s: %s, %s strategy, %d at a time; %s; store %s\n",
		spec.Name, plural(spec.Search.Trials+len(opt.Retry), "trial"), spec.Search.Strategy, par, data, db)
	opt.WorkDir = trialsDir(db)
	p := newProgress(g.stderr, spec.Name, spec.Search.Trials, g.verbose)
	stopSnapshots := func() {}
	if k, ok := db.(interface{ KeepSnapshot(time.Duration) func() }); ok {
		// Readers of a store file read the snapshot while the study runs.
		stopSnapshots = k.KeepSnapshot(time.Second)
	}
	opt.Progress = p.update
	sum, err := prep.Run(ctx, db, opt)
	stopSnapshots()
	p.close()
	if sum != nil && sum.Interrupted {
		fmt.Fprintf(g.stderr, "interrupted: %d of %d trials finished; running trials saved checkpoints.\nresume with: dltune resume %s --storage %s\n",
			sum.Finished, sum.Budget, shellQuote(spec.Name), shellQuote(db.String()))
		return errInterrupted
	}
	if err != nil {
		if errors.Is(err, study.ErrChanged) {
			return usageError{err}
		}
		return err
	}
	if sum.Trained == 0 && len(opt.Retry) == 0 {
		// Say so, rather than a summary that reads like this run's work.
		what := fmt.Sprintf("all %s of its budget (search.trials) have finished", plural(sum.Budget, "trial"))
		if sum.Finished < sum.Budget {
			what = fmt.Sprintf("no trial is left to start or continue (%d of %d finished)", sum.Finished, sum.Budget)
		}
		fmt.Fprintf(g.stderr, "study %s: nothing to do: %s; raise search.trials in the study file and run it to add trials\n", spec.Name, what)
	}
	fmt.Fprintf(g.stdout, "study %s: %s finished", spec.Name, plural(sum.Finished, "trial"))
	if sum.Failed > 0 {
		fmt.Fprintf(g.stdout, " (%d failed)", sum.Failed)
	}
	if !math.IsInf(sum.Best, 1) {
		fmt.Fprintf(g.stdout, "; best val_loss %.4g (trial %d)", sum.Best, sum.BestTrial)
	}
	fmt.Fprintf(g.stdout, "\nsee: dltune leaderboard --study %s --storage %s\n", shellQuote(spec.Name), shellQuote(db.String()))
	return nil
}

// plural formats n things: "1 trial", "2 trials".
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}

// trialsDir is where a command study's trials keep their directories
// (the program's checkpoints) while they may continue: beside a store
// file, in the user's cache for a database; "" leaves it to the study
// package (the temporary directory).
func trialsDir(db backend) string {
	if b, ok := db.(boltStore); ok {
		return b.Path() + ".trials"
	}
	if dir, err := os.UserCacheDir(); err == nil {
		return filepath.Join(dir, "dltune", "trials")
	}
	return ""
}
