package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dltune/dltune/study"
)

type studiesOptions struct {
	*globals
	Format format
}

func newStudiesCmd(g *globals, runF func(context.Context, *studiesOptions) error) *cobra.Command {
	o := &studiesOptions{globals: g}
	cmd := &cobra.Command{
		Use:   "studies",
		Short: "List the studies in the store",
		Long: `List the studies in the store with their trial counts and best validation
loss. "unfinished" counts trials that are running, paused or interrupted
(an interrupted study continues with dltune resume NAME).`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return runStudies(cmd.Context(), o)
		},
	}
	addFormatFlag(cmd, &o.Format, formatTable, formatJSON, formatCSV)
	return cmd
}

func runStudies(ctx context.Context, o *studiesOptions) error {
	db, err := o.openReader(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	sums, err := study.Overviews(ctx, db)
	if err != nil {
		return err
	}
	r := report{
		JSON:   sums,
		Header: []string{"study", "trials", "finished", "failed", "unfinished", "best_val_loss", "best_trial", "created"},
		Empty:  fmt.Sprintf("no study in %s yet", db),
	}
	for _, s := range sums {
		loss, trial := none, none
		if s.BestLoss != nil {
			loss, trial = float(*s.BestLoss), integer(*s.BestTrial)
		}
		r.Rows = append(r.Rows, []cell{text(s.Name), integer(s.Trials), integer(s.Finished), integer(s.Failed),
			integer(s.Unfinished), loss, trial, timeCell(s.Created)})
	}
	return o.Format.print(o.stdout, r)
}
