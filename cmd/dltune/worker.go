package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/study"
)

type workerOptions struct {
	*globals
	Study    string
	Parallel int
	// MaxMemory is --max-memory in bytes; 0 if not given.
	MaxMemory int64
	// DataRoot is --data-root; "" if not given. A worker runs study files
	// it reads from the database: this keeps their data paths where the
	// machine's owner allows.
	DataRoot string
}

func newWorkerCmd(g *globals, runF func(context.Context, *workerOptions) error) *cobra.Command {
	o := &workerOptions{globals: g}
	cmd := &cobra.Command{
		Use:   "worker --storage postgres://...",
		Short: "Train the trials of studies in a shared PostgreSQL store",
		Long: `Join the study NAME (--study), or every study in the store, and train its
trials, PARALLEL at a time, until its budget is used. Any number of workers,
on any number of machines, may work on one study at once, beside the
'dltune run' that created it: the database assigns trial numbers, keeps the
budget, and hands each promotion and each interrupted trial to one worker.
Each machine must reach the study's data at the path in its study file.

A worker that dies (a crash, kill -9, a lost machine) stops renewing its
hold on its trials; when the hold expires (--lease), another worker marks
them interrupted and continues them from their last checkpoints. A worker
that loses its connection stops its trials and reconnects, waiting longer
after each failure (up to 30s). Ctrl-C stops it cleanly: its trials save a
checkpoint for the other workers to continue.`,
		Example: `  export DLTUNE_STORAGE=postgres://tuner@db.example.com/tuning?sslmode=verify-full
  dltune run study.yaml &          # on one machine
  dltune worker --study mnist-mlp  # on each of the others`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return runWorker(cmd.Context(), o)
		},
	}
	cmd.Flags().StringVar(&o.Study, "study", "", "the study to work on (default: every study in the store)")
	addParallelFlag(cmd, &o.Parallel)
	addMaxMemoryFlag(cmd, &o.MaxMemory)
	addDataRootFlag(cmd, &o.DataRoot)
	return cmd
}

func runWorker(ctx context.Context, o *workerOptions) error {
	if pg, err := postgresURL("--storage", o.storage); err != nil {
		return err
	} else if !pg {
		return usageError{fmt.Errorf("worker needs a store that many processes share: --storage postgres://...; a store file serves one process (dltune run)")}
	}
	return o.withStore(ctx, func(db backend) error {
		names := []string{o.Study}
		if o.Study == "" {
			studies, err := db.Studies(ctx)
			if err != nil {
				return err
			}
			if len(studies) == 0 {
				return fmt.Errorf("no study in %s yet: start one with dltune run STUDY.yaml --storage URL", db)
			}
			names = names[:0]
			for _, s := range studies {
				names = append(names, s.Name)
			}
		}
		for _, name := range names {
			spec, err := study.Load(ctx, db, name)
			if errors.Is(err, dltune.ErrNotFound) {
				return fmt.Errorf("no study %q in %s (dltune studies lists them)", name, db)
			} else if err != nil {
				return err
			}
			if err := confine(spec, o.DataRoot); err != nil {
				return err
			}
			opt := study.Options{Parallel: o.Parallel}
			prep, err := prepare(ctx, o.globals, spec, o.MaxMemory, opt)
			if err != nil {
				return fmt.Errorf("study %s: %w", name, err)
			}
			if err := executeIn(ctx, o.globals, db, prep, spec, opt); err != nil {
				return err
			}
		}
		return nil
	})
}
