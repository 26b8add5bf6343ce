package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dltune/dltune/search/bench"
)

func newBenchCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Benchmarks that help choose a strategy",
	}
	cmd.AddCommand(newBenchSearchCmd(g, nil))
	return cmd
}

type benchSearchOptions struct {
	*globals
	Strategies []string
	Functions  []string
	Trials     int
	Seeds      int
	Format     format

	fns []bench.Function // the Functions, looked up
	reg bench.Registry   // where the Strategies are found
}

func newBenchSearchCmd(g *globals, runF func(context.Context, *benchSearchOptions) error) *cobra.Command {
	reg := bench.DefaultRegistry()
	o := &benchSearchOptions{globals: g, reg: reg}
	var funcs []string
	for _, f := range bench.Functions() {
		funcs = append(funcs, f.Name)
	}
	cmd := &cobra.Command{
		Use:   "search",
		Short: "Compare search strategies on test functions with known optima",
		Long: `Run each strategy on built-in test functions with known optima, once per
seed, and print for each function and strategy the median and interquartile
range of the regret (best value found minus the optimum) after 25, 50 and 100
trials (those not above --trials), and the mean time per suggestion.

The defaults of the tpe and gp strategies were chosen on branin, hartmann6,
styblinski-tang10 and mixed (group "tuned"); the other functions (group
"held-out": rugged, noisy and conditional ones) show how those choices carry
over. On a noisy function the regret is the noiseless value at the point
observed best.

` + wrap("Functions: "+strings.Join(funcs, ", ")+".", 80) + `
` + wrap("Strategies: "+strings.Join(reg.Names(), ", ")+".", 80) + `

--format json prints one object per (function, strategy) with function,
strategy, held_out, regret (keyed by trial count, each with median, q1 and
q3) and ms_per_suggest. Seeds run in parallel on all cores; for clean
timings set GOMAXPROCS=1.`,
		Example: `  dltune bench search --strategies random,tpe,gp --trials 100 --seeds 20
  dltune bench search --functions branin --seeds 5 --format json`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, name := range o.Functions {
				f, ok := bench.Lookup(name)
				if !ok {
					return usageError{fmt.Errorf("unknown function %q (have %s)", name, strings.Join(funcs, ", "))}
				}
				o.fns = append(o.fns, f)
			}
			for _, s := range o.Strategies {
				if _, ok := reg[s]; !ok {
					return usageError{fmt.Errorf("unknown strategy %q (have %s)", s, strings.Join(reg.Names(), ", "))}
				}
			}
			if o.Trials < 1 || o.Seeds < 1 {
				return usageError{fmt.Errorf("--trials and --seeds must be at least 1")}
			}
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return runBenchSearch(cmd.Context(), o)
		},
	}
	cmd.Flags().StringSliceVar(&o.Strategies, "strategies", []string{"random", "tpe"}, "strategies to compare")
	cmd.Flags().StringSliceVar(&o.Functions, "functions", funcs, "test functions")
	cmd.Flags().IntVar(&o.Trials, "trials", 100, "trials per study")
	cmd.Flags().IntVar(&o.Seeds, "seeds", 20, "studies (seeds) per function and strategy")
	addFormatFlag(cmd, &o.Format, formatTable, formatJSON)
	return cmd
}

func runBenchSearch(ctx context.Context, o *benchSearchOptions) error {
	fmt.Fprintf(o.stderr, "running %d functions × %d strategies × %d seeds of %d trials...\n",
		len(o.fns), len(o.Strategies), o.Seeds, o.Trials)
	results, err := bench.Compare(ctx, o.fns, o.Strategies, o.Trials, o.Seeds, o.reg.New)
	if err != nil {
		return err
	}
	return o.Format.print(o.stdout, report{
		JSON: results,
		Text: func(w io.Writer) error { return bench.WriteTable(w, results) },
	})
}

// wrap breaks s at spaces into lines of at most width bytes where it can.
func wrap(s string, width int) string {
	var b strings.Builder
	n := 0
	for i, w := range strings.Fields(s) {
		if i > 0 && n+1+len(w) > width {
			b.WriteByte('\n')
			n = 0
		} else if i > 0 {
			b.WriteByte(' ')
			n++
		}
		b.WriteString(w)
		n += len(w)
	}
	return b.String()
}
