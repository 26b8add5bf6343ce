package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/analysis"
	"github.com/dltune/dltune/study"
)

type showOptions struct {
	*globals
	Study  string
	Trial  int
	Format format
}

func newShowCmd(g *globals, runF func(context.Context, *showOptions) error) *cobra.Command {
	o := &showOptions{globals: g}
	cmd := &cobra.Command{
		Annotations: map[string]string{trialArgs: "yes"},
		Use:         "show TRIAL",
		Short:       "Show a trial: parameters, learning curve, diagnostics, history",
		Long: `Show one trial: its parameters and state, its learning curve (training and
validation loss, their gap, accuracy, learning rate), the learning
diagnostics of its layers (weight norm, gradient RMS and max, dead ReLU
units, and how gradient magnitudes spread over decades: gradients that
shrink layer by layer away from the output are vanishing), and its history
(starts, interruptions, resumptions, promotions, how it ended).

A diagnosis in words follows when the trial shows trouble, each finding
with its evidence: divergence, exploding gradients, vanishing gradients
(layers whose gradient RMS is below 1% of the output layer's), dead ReLUs
(half a layer's units or more), a learning rate too high (training loss
rising in a third of the epochs), overfitting (validation loss up 10%
from its best while training loss falls), underfitting (training loss
down less than 10% over 5 epochs or more).

--format json prints the whole stored trial record.`,
		Example: `  dltune show 4
  dltune show 4 --study fashion-mlp --format json`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := strconv.Atoi(args[0])
			if err != nil || n < 0 {
				return usageError{fmt.Errorf("trial %q is not a trial number", args[0])}
			}
			o.Trial = n
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return runShow(cmd.Context(), o)
		},
	}
	cmd.Flags().StringVar(&o.Study, "study", "", "the study (optional when the store holds one)")
	addFormatFlag(cmd, &o.Format, formatTable, formatJSON)
	return cmd
}

func runShow(ctx context.Context, o *showOptions) error {
	db, name, err := o.openStudy(ctx, o.Study)
	if err != nil {
		return err
	}
	defer db.Close()
	t, err := db.Trial(ctx, name, o.Trial)
	if err != nil {
		return err // it names the study and the trial
	}
	var rungs []int
	var command []string
	if spec, err := study.Load(ctx, db, name); err == nil {
		rungs = spec.Rungs()
		if spec.Command != nil {
			command, _, _ = spec.CommandLine(t.Params)
		}
	}
	return o.Format.print(o.stdout, report{
		JSON: t,
		Text: func(w io.Writer) error { return printTrial(w, name, t, rungs, command) },
	})
}

// stderrQuote is what a command trial's error (trial.RunCommand) puts
// before the end of the program's stderr that it quotes.
const stderrQuote = "; stderr ends:\n"

