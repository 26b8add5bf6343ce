package main

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/dltune/dltune/study"
)

type leaderboardOptions struct {
	*globals
	Study  string
	Top    int
	Format format
	All    bool
}

func newLeaderboardCmd(g *globals, runF func(context.Context, *leaderboardOptions) error) *cobra.Command {
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
val_accuracy, best_epoch, epochs, full_budget, params, metrics (a command
study's, at the best epoch), seconds and error; --format csv has the same
fields under the same names, params and metrics as params_NAME and
metrics_NAME columns. The table shows up to 4 metrics.`,
		Example: `  dltune leaderboard
  dltune leaderboard --study fashion-mlp --top 5 --format json`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.Top < 0 {
				return usageError{fmt.Errorf("--top %d is negative (0 shows all)", o.Top)}
			}
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return runLeaderboard(cmd.Context(), o)
		},
	}
	cmd.Flags().StringVar(&o.Study, "study", "", "the study (optional when the store holds one)")
	cmd.Flags().IntVar(&o.Top, "top", 0, "show only the best N trials (0: all)")
	addFormatFlag(cmd, &o.Format, formatTable, formatJSON, formatCSV)
	cmd.Flags().BoolVar(&o.All, "all", false, "include trials that are running, paused or interrupted")
	return cmd
}

func runLeaderboard(ctx context.Context, o *leaderboardOptions) error {
	db, name, err := o.openStudy(ctx, o.Study)
	if err != nil {
		return err
	}
	defer db.Close()
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
	if rows == nil {
		rows = []study.Row{}
	}
	var names []string
	for _, p := range spec.Space.Params {
		names = append(names, p.Name)
	}
	metrics := metricNames(rows)
	r := report{JSON: rows, Empty: fmt.Sprintf("study %s has no finished trial yet", name)}
	switch {
	case o.All:
		r.Empty = fmt.Sprintf("study %s has no trial yet", name)
	case len(trials) > 0:
		// None finished: all are running, paused or interrupted.
		r.Empty += fmt.Sprintf(" (--all shows its %d unfinished)", len(trials))
	}
	if o.Format == formatCSV {
		r.Header, r.Rows = leaderboardCSV(rows, names, metrics)
		return o.Format.print(o.stdout, r)
	}
	// A table shows a few metrics; JSON and CSV show them all.
	if len(metrics) > maxTableMetrics {
		metrics = nil
	}
	r.Header = append([]string{"rank", "trial", "state", "val_loss", "val_acc", "epochs", "full"}, metrics...)
	r.Header = append(r.Header, names...)
	for _, row := range rows {
		loss, acc, full := none, none, text("yes")
		if row.ValLoss != nil {
			loss = float(*row.ValLoss)
		}
		if row.ValAccuracy != nil {
			acc = fixed(*row.ValAccuracy, 4)
		}
		if !row.FullBudget {
			full = text("no")
		}
		line := []cell{integer(row.Rank), integer(row.Trial), text(row.State.String()), loss, acc, integer(row.Epochs), full}
		line = append(line, cellsOf(row.Metrics, metrics, float)...)
		line = append(line, cellsOf(row.Params, names, value)...)
		r.Rows = append(r.Rows, line)
	}
	return o.Format.print(o.stdout, r)
}

// maxTableMetrics is the most metrics of a command study that the
// leaderboard's table shows as columns: more would push the parameters
// off the screen. JSON and CSV carry them all.
const maxTableMetrics = 4

// metricNames returns the names of the metrics of rows, sorted.
func metricNames(rows []study.Row) []string {
	seen := map[string]bool{}
	for _, r := range rows {
		for n := range r.Metrics {
			seen[n] = true
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// cellsOf returns, for each name, the cell of m's value under it, or an
// empty cell: the columns of parameters and metrics, which a trial may
// lack.
func cellsOf[V any](m map[string]V, names []string, cellOf func(V) cell) []cell {
	c := make([]cell, 0, len(names))
	for _, n := range names {
		if v, ok := m[n]; ok {
			c = append(c, cellOf(v))
		} else {
			c = append(c, none)
		}
	}
	return c
}

// leaderboardCSV returns the header and rows of leaderboard --format
// csv: the fields of the JSON under the same names and in the same
// order, the nested params and metrics flattened as params_NAME and
// metrics_NAME (as trials --format csv does).
func leaderboardCSV(rows []study.Row, names, metrics []string) ([]string, [][]cell) {
	header := []string{"rank", "trial", "state", "val_loss", "val_accuracy", "best_epoch", "epochs", "full_budget"}
	for _, n := range names {
		header = append(header, "params_"+n)
	}
	for _, m := range metrics {
		header = append(header, "metrics_"+m)
	}
	header = append(header, "seconds", "error")
	var out [][]cell
	for _, row := range rows {
		loss, acc := none, none
		if row.ValLoss != nil {
			loss = float(*row.ValLoss)
		}
		if row.ValAccuracy != nil {
			acc = float(*row.ValAccuracy)
		}
		line := []cell{integer(row.Rank), integer(row.Trial), text(row.State.String()), loss, acc,
			integer(row.BestEpoch), integer(row.Epochs), text(strconv.FormatBool(row.FullBudget))}
		line = append(line, cellsOf(row.Params, names, value)...)
		line = append(line, cellsOf(row.Metrics, metrics, float)...)
		out = append(out, append(line, float(row.Seconds), text(row.Error)))
	}
	return header, out
}
