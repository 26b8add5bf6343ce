package plot

import (
	"errors"
	"fmt"
	"image/color"
	"math"
	"slices"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/analysis"
	"github.com/dltune/dltune/search"
	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// compared returns the trials whose losses compare, the loss to compare
// them by, and a note saying which for the title: the complete trials, or
// in a halving study the trials that reached the highest rung most trials
// reached (analysis.Rung), by their loss at that rung.
func (s *study) compared() ([]*dltune.Trial, func(*dltune.Trial) float64, string) {
	r := analysis.Rung(s.trials, s.spec.Rungs())
	ts, loss := analysis.Compared(s.trials, r)
	if r > 0 {
		return ts, loss, fmt.Sprintf("%s at the rung of %s", plural(len(ts), "trial"), plural(r, "epoch"))
	}
	return ts, loss, plural(len(ts), "complete trial")
}

// lossScale maps losses to the colour scale: log10 when they spread over
// decades.
type lossScale struct{ log bool }

func newLossScale(ts []*dltune.Trial, loss func(*dltune.Trial) float64) lossScale {
	var vs []float64
	for _, t := range ts {
		vs = append(vs, loss(t))
	}
	return lossScale{log: wide(vs)}
}

func (l lossScale) of(v float64) float64 {
	if l.log {
		return math.Log10(v)
	}
	return v
}

// colorMap returns the colour map of losses from lo to hi (in scale's
// units): blue for low, red for high.
func colorMap(lo, hi float64) palette.ColorMap {
	cm := moreland.SmoothBlueRed()
	if hi <= lo {
		hi = lo + math.Max(1e-9, math.Abs(lo)*1e-6)
	}
	cm.SetMin(lo)
	cm.SetMax(hi)
	return cm
}

// colorAt returns cm's colour at v, clamped to its range.
func colorAt(cm palette.ColorMap, v float64) color.Color {
	c, err := cm.At(min(max(v, cm.Min()), cm.Max()))
	if err != nil {
		return grey
	}
	return c
}

// colorBar returns the panel of a vertical colour bar of cm, labelled in
// losses.
func colorBar(cm palette.ColorMap, scale lossScale) *gplot.Plot {
	p := gplot.New()
	p.Add(&plotter.ColorBar{ColorMap: cm, Vertical: true})
	p.HideX()
	p.Y.Label.Text = "validation loss"
	p.Y.Label.TextStyle.Font.Size = vg.Points(11)
	p.Y.Padding = 0
	if scale.log {
		p.Y.Tick.Marker = log10Ticks{}
	}
	return p
}

// log10Ticks labels an axis in log10 units with the values themselves.
type log10Ticks struct{}

func (log10Ticks) Ticks(lo, hi float64) []gplot.Tick {
	var out []gplot.Tick
	for _, t := range (logTicks{}).Ticks(math.Pow(10, lo), math.Pow(10, hi)) {
		out = append(out, gplot.Tick{Value: math.Log10(t.Value), Label: t.Label})
	}
	return out
}

// unit returns the value of parameter pa in params in unit coordinates
// (search.Param.ToUnit), and false if it has none (an inactive
// conditional parameter) or one the space cannot place (a choice it does
// not list, a string for a number): such a trial is left out of the axis.
func unit(pa *search.Param, params dltune.Params) (float64, bool) {
	v, ok := params[pa.Name]
	if !ok {
		return 0, false
	}
	u := pa.ToUnit(v)
	return u, finite(u)
}

// lossRange returns the lowest and highest loss of ts in scale's units.
func lossRange(ts []*dltune.Trial, loss func(*dltune.Trial) float64, scale lossScale) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, t := range ts {
		v := scale.of(loss(t))
		lo, hi = min(lo, v), max(hi, v)
	}
	return lo, hi
}

