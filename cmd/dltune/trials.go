package main

import (
	"context"
	"math"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/study"
)

type trialsOptions struct {
	*globals
	Study  string
	Format format
	Curves bool
}

func newTrialsCmd(g *globals, runF func(context.Context, *trialsOptions) error) *cobra.Command {
	o := &trialsOptions{globals: g}
	cmd := &cobra.Command{
		Use:   "trials",
		Short: "List every trial of a study, or every epoch with --curves, for pandas and spreadsheets",
		Long: `List every trial of a study in number order, whatever its state: its
parameters, state, epochs and budget, best validation loss and its epoch,
validation accuracy there, training seconds, when it started and finished,
and why it failed.

--curves lists one row per trial and epoch instead: the trial's number,
state and parameters, then the epoch's training and validation loss,
accuracy, learning rate and seconds, ready for a data frame.

Parameter columns are named params_NAME, as in Optuna's data frames, so
that they never clash with the others (a parameter named lr with the
learning rate).

--format json prints an array of trial objects, with their curves under
--curves; csv keeps every digit and leaves missing values empty.`,
		Example: `  dltune trials --format csv > trials.csv
  dltune trials --curves --format csv > epochs.csv`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return runTrials(cmd.Context(), o)
		},
	}
	cmd.Flags().StringVar(&o.Study, "study", "", "the study (optional when the store holds one)")
	addFormatFlag(cmd, &o.Format, formatTable, formatJSON, formatCSV)
	cmd.Flags().BoolVar(&o.Curves, "curves", false, "one row per epoch instead of per trial")
	return cmd
}

// trialRow is one trial as trials --format json prints it.
type trialRow struct {
	Trial       int            `json:"trial"`
	State       dltune.State   `json:"state"`
	Params      dltune.Params  `json:"params"`
	Epochs      int            `json:"epochs"`
	Budget      int            `json:"budget"`
	ValLoss     *float64       `json:"val_loss"`
	BestEpoch   int            `json:"best_epoch,omitempty"`
	ValAccuracy *float64       `json:"val_accuracy,omitempty"`
	Seconds     float64        `json:"seconds"`
	Started     time.Time      `json:"started,omitzero"`
	Finished    time.Time      `json:"finished,omitzero"`
	RetryOf     int            `json:"retry_of"`
	Error       string         `json:"error,omitempty"`
	Curve       []dltune.Epoch `json:"curve,omitempty"`
}

func newTrialRow(t *dltune.Trial, curves bool) trialRow {
	r := trialRow{Trial: t.Number, State: t.State, Params: t.Params, Epochs: t.Epochs(), Budget: t.Budget,
		Started: t.Started, Finished: t.Finished, RetryOf: t.RetryOf, Error: t.Error}
	best := math.Inf(1)
	for _, e := range t.Curve {
		r.Seconds += e.Seconds
		if e.ValLoss < best {
			best = e.ValLoss
			r.BestEpoch = e.Epoch
			v := e.ValLoss
			r.ValLoss = &v
			r.ValAccuracy = nil
			if e.HasAccuracy {
				a := e.ValAccuracy
				r.ValAccuracy = &a
			}
		}
	}
	if curves {
		r.Curve = make([]dltune.Epoch, len(t.Curve))
		for i, e := range t.Curve {
			e.Layers = nil // show and plot gradients have them
			r.Curve[i] = e
		}
	}
	return r
}

func runTrials(ctx context.Context, o *trialsOptions) error {
	db, name, err := o.openStudy(ctx, o.Study)
	if err != nil {
		return err
	}
	defer db.Close()
	spec, err := study.Load(ctx, db, name)
	if err != nil {
		return err
	}
	trials, err := db.Trials(ctx, name)
	if err != nil {
		return err
	}
	var names, columns []string
	for _, p := range spec.Space.Params {
		names = append(names, p.Name)
		columns = append(columns, "params_"+p.Name)
	}
	rows := make([]trialRow, len(trials))
	for i, t := range trials {
		rows[i] = newTrialRow(t, o.Curves)
	}
	r := report{JSON: rows, Empty: "study " + name + " has no trial yet"}
	if o.Curves {
		// A command study's metrics, a column each, empty where an epoch
		// has none.
		var curves []dltune.Epoch
		for _, t := range rows {
			curves = append(curves, t.Curve...)
		}
		metrics := dltune.MetricNames(curves)
		r.Header = append(append([]string{"trial", "state"}, columns...), "epoch", "train_loss", "val_loss", "val_acc", "lr", "seconds")
		r.Header = append(r.Header, metrics...)
		for _, t := range rows {
			// A command trial's program need not report its learning
			// rate: the curve then holds 0 in every epoch (see show).
			reportsLR := slices.ContainsFunc(t.Curve, func(e dltune.Epoch) bool { return e.LearningRate != 0 })
			for _, e := range t.Curve {
				acc, lr := none, none
				if e.HasAccuracy {
					acc = fixed(e.ValAccuracy, 4)
				}
				if reportsLR {
					lr = float(e.LearningRate)
				}
				line := append([]cell{integer(t.Trial), text(t.State.String())}, cellsOf(t.Params, names, value)...)
				line = append(line, integer(e.Epoch), float(e.TrainLoss), float(e.ValLoss), acc, lr, float(e.Seconds))
				line = append(line, cellsOf(e.Metrics, metrics, float)...)
				r.Rows = append(r.Rows, line)
			}
		}
		return o.Format.print(o.stdout, r)
	}
	r.Header = append(append([]string{"trial", "state"}, columns...), "epochs", "budget", "val_loss", "best_epoch", "val_acc", "seconds", "started", "finished", "error")
	for _, t := range rows {
		loss, best, acc := none, none, none
		if t.ValLoss != nil {
			loss, best = float(*t.ValLoss), integer(t.BestEpoch)
		}
		if t.ValAccuracy != nil {
			acc = fixed(*t.ValAccuracy, 4)
		}
		line := append([]cell{integer(t.Trial), text(t.State.String())}, cellsOf(t.Params, names, value)...)
		r.Rows = append(r.Rows, append(line, integer(t.Epochs), integer(t.Budget), loss, best, acc, float(t.Seconds),
			timeCell(t.Started), timeCell(t.Finished), text(t.Error)))
	}
	return o.Format.print(o.stdout, r)
}

// timeCell is a time: to the second, local, for people; RFC 3339 with
// every digit for programs.
func timeCell(t time.Time) cell {
	if t.IsZero() {
		return none
	}
	return cell{t.Local().Format(time.DateTime), t.UTC().Format(time.RFC3339Nano)}
}
