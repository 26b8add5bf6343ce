package main

import (
	"context"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/dltune/dltune/study"
)

type studiesOptions struct {
	*globals
	Format string
}

func newStudiesCmd(g *globals) *cobra.Command {
	o := &studiesOptions{globals: g}
	cmd := &cobra.Command{
		Use:   "studies",
		Short: "List the studies in the store",
		Long: `List the studies in the store with their trial counts and best validation
loss. "unfinished" counts trials that are running, paused or interrupted
(an interrupted study continues with dltune resume NAME).`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(o.Format, "table", "json", "csv"); err != nil {
				return err
			}
			return runStudies(cmd.Context(), o)
		},
	}
	cmd.Flags().StringVar(&o.Format, "format", "table", formatHelp)
	return cmd
}

func runStudies(ctx context.Context, o *studiesOptions) error {
	db, err := o.openReader()
	if err != nil {
		return err
	}
	defer db.Close()
	sums, err := study.Overviews(ctx, db)
	if err != nil {
		return err
	}
	if o.Format == "json" {
		return writeJSON(o.stdout, sums)
	}
	header := []string{"study", "trials", "finished", "failed", "unfinished", "best_val_loss", "best_trial", "created"}
	var rows [][]string
	for _, s := range sums {
		loss, trial := "-", "-"
		if o.Format == "csv" {
			loss, trial = "", ""
		}
		if s.BestLoss != nil {
			loss, trial = num(*s.BestLoss), strconv.Itoa(*s.BestTrial)
			if o.Format == "csv" {
				loss = strconv.FormatFloat(*s.BestLoss, 'g', -1, 64)
			}
		}
		rows = append(rows, []string{s.Name, strconv.Itoa(s.Trials), strconv.Itoa(s.Finished), strconv.Itoa(s.Failed),
			strconv.Itoa(s.Unfinished), loss, trial, s.Created.Local().Format(time.DateTime)})
	}
	if o.Format == "csv" {
		return writeCSV(o.stdout, header, rows)
	}
	return writeTable(o.stdout, header, rows)
}