// printTrial shows a trial for people; rungs are the epoch budgets of a
// successive-halving study, nil for others, and command the program and
// arguments of a command study's trial, nil for others.
func printTrial(w io.Writer, studyName string, t *dltune.Trial, rungs []int, command []string) error {
	fmt.Fprintf(w, "study %s, trial %d: %s after %d of %d epochs\n", clean(studyName), t.Number, t.State, t.Epochs(), t.Budget)
	if len(command) > 0 {
		args := make([]string, len(command))
		for i, a := range command {
			args[i] = shellQuote(a)
		}
		fmt.Fprintf(w, "command: %s\n", clean(strings.Join(args, " ")))
	}
	if len(rungs) > 0 {
		reached := 0
		for i, r := range rungs {
			if t.Epochs() >= r {
				reached = i + 1
			}
		}
		var rs []string
		for _, r := range rungs {
			rs = append(rs, strconv.Itoa(r))
		}
		fmt.Fprintf(w, "rungs at %s epochs: reached %d of %d\n", strings.Join(rs, ", "), reached, len(rungs))
	}
	if t.RetryOf >= 0 {
		fmt.Fprintf(w, "retry of trial %d\n", t.RetryOf)
	}
	if l := t.Loss(); !math.IsInf(l, 1) {
		fmt.Fprintf(w, "best val_loss %s\n", num(l))
	}
	// A failed command trial's error quotes the end of its stderr, and so
	// does the event of its failure, but the trial also keeps that stderr
	// whole: show it once, at the end.
	stderrTitle := "stderr of its last run, ending"
	unquote := func(s string) string {
		if reason, _, ok := strings.Cut(s, stderrQuote); ok && t.Stderr != "" {
			stderrTitle = "stderr of the failed run, ending"
			return reason + "; its stderr ends below"
		}
		return s
	}
	if t.Error != "" {
		fmt.Fprintf(w, "error: %s\n", cleanLines(unquote(t.Error)))
	}
	if f := t.Filters; f != nil {
		fmt.Fprintf(w, "filters %dx%dx%dx%d (out x in x h x w) of the first convolution, after epoch %d",
			f.Shape[0], f.Shape[1], f.Shape[2], f.Shape[3], f.Epoch)
		if f.Data == nil {
			fmt.Fprintf(w, "; weights not kept: %d > %d", f.Len(), dltune.MaxFilters)
		}
		fmt.Fprintln(w)
	}
	if len(t.Params) == 0 {
		fmt.Fprintln(w, "no parameters: the study trains one fixed configuration")
	} else {
		fmt.Fprintln(w, "\nparameters")
		for _, n := range t.Params.Names() {
			fmt.Fprintf(w, "  %-16s %s\n", clean(n), clean(t.Params[n].String()))
		}
	}
	if len(t.Curve) > 0 {
		fmt.Fprintln(w, "\nlearning curve")
		header := []string{"epoch", "train_loss", "val_loss", "gap", "val_acc", "lr", "seconds"}
		// A command trial's metrics, a column each. Each epoch has at
		// most dltune.MaxMetrics, but the curve may have more in all.
		metrics := dltune.MetricNames(t.Curve)
		more := len(metrics) - dltune.MaxMetrics
		if more > 0 {
			metrics = metrics[:dltune.MaxMetrics]
		}
		for _, m := range metrics {
			header = append(header, clean(m))
		}
		// A command trial's program need not report its learning rate;
		// the curve then holds 0, which no training keeps for a whole run.
		reportsLR := slices.ContainsFunc(t.Curve, func(e dltune.Epoch) bool { return e.LearningRate != 0 })
		var rows [][]string
		for _, e := range t.Curve {
			acc, lr := "-", "-"
			if e.HasAccuracy {
				acc = strconv.FormatFloat(e.ValAccuracy, 'f', 4, 64)
			}
			if reportsLR {
				lr = num(e.LearningRate)
			}
			row := []string{strconv.Itoa(e.Epoch), num(e.TrainLoss), num(e.ValLoss), num(e.Gap()), acc,
				lr, strconv.FormatFloat(e.Seconds, 'f', 2, 64)}
			for _, m := range metrics {
				if v, ok := e.Metrics[m]; ok {
					row = append(row, num(v))
				} else {
					row = append(row, "-")
				}
			}
			rows = append(rows, row)
		}
		if err := writeTable(w, header, rows); err != nil {
			return err
		}
		if more > 0 {
			fmt.Fprintf(w, "%d more metrics not shown: see show --format json\n", more)
		}
		if err := printDiagnostics(w, t.Curve); err != nil {
			return err
		}
	}
	if fs := analysis.Diagnose(t); len(fs) > 0 {
		fmt.Fprintln(w, "\ndiagnosis")
		for _, f := range fs {
			fmt.Fprintf(w, "  %s\n", clean(f.String()))
		}
	}
	if len(t.Events) > 0 {
		fmt.Fprintln(w, "\nhistory")
		for _, e := range t.Events {
			fmt.Fprintf(w, "  %s  epoch %-3d %s\n", e.Time.Local().Format(time.DateTime), e.Epoch, clean(unquote(e.What)))
		}
	}
	if t.Stderr != "" {
		// The program's own words, escaped: they may hold anything.
		fmt.Fprintf(w, "\n%s\n", stderrTitle)
		for _, l := range strings.Split(t.Stderr, "\n") {
			fmt.Fprintf(w, "  %s\n", clean(strings.TrimRight(l, "\r")))
		}
	}
	return nil
}

// printDiagnostics shows the last epoch's per-layer diagnostics and the
// gradient flow over epochs.
func printDiagnostics(w io.Writer, curve []dltune.Epoch) error {
	last := curve[len(curve)-1]
	if len(last.Layers) == 0 {
		return nil
	}
	fmt.Fprintf(w, "\nlayers at epoch %d (input side first)\n", last.Epoch)
	header := []string{"layer", "weight_norm", "grad_rms", "grad_max", "dead_relu", "log10|grad| histogram"}
	var rows [][]string
	for _, l := range last.Layers {
		rows = append(rows, []string{l.Name, num(l.WeightNorm), num(l.GradRMS), num(l.GradMax),
			strconv.FormatFloat(100*l.DeadFraction, 'f', 1, 64) + "%", histogram(l)})
	}
	if err := writeTable(w, header, rows); err != nil {
		return err
	}
	fmt.Fprintln(w, "\ngradient flow: grad_rms per layer by epoch")
	header = []string{"epoch"}
	for _, l := range last.Layers {
		header = append(header, l.Name)
	}
	rows = rows[:0]
	for _, e := range curve {
		row := []string{strconv.Itoa(e.Epoch)}
		for i := range last.Layers {
			if i < len(e.Layers) {
				row = append(row, num(e.Layers[i].GradRMS))
			} else {
				row = append(row, "-")
			}
		}
		rows = append(rows, row)
	}
	return writeTable(w, header, rows)
}

// histogram draws a layer's gradient histogram as one bar per decade, with
// the decade range at its ends: "1e-8 ▁▂▅█▃▁ 1e-2".
func histogram(l dltune.LayerStats) string {
	if len(l.GradHist) == 0 {
		return ""
	}
	bars := []rune("▁▂▃▄▅▆▇█")
	total := 0
	top := 0
	for _, c := range l.GradHist {
		total += c
		top = max(top, c)
	}
	if total == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "1e%d ", l.HistLow)
	for _, c := range l.GradHist {
		if c == 0 {
			b.WriteRune(' ')
			continue
		}
		b.WriteRune(bars[min(len(bars)-1, c*len(bars)/(top+1))])
	}
	fmt.Fprintf(&b, " 1e%d", l.HistLow+len(l.GradHist))
	return b.String()
}
