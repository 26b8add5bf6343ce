package bench

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"text/tabwriter"
)

// WriteTable writes results as an aligned text table: one row per
// (function, strategy), its group ("tuned" for the functions the defaults
// were chosen on, "held-out" for the others), the regret after each
// checkpoint as "median [q1, q3]", and the mean milliseconds per
// suggestion.
func WriteTable(w io.Writer, results []Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	var checks []int
	if len(results) > 0 {
		for c := range results[0].Regret {
			checks = append(checks, c)
		}
	}
	slices.Sort(checks)
	fmt.Fprint(tw, "GROUP\tFUNCTION\tSTRATEGY")
	for _, c := range checks {
		fmt.Fprintf(tw, "\tREGRET@%d [Q1, Q3]", c)
	}
	fmt.Fprint(tw, "\tMS/SUGGEST\n")
	for _, r := range results {
		group := "tuned"
		if r.HeldOut {
			group = "held-out"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s", group, r.Function, r.Strategy)
		for _, c := range checks {
			q := r.Regret[c]
			fmt.Fprintf(tw, "\t%s [%s, %s]", g4(q.Median), g4(q.Q1), g4(q.Q3))
		}
		fmt.Fprintf(tw, "\t%.3f\n", r.MsPerSuggest)
	}
	return tw.Flush()
}

func g4(x float64) string { return strconv.FormatFloat(x, 'g', 4, 64) }
