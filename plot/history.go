package plot

import (
	"fmt"
	"math"
	"slices"

	"github.com/dltune/dltune"
	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg/draw"
)

// history draws each finished trial's loss by trial number, by state, and
// the best loss so far over the trials that trained their whole budget.
func history(s *study) (*Figure, error) {
	p := newPlot(studyTitle("Optimization history", s), "trial number", lossLabel)
	groups := map[dltune.State]plotter.XYs{}
	var all []float64
	for _, t := range s.scored {
		groups[t.State] = append(groups[t.State], plotter.XY{X: float64(t.Number), Y: t.Loss()})
		all = append(all, t.Loss())
	}
	// The best so far counts complete trials: a pruned trial's loss after
	// a few epochs does not compare. A study with none (every trial cut
	// short) counts all.
	bestOf := dltune.Complete
	if len(groups[dltune.Complete]) == 0 {
		bestOf = 0
	}
	var best plotter.XYs
	b := math.Inf(1)
	for _, t := range s.scored {
		if bestOf != 0 && t.State != bestOf {
			continue
		}
		if l := t.Loss(); l < b {
			if len(best) > 0 {
				best = append(best, plotter.XY{X: float64(t.Number), Y: b})
			}
			b = l
		}
		best = append(best, plotter.XY{X: float64(t.Number), Y: b})
	}
	if n := len(s.trials); n > 0 && len(best) > 0 {
		best = append(best, plotter.XY{X: float64(s.trials[n-1].Number), Y: b})
	}
	bl := line(best, red, 2)
	p.Add(bl)
	p.Legend.Add(fmt.Sprintf("best so far (%.4g)", b), bl)
	for _, st := range []dltune.State{dltune.Complete, dltune.Pruned, dltune.Failed} {
		xys := groups[st]
		if len(xys) == 0 {
			continue
		}
		shape := draw.GlyphDrawer(draw.CircleGlyph{})
		label := fmt.Sprintf("%s (%d)", st, len(xys))
		if st == dltune.Pruned {
			shape = draw.CrossGlyph{}
			label = fmt.Sprintf("pruned, loss at fewer epochs (%d)", len(xys))
		}
		sc := scatter(xys, faded(stateColor(st), 200), shape, 3.5)
		if st == dltune.Complete {
			sc.GlyphStyle.Color = blue
		}
		p.Add(sc)
		p.Legend.Add(label, sc)
	}
	lo, hi := slices.Min(all), slices.Max(all)
	if wide(all) {
		logY(p)
		p.Y.Min, p.Y.Max = lo/1.1, hi*math.Pow(hi/lo, 0.15) // room for the legend
	} else {
		p.Y.Min, p.Y.Max = lo-0.05*(hi-lo), hi+0.2*(hi-lo)
	}
	p.X.Min = math.Min(p.X.Min, 0)
	p.X.Tick.Marker = intTicks{}
	return single(p), nil
}

// single is a figure of one panel.
func single(p *gplot.Plot) *Figure {
	return &Figure{Panels: [][]*gplot.Plot{{p}}, Width: panelWidth, Height: panelHeight}
}
