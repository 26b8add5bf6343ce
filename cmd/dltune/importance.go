package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/dltune/dltune/analysis"
	"github.com/dltune/dltune/study"
)

type importanceOptions struct {
	*globals
	Study  string
	Format format
	Seed   uint64
	Sample int
}

func newImportanceCmd(g *globals, runF func(context.Context, *importanceOptions) error) *cobra.Command {
	o := &importanceOptions{globals: g}
	cmd := &cobra.Command{
		Use:   "importance",
		Short: "Rank a study's parameters by how much the loss depends on each",
		Long: `Rank a study's parameters by importance: the share of the variation of the
validation loss over the search space that each parameter explains on its
own, by fANOVA over a random forest of 64 trees fitted to the complete
trials (Hutter, Hoos and Leyton-Brown 2014; Optuna's default evaluator).
The shares sum to 1; std is their spread over the trees. Pruned trials do
not count, as their losses were measured after fewer epochs. A halving
study, where few trials complete, compares instead the trials that reached
its highest rung reached by 8 trials or more, by their loss at that rung.
Parameters that some compared trial lacks (conditional ones) are left out.

The result is the same for the same trials and --seed. --sample N fits the
forest to N of the compared trials drawn with the seed, as the dashboard
does with 2,000: much faster on a study of many thousands of trials, and
close (see benchmarks/README.md).`,
		Example: `  dltune importance
  dltune importance --study fashion-mlp --format json
  dltune importance --sample 2000`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.Sample < 0 {
				return usageError{fmt.Errorf("--sample %d is negative (0 fits every trial)", o.Sample)}
			}
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return runImportance(cmd.Context(), o)
		},
	}
	cmd.Flags().StringVar(&o.Study, "study", "", "the study (optional when the store holds one)")
	addFormatFlag(cmd, &o.Format, formatTable, formatJSON, formatCSV)
	cmd.Flags().Uint64Var(&o.Seed, "seed", 0, "the seed of the random forest")
	cmd.Flags().IntVar(&o.Sample, "sample", 0, "fit the forest to a sample of N of the compared trials (0: all)")
	return cmd
}

func runImportance(ctx context.Context, o *importanceOptions) error {
	db, name, err := o.openStudy(ctx, o.Study)
	if err != nil {
		return err
	}
	defer db.Close()
	spec, err := study.Load(ctx, db, name)
	if err != nil {
		return err
	}
	trials, err := db.TrialSummaries(ctx, name)
	if err != nil {
		return err
	}
	rung := analysis.Rung(trials, spec.Rungs())
	imp, err := analysis.Importances(spec.Space, trials, analysis.ImportanceOptions{Seed: o.Seed, Epochs: rung, MaxTrials: o.Sample})
	if err != nil {
		return fmt.Errorf("study %s: importance: %w", name, err)
	}
	compared, _ := analysis.Compared(trials, rung)
	r := report{JSON: imp, Header: []string{"rank", "param", "importance", "std"}}
	for i, im := range imp {
		r.Rows = append(r.Rows, []cell{integer(i + 1), text(im.Param), fixed(im.Importance, 3), fixed(im.Std, 3)})
	}
	sampled := ""
	if n := max(o.Sample, analysis.MinTrials); o.Sample > 0 && len(compared) > n {
		sampled = fmt.Sprintf(", a sample of %d of them", n)
	}
	r.Text = func(w io.Writer) error {
		if rung > 0 {
			fmt.Fprintf(w, "study %s: %s compared by their loss at the rung of %s%s\n", clean(name), plural(len(compared), "trial"), plural(rung, "epoch"), sampled)
		} else {
			fmt.Fprintf(w, "study %s: %s compared%s\n", clean(name), plural(len(compared), "complete trial"), sampled)
		}
		return writeTable(w, r.Header, render(r.Rows, func(c cell) string { return c.human }))
	}
	return o.Format.print(o.stdout, r)
}
