package plot

import (
	"fmt"
	"math"

	"github.com/dltune/dltune"
	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// gradients draws one trial's gradient flow: each layer's gradient RMS by
// epoch, its log10|gradient| histogram after the first and the last epoch
// (Glorot and Bengio's view: histograms that shift left away from the
// output are vanishing gradients), and its dead ReLU units by epoch.
func gradients(studyName string, t *dltune.Trial) (*Figure, error) {
	var curve []dltune.Epoch
	for _, e := range t.Curve {
		if len(e.Layers) > 0 {
			curve = append(curve, e)
		}
	}
	if len(curve) == 0 {
		return nil, fmt.Errorf("study %s, trial %d: no layer diagnostics stored (it trained %d epochs)", studyName, t.Number, t.Epochs())
	}
	layers := curve[len(curve)-1].Layers
	title := fmt.Sprintf("Gradient flow: study %s, trial %d (%s after %s)", studyName, t.Number, t.State, plural(t.Epochs(), "epoch"))

	rms := newPlot("Gradient RMS by layer", "epoch", "gradient RMS (log scale)")
	dead := newPlot("Dead ReLU units by layer", "epoch", "dead units (% of the layer)")
	var deadAny bool
	for i, l := range layers {
		var xy, d plotter.XYs
		for _, e := range curve {
			if i >= len(e.Layers) {
				continue
			}
			if g := e.Layers[i].GradRMS; g > 0 && finite(g) {
				xy = append(xy, plotter.XY{X: float64(e.Epoch), Y: g})
			}
			d = append(d, plotter.XY{X: float64(e.Epoch), Y: 100 * e.Layers[i].DeadFraction})
			deadAny = deadAny || e.Layers[i].DeadFraction > 0
		}
		c := layerColors[i%len(layerColors)]
		if len(xy) > 0 {
			l1 := line(xy, c, 1.8)
			pts := scatter(xy, c, draw.CircleGlyph{}, 2)
			rms.Add(l1, pts)
			rms.Legend.Add(l.Name, l1, pts)
		}
		l2 := line(d, c, 1.8)
		dead.Add(l2)
		dead.Legend.Add(l.Name, l2)
	}
	logY(rms)
	rms.X.Tick.Marker = intTicks{}
	dead.X.Tick.Marker = intTicks{}
	rms.Legend.Left = false
	dead.Y.Min, dead.Y.Max = 0, 100
	if !deadAny {
		dead.Title.Text += " (none)"
	}
	first := histPanel(fmt.Sprintf("log10|gradient| by layer after epoch %d", curve[0].Epoch), curve[0].Layers)
	last := histPanel(fmt.Sprintf("log10|gradient| by layer after epoch %d", curve[len(curve)-1].Epoch), layers)
	// Both histograms on one x range, so that a shift shows.
	lo, hi := math.Min(first.X.Min, last.X.Min), math.Max(first.X.Max, last.X.Max)
	top := math.Max(first.Y.Max, last.Y.Max) * 1.15
	for _, p := range []*gplot.Plot{first, last} {
		p.X.Min, p.X.Max = lo, hi
		p.Y.Min, p.Y.Max = 0, top
	}
	return &Figure{
		Title:  title,
		Panels: [][]*gplot.Plot{{rms, dead}, {first, last}},
		Width:  2 * 16 * vg.Centimeter, Height: 2*11*vg.Centimeter + vg.Centimeter,
	}, nil
}

// histPanel draws each layer's histogram of log10|gradient| as the share
// of its weights in each decade.
func histPanel(title string, layers []dltune.LayerStats) *gplot.Plot {
	p := newPlot(title, "log10 |gradient| (decade; the first also counts zeros)", "share of the layer's weights")
	p.X.Min, p.X.Max = math.Inf(1), math.Inf(-1)
	for i, l := range layers {
		total := 0
		for _, c := range l.GradHist {
			total += c
		}
		if total == 0 {
			continue
		}
		var xy plotter.XYs
		for k, c := range l.GradHist {
			xy = append(xy, plotter.XY{X: float64(l.HistLow+k) + 0.5, Y: float64(c) / float64(total)})
		}
		col := layerColors[i%len(layerColors)]
		ln := line(xy, col, 1.8)
		pts := scatter(xy, col, draw.CircleGlyph{}, 2)
		p.Add(ln, pts)
		p.Legend.Add(l.Name, ln, pts)
		p.X.Min = math.Min(p.X.Min, float64(l.HistLow))
		p.X.Max = math.Max(p.X.Max, float64(l.HistLow+len(l.GradHist)))
	}
	if math.IsInf(p.X.Min, 0) {
		p.X.Min, p.X.Max = -8, 0
		p.Title.Text += " (no histograms stored)"
	}
	p.Legend.Left = true
	return p
}
