package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dltune/dltune/plot"
)

type plotOptions struct {
	*globals
	Kind   plot.Kind
	Study  string
	Trial  int
	Output string
	Params []string
	Seed   uint64
}

func newPlotCmd(g *globals, runF func(context.Context, *plotOptions) error) *cobra.Command {
	o := &plotOptions{globals: g, Trial: -1}
	cmd := &cobra.Command{
		Use:   "plot KIND",
		Short: "Draw a study's history, curves, parameters or a trial's gradients as an image",
		Long: `Draw what a study learned as a PNG or SVG image (by the extension of -o):

  history     each trial's best validation loss in order, and the best so far
  curves      each trial's validation loss by epoch; pruned and paused trials
              end in a marker, and a halving study's rungs are dashed lines
  parallel    parallel coordinates of the parameters, coloured by loss
  slice       the loss against each parameter
  contour     the loss over two parameters (--params a,b; default: the two
              most important)
  importance  parameter importance (fANOVA over a random forest) as bars
  timeline    when each trial trained, on which worker slot, how it ended
  gradients   one trial's (--trial N) gradient RMS and dead ReLUs by layer
              and epoch, and its log10|gradient| histograms by layer
  filters     a CNN trial's first-layer filters (--trial N)

Log-scaled parameters get log axes. The image is written whole or not at
all: on an error, -o is left as it was.`,
		Example: `  dltune plot history
  dltune plot curves --study spirals-asha -o curves.svg
  dltune plot gradients --trial 3 -o trial3.png`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := plot.ParseKind(args[0])
			if err != nil {
				return usageError{err}
			}
			o.Kind = k
			if k.PerTrial() && o.Trial < 0 {
				return usageError{fmt.Errorf("plot %s shows one trial: name it with --trial N", k)}
			}
			if !k.PerTrial() && cmd.Flags().Changed("trial") {
				return usageError{fmt.Errorf("plot %s shows the whole study: --trial is for gradients and filters", k)}
			}
			switch {
			case len(o.Params) == 0:
			case k != plot.Contour:
				return usageError{fmt.Errorf("plot %s draws no pair of parameters: --params is for contour", k)}
			case len(o.Params) != 2:
				return usageError{errors.New("--params takes two parameters, for plot contour")}
			case o.Params[0] == o.Params[1]:
				return usageError{fmt.Errorf("--params names %s twice: a contour needs two parameters", o.Params[0])}
			}
			if o.Output == "" {
				o.Output = string(k) + ".png"
				if k.PerTrial() {
					o.Output = fmt.Sprintf("%s-trial%d.png", k, o.Trial)
				}
			}
			if _, err := plot.FormatOf(o.Output); err != nil {
				return usageError{err}
			}
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return runPlot(cmd.Context(), o)
		},
	}
	cmd.Flags().StringVar(&o.Study, "study", "", "the study (optional when the store holds one)")
	cmd.Flags().Var(trialValue{&o.Trial}, "trial", "the trial, for gradients and filters")
	cmd.Flags().StringVarP(&o.Output, "output", "o", "", "the image to write, .png or .svg (default KIND.png)")
	cmd.Flags().StringSliceVar(&o.Params, "params", nil, "the two parameters of a contour, as a,b")
	cmd.Flags().Uint64Var(&o.Seed, "seed", 0, "the seed of the importance's random forest")
	return cmd
}

func runPlot(ctx context.Context, o *plotOptions) error {
	db, name, err := o.openStudy(ctx, o.Study)
	if err != nil {
		return err
	}
	defer db.Close()
	fig, err := plot.Render(ctx, db, plot.Options{Kind: o.Kind, Study: name, Trial: o.Trial, Params: o.Params, Seed: o.Seed})
	if err != nil {
		return err
	}
	if err := fig.WriteFile(o.Output); err != nil {
		return err
	}
	fmt.Fprintf(o.stdout, "wrote %s\n", clean(o.Output))
	return nil
}
