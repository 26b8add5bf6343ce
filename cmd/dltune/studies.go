package main

import (
	"context"
	"math"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/dltune/dltune"
)

type studiesOptions struct {
	*globals
	Format string
}

// studySummary is one line of dltune studies.
type studySummary struct {
	Name      string    `json:"name"`
	File      string    `json:"file"`
	Created   time.Time `json:"created"`
	Trials    int       `json:"trials"`
	Finished  int       `json:"finished"`
	Failed    int       `json:"failed"`
	Unended   int       `json:"unfinished"` // running, paused or interrupted
	BestLoss  *float64  `json:"best_val_loss"`
	BestTrial *int      `json:"best_trial"`
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
	studies, err := db.Studies(ctx)
	if err != nil {
		return err
	}
	sums := []studySummary{}
	for _, s := range studies {
		trials, err := db.Trials(ctx, s.Name)
		if err != nil {
			return err
		}
		sum := studySummary{Name: s.Name, File: s.File, Created: s.Created, Trials: len(trials)}
		best := math.Inf(1)
		for _, t := range trials {
			switch {
			case t.State.Finished():
				sum.Finished++
			default:
				sum.Unended++
			}
			if t.State == dltune.Failed {
				sum.Failed++
			}
			if l := t.Loss(); l < best {
				best = l
				n := t.Number
				sum.BestLoss, sum.BestTrial = &best, &n
			}
		}
		sums = append(sums, sum)
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
			strconv.Itoa(s.Unended), loss, trial, s.Created.Local().Format(time.DateTime)})
	}
	if o.Format == "csv" {
		return writeCSV(o.stdout, header, rows)
	}
	return writeTable(o.stdout, header, rows)
}
