package plot

import (
	"fmt"

	"github.com/dltune/dltune/analysis"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// importance draws the parameter importances as horizontal bars, the most
// important at the top. If maxTrials is positive and fewer trials compare,
// it fits the forest to a sample of maxTrials of them, and the title says
// so.
func importance(s *study, seed uint64, maxTrials int) (*Figure, error) {
	r := analysis.Rung(s.trials, s.spec.Rungs())
	imp, err := analysis.Importances(s.spec.Space, s.trials, analysis.ImportanceOptions{Seed: seed, Epochs: r, MaxTrials: maxTrials})
	if err != nil {
		return nil, fmt.Errorf("study %s: importance: %w", s.name, err)
	}
	ts, _, note := s.compared()
	if n := max(maxTrials, analysis.MinTrials); maxTrials > 0 && len(ts) > n {
		note = fmt.Sprintf("from a sample of %d of %s", n, note)
	}
	n := len(imp)
	vals := make(plotter.Values, n)
	names := make([]string, n)
	for i, im := range imp {
		// NominalY puts the first name at the bottom.
		vals[n-1-i] = im.Importance
		names[n-1-i] = fmt.Sprintf("%s  %.2f", im.Param, im.Importance)
	}
	p := newPlot(fmt.Sprintf("Parameter importance (fANOVA): study %s (%s)", s.name, note),
		"share of the loss's variance explained by the parameter alone", "")
	bars, err := plotter.NewBarChart(vals, vg.Points(22))
	if err != nil {
		return nil, err
	}
	bars.Horizontal = true
	bars.Color = blue
	bars.LineStyle.Width = 0
	p.Add(bars)
	p.NominalY(names...)
	p.X.Min, p.X.Max = 0, 1
	p.Y.Min, p.Y.Max = -0.6, float64(n)-0.4 // clear of the title
	p.Y.Tick.Label.Font.Size = vg.Points(11)
	f := single(p)
	f.Height = vg.Length(max(n, 3))*vg.Centimeter*1.6 + 4*vg.Centimeter
	return f, nil
}
