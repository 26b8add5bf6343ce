package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/dltune/dltune/study"
	"github.com/dltune/dltune/studyfile"
)

type resumeOptions struct {
	*globals
	Name     string
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

func newResumeCmd(g *globals, runF func(context.Context, *resumeOptions) error) *cobra.Command {
	o := &resumeOptions{globals: g}
	cmd := &cobra.Command{
		Use:   "resume NAME",
		Short: "Continue a stored study without its file",
		Long: `Continue the study NAME from the store alone, with the specification stored
when it last ran: trials that were running when it stopped continue from their
last checkpoints, and the strategy goes on until the budget is used.`,
		Example: `  dltune resume fashion-mlp --storage runs.db
  dltune resume fashion-mlp --serve 127.0.0.1:8080`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Name = args[0]
			if err := checkServeFlag(o.Serve, &o.Token); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return runResume(cmd.Context(), o)
		},
	}
	addParallelFlag(cmd, &o.Parallel)
	addMaxMemoryFlag(cmd, &o.MaxMemory)
	addDataRootFlag(cmd, &o.DataRoot)
	addServeFlags(cmd, &o.Serve, &o.Token)
	return cmd
}

func runResume(ctx context.Context, o *resumeOptions) error {
	spec, err := loadSpec(ctx, o.globals, o.Name)
	if err != nil {
		return err
	}
	if err := confine(spec, o.DataRoot); err != nil {
		return err
	}
	return execute(ctx, o.globals, spec, o.MaxMemory, study.Options{Parallel: o.Parallel}, o.Serve, o.Token)
}

// loadSpec reads the stored specification of study name.
func loadSpec(ctx context.Context, g *globals, name string) (*studyfile.Spec, error) {
	db, err := g.openStore(ctx, false)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	name, err = pickStudy(ctx, db, name)
	if err != nil {
		return nil, err
	}
	return study.Load(ctx, db, name)
}