// parallel draws one polyline per trial through an axis per parameter (in
// unit coordinates: log ranges in log space, choices as equal cells) and
// one for the loss, coloured by loss, the best drawn last. If maxTrials
// is positive it draws at most that many trials (sampleTrials).
func parallel(s *study, maxTrials int) (*Figure, error) {
	trials, loss, note := s.compared()
	if len(trials) == 0 {
		return nil, fmt.Errorf("study %s: %w to compare (%s)", s.name, ErrNoFinished, note)
	}
	params := s.spec.Space.Params
	drawn, sampled := sampleTrials(trials, loss, maxTrials)
	if sampled != "" {
		note += "; " + sampled
	}
	p := newPlot(fmt.Sprintf("Parallel coordinates: study %s (%s)", s.name, note), "", "")
	p.HideY()
	p.Y.Min, p.Y.Max = -0.08, 1.08
	// The colours span every trial's loss, drawn or not.
	scale := newLossScale(trials, loss)
	lo, hi := lossRange(trials, loss, scale)
	cm := colorMap(lo, hi)
	sorted := slices.Clone(drawn)
	slices.SortStableFunc(sorted, func(a, b *dltune.Trial) int { return -cmpFloat(loss(a), loss(b)) })
	k := len(params)
	for _, t := range sorted {
		var xys plotter.XYs
		for i := range params {
			pa := &params[i]
			u, ok := unit(pa, t.Params)
			if !ok {
				continue // an inactive conditional parameter
			}
			xys = append(xys, plotter.XY{X: float64(i), Y: u})
		}
		y := 0.5
		if hi > lo {
			y = (scale.of(loss(t)) - lo) / (hi - lo)
		}
		xys = append(xys, plotter.XY{X: float64(k), Y: y})
		p.Add(line(xys, colorAt(cm, scale.of(loss(t))), 1.3))
	}
	// The axes, with each parameter's own labels beside it.
	var labels plotter.XYLabels
	for i := range params {
		p.Add(line(plotter.XYs{{X: float64(i), Y: 0}, {X: float64(i), Y: 1}}, black, 1))
		for _, tk := range unitTicks(&params[i]).Ticks(0, 1) {
			if tk.Label != "" {
				labels.XYs = append(labels.XYs, plotter.XY{X: float64(i), Y: tk.Value})
				labels.Labels = append(labels.Labels, " "+tk.Label)
			}
		}
	}
	p.Add(line(plotter.XYs{{X: float64(k), Y: 0}, {X: float64(k), Y: 1}}, black, 1))
	for _, end := range []float64{0, 1} {
		v := lo + end*(hi-lo)
		if scale.log {
			v = math.Pow(10, v)
		}
		labels.XYs = append(labels.XYs, plotter.XY{X: float64(k), Y: end})
		labels.Labels = append(labels.Labels, fmt.Sprintf(" %.4g", v))
	}
	lp, err := plotter.NewLabels(labels)
	if err != nil {
		return nil, err
	}
	for i := range lp.TextStyle {
		lp.TextStyle[i].Font.Size = vg.Points(9)
		lp.TextStyle[i].YAlign = draw.YCenter
	}
	p.Add(lp)
	var names []gplot.Tick
	for i := range params {
		names = append(names, gplot.Tick{Value: float64(i), Label: paramLabel(&params[i])})
	}
	names = append(names, gplot.Tick{Value: float64(k), Label: "val_loss"})
	p.X.Tick.Marker = gplot.ConstantTicks(names)
	p.X.Min, p.X.Max = -0.2, float64(k)+0.6
	f := single(p)
	f.ColorBar = colorBar(cm, scale)
	return f, nil
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// slice draws the loss against each parameter, one panel each, three to a
// row. Choices are spread a little sideways so that their points do not
// hide one another. If maxTrials is positive it draws at most that many
// trials (sampleTrials).
func slice(s *study, maxTrials int) (*Figure, error) {
	trials, loss, note := s.compared()
	if len(trials) == 0 {
		return nil, fmt.Errorf("study %s: %w to compare (%s)", s.name, ErrNoFinished, note)
	}
	params := s.spec.Space.Params
	var all []float64
	for _, t := range trials {
		all = append(all, loss(t))
	}
	trials, sampled := sampleTrials(trials, loss, maxTrials)
	if sampled != "" {
		note += "; " + sampled
	}
	cols := min(3, len(params))
	var panels [][]*gplot.Plot
	for i := range params {
		pa := &params[i]
		p := newPlot(pa.Name, paramLabel(pa), lossLabel)
		groups := map[dltune.State]plotter.XYs{}
		for _, t := range trials {
			x, ok := unit(pa, t.Params)
			if !ok {
				continue
			}
			if pa.Type == search.Choice {
				x += jitter(t.Number) * 0.3 / float64(len(pa.Choices))
			}
			groups[t.State] = append(groups[t.State], plotter.XY{X: x, Y: loss(t)})
		}
		for _, st := range []dltune.State{dltune.Complete, dltune.Pruned} {
			if len(groups[st]) == 0 {
				continue
			}
			sc := scatter(groups[st], faded(stateColor(st), 200), draw.CircleGlyph{}, 3)
			p.Add(sc)
			if i == 0 && len(groups[dltune.Pruned]) > 0 {
				p.Legend.Add(st.String(), sc)
			}
		}
		p.X.Tick.Marker = unitTicks(pa)
		p.X.Min, p.X.Max = 0, 1
		if wide(all) {
			logY(p)
		}
		if i%cols == 0 {
			panels = append(panels, nil)
		}
		panels[len(panels)-1] = append(panels[len(panels)-1], p)
	}
	if len(panels) == 0 {
		return nil, fmt.Errorf("study %s has no parameter", s.name)
	}
	return &Figure{Title: fmt.Sprintf("Slice: the loss against each parameter, study %s (%s)", s.name, note),
		Panels: panels, Width: cellWidth * vg.Length(cols), Height: cellHeight*vg.Length(len(panels)) + vg.Centimeter}, nil
}

// jitter returns a number in [-1, 1] fixed by n.
func jitter(n int) float64 {
	h := uint32(n)*2654435761 + 0x9e3779b9
	h ^= h >> 15
	return float64(h%2001)/1000 - 1
}

// contour draws the loss over two parameters: a map interpolated from the
// trials (inverse-distance weighted, in unit coordinates) and the trials
// as points. names picks the parameters; empty picks the two most
// important.
func contour(s *study, names []string, seed uint64) (*Figure, error) {
	trials, loss, note := s.compared()
	if len(trials) == 0 {
		return nil, fmt.Errorf("study %s: %w to compare (%s)", s.name, ErrNoFinished, note)
	}
	space := s.spec.Space
	var pair [2]*search.Param
	switch len(names) {
	case 0:
		ranked := rankParams(space, s.trials, analysis.Rung(s.trials, s.spec.Rungs()), seed)
		if len(ranked) < 2 {
			return nil, fmt.Errorf("study %s: a contour needs two parameters, the space has %d", s.name, len(ranked))
		}
		pair[0], _ = space.Param(ranked[0])
		pair[1], _ = space.Param(ranked[1])
	case 2:
		for i, n := range names {
			pa, ok := space.Param(n)
			if !ok {
				return nil, fmt.Errorf("study %s has no parameter %q", s.name, n)
			}
			pair[i] = pa
		}
	default:
		return nil, errors.New("a contour takes two parameters")
	}
	type point struct{ x, y, z float64 }
	var pts []point
	scale := newLossScale(trials, loss)
	var xys plotter.XYs
	for _, t := range trials {
		a, okA := unit(pair[0], t.Params)
		b, okB := unit(pair[1], t.Params)
		if !okA || !okB {
			continue
		}
		pt := point{a, b, scale.of(loss(t))}
		pts = append(pts, pt)
		xys = append(xys, plotter.XY{X: pt.x, Y: pt.y})
	}
	if len(pts) == 0 {
		return nil, fmt.Errorf("study %s: %w with both %s and %s", s.name, ErrNoFinished, pair[0].Name, pair[1].Name)
	}
	const n = 60
	g := &unitGrid{n: n, z: make([]float64, n*n)}
	lo, hi := math.Inf(1), math.Inf(-1)
	for r := range n {
		for c := range n {
			x, y := g.X(c), g.Y(r)
			var num, den float64
			exact := math.NaN()
			for _, p := range pts {
				d2 := (p.x-x)*(p.x-x) + (p.y-y)*(p.y-y)
				if d2 < 1e-12 {
					exact = p.z
					break
				}
				w := 1 / (d2 * d2) // inverse distance to the fourth: local
				num += w * p.z
				den += w
			}
			z := num / den
			if !math.IsNaN(exact) {
				z = exact
			}
			g.z[r*n+c] = z
			lo, hi = min(lo, z), max(hi, z)
		}
	}
	cm := colorMap(lo, hi)
	pal := cm.Palette(255)
	h := plotter.NewHeatMap(g, pal)
	h.Min, h.Max = cm.Min(), cm.Max()
	h.Rasterized = true // vector cells leave hairline seams
	p := newPlot(fmt.Sprintf("Contour: study %s (%s)", s.name, note), paramLabel(pair[0]), paramLabel(pair[1]))
	p.Add(h)
	p.Add(plotter.NewGrid())
	p.Add(scatter(xys, black, draw.CircleGlyph{}, 2.5))
	p.Add(scatter(xys, white, draw.CircleGlyph{}, 1.2))
	p.X.Tick.Marker = unitTicks(pair[0])
	p.Y.Tick.Marker = unitTicks(pair[1])
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
	f := single(p)
	f.ColorBar = colorBar(cm, scale)
	return f, nil
}

// rankParams returns the names of space's parameters, most important
// first when importance can tell, else in the space's order.
func rankParams(space *search.Space, trials []*dltune.Trial, epochs int, seed uint64) []string {
	var names []string
	if imp, err := analysis.Importances(space, trials, analysis.ImportanceOptions{Seed: seed, Epochs: epochs}); err == nil {
		for _, im := range imp {
			names = append(names, im.Param)
		}
	}
	for _, p := range space.Params {
		if !slices.Contains(names, p.Name) {
			names = append(names, p.Name)
		}
	}
	return names
}

// unitGrid is an n×n grid over the unit square, cell centres at
// (i+0.5)/n.
type unitGrid struct {
	n int
	z []float64
}

func (g *unitGrid) Dims() (c, r int)   { return g.n, g.n }
func (g *unitGrid) Z(c, r int) float64 { return g.z[r*g.n+c] }
func (g *unitGrid) X(c int) float64    { return (float64(c) + 0.5) / float64(g.n) }
func (g *unitGrid) Y(r int) float64    { return (float64(r) + 0.5) / float64(g.n) }
