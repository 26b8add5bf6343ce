package main

import (
	"context"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/study"
)

type leaderboardOptions struct {
	*globals
	Study  string
	Top    int
	Format string
	All    bool
}

func newLeaderboardCmd(g *globals) *cobra.Command {
	o := &leaderboardOptions{globals: g}
	cmd := &cobra.Command{
		Use:   "leaderboard",
		Short: "Rank a study's trials by validation loss",
		Long: `Rank a study's finished trials by validation loss, best first, ties by trial
number, with the parameters as columns. A trial's loss is the lowest
validation loss over the epochs it trained. Trials that trained their full
budget rank first; trials pruned earlier follow, by the epochs they reached,
so a loss after one epoch never ranks above a full-budget one (the "full"
column says which is which). Failed trials come last.

--format json prints an array of objects with rank, trial, state, val_loss,
val_accuracy, best_epoch, epochs, full_budget, params, seconds and error.`,
		Example: `  dltune leaderboard
  dltune leaderboard --study fashion-mlp --top 5 --format json`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(o.Format, "table", "json", "csv"); err != nil {
				return err
			}
			return runLeaderboard(cmd.Context(), o)
		},
	}
	cmd.Flags().StringVar(&o.Study, "study", "", "the study (optional when the store holds one)")
	cmd.Flags().IntVar(&o.Top, "top", 0, "show only the best N trials (0: all)")
	cmd.Flags().StringVar(&o.Format, "format", "table", formatHelp)
	cmd.Flags().BoolVar(&o.All, "all", false, "include trials that are running, paused or interrupted")
	return cmd
}

func runLeaderboard(ctx context.Context, o *leaderboardOptions) error {
	db, err := o.openReader()
	if err != nil {
		return err
	}
	defer db.Close()
	name, err := pickStudy(ctx, db, o.Study)
	if err != nil {
		return err
	}
	trials, err := db.Trials(ctx, name)
	if err != nil {
		return err
	}
	spec, err := study.Load(ctx, db, name)
	if err != nil {
		return err
	}
	rows := study.Leaderboard(trials, spec.MaxEpochs(), o.All)
	if o.Top > 0 && len(rows) > o.Top {
		rows = rows[:o.Top]
	}
	if o.Format == "json" {
		if rows == nil {
			rows = []study.Row{}
		}
		return writeJSON(o.stdout, rows)
	}
	var names []string
	for _, p := range spec.Space.Params {
		names = append(names, p.Name)
	}
	header := append([]string{"rank", "trial", "state", "val_loss", "val_acc", "epochs", "full"}, names...)
	var cells [][]string
	for _, r := range rows {
		loss, acc := "-", "-"
		if o.Format == "csv" {
			loss, acc = "", ""
		}
		if r.ValLoss != nil {
			loss = num(*r.ValLoss)
			if o.Format == "csv" {
				loss = strconv.FormatFloat(*r.ValLoss, 'g', -1, 64)
			}
		}
		if r.ValAccuracy != nil {
			acc = strconv.FormatFloat(*r.ValAccuracy, 'f', 4, 64)
			if o.Format == "csv" {
				acc = strconv.FormatFloat(*r.ValAccuracy, 'g', -1, 64)
			}
		}
		full := "yes"
		if !r.FullBudget {
			full = "no"
		}
		line := []string{strconv.Itoa(r.Rank), strconv.Itoa(r.Trial), r.State.String(), loss, acc,
			fmt.Sprintf("%d", r.Epochs), full}
		for _, n := range names {
			v, ok := r.Params[n]
			if !ok {
				line = append(line, "")
				continue
			}
			if v.Kind == dltune.KindFloat && o.Format == "table" {
				line = append(line, num(v.Num))
			} else {
				line = append(line, v.String())
			}
		}
		cells = append(cells, line)
	}
	if o.Format == "csv" {
		return writeCSV(o.stdout, header, cells)
	}
	if len(cells) == 0 {
		fmt.Fprintf(o.stdout, "study %s has no finished trial yet\n", name)
		return nil
	}
	return writeTable(o.stdout, header, cells)
}
