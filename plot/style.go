package plot

import (
	"fmt"
	"image/color"
	"math"
	"strconv"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/search"
	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// The sizes of a figure: one panel, and a cell of a grid of panels.
const (
	panelWidth  = 24 * vg.Centimeter
	panelHeight = 15 * vg.Centimeter
	cellWidth   = 12 * vg.Centimeter
	cellHeight  = 10 * vg.Centimeter
)

// lossLabel names the objective on an axis. Losses have no unit.
const lossLabel = "validation loss (best epoch)"

var (
	white = color.White
	grey  = color.RGBA{R: 0x99, G: 0x99, B: 0x99, A: 0xff}
	// The state colours, from the tab10 palette that matplotlib users
	// know.
	blue   = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}
	orange = color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff}
	red    = color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}
	black  = color.RGBA{A: 0xff}
)

// stateColor is the colour a trial in state s is drawn in.
func stateColor(s dltune.State) color.Color {
	switch s {
	case dltune.Complete:
		return blue
	case dltune.Pruned:
		return red
	case dltune.Paused:
		return orange
	case dltune.Failed:
		return black
	}
	return grey
}

// faded returns c with alpha a (0-255), premultiplied as image/color wants.
func faded(c color.Color, a uint8) color.Color {
	r, g, b, _ := c.RGBA()
	f := float64(a) / 255
	return color.RGBA{R: uint8(float64(r>>8) * f), G: uint8(float64(g>>8) * f), B: uint8(float64(b>>8) * f), A: a}
}

// layerColors are the colours of layers, input side first.
var layerColors = []color.Color{
	blue, orange, color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff}, red,
	color.RGBA{R: 0x94, G: 0x67, B: 0xbd, A: 0xff}, color.RGBA{R: 0x8c, G: 0x56, B: 0x4b, A: 0xff},
	color.RGBA{R: 0xe3, G: 0x77, B: 0xc2, A: 0xff}, color.RGBA{R: 0x7f, G: 0x7f, B: 0x7f, A: 0xff},
	color.RGBA{R: 0xbc, G: 0xbd, B: 0x22, A: 0xff}, color.RGBA{R: 0x17, G: 0xbe, B: 0xcf, A: 0xff},
}

// newPlot returns a plot with a title and axis labels, in dltune's style.
func newPlot(title, x, y string) *gplot.Plot {
	p := gplot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = vg.Points(13)
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.X.Label.TextStyle.Font.Size = vg.Points(11)
	p.Y.Label.TextStyle.Font.Size = vg.Points(11)
	p.Legend.Top = true
	p.Legend.TextStyle.Font.Size = vg.Points(10)
	p.Add(plotter.NewGrid())
	return p
}

// logY puts p's Y axis on a log scale.
func logY(p *gplot.Plot) {
	p.Y.Scale = gplot.LogScale{}
	p.Y.Tick.Marker = logTicks{}
}

// logX puts p's X axis on a log scale.
func logX(p *gplot.Plot) {
	p.X.Scale = gplot.LogScale{}
	p.X.Tick.Marker = logTicks{}
}

// logTicks labels every decade and, when the range spans less than two
// decades, the 2s and 5s between them, so that a narrow log axis still has
// labels.
type logTicks struct{}

func (logTicks) Ticks(lo, hi float64) []gplot.Tick {
	if lo <= 0 || hi <= 0 || lo >= hi {
		return gplot.DefaultTicks{}.Ticks(lo, hi)
	}
	a, b := math.Floor(math.Log10(lo)), math.Ceil(math.Log10(hi))
	labelled := map[int]bool{1: true}
	if b-a <= 2 {
		labelled[2], labelled[5] = true, true
	}
	var ticks []gplot.Tick
	for e := a; e <= b; e++ {
		for m := 1; m < 10; m++ {
			v := float64(m) * math.Pow(10, e)
			if v < lo*(1-1e-9) || v > hi*(1+1e-9) {
				continue
			}
			t := gplot.Tick{Value: v}
			if labelled[m] {
				t.Label = strconv.FormatFloat(v, 'g', 3, 64)
			}
			ticks = append(ticks, t)
		}
	}
	if countLabels(ticks) < 2 {
		return gplot.DefaultTicks{}.Ticks(lo, hi)
	}
	return ticks
}

func countLabels(ts []gplot.Tick) int {
	n := 0
	for _, t := range ts {
		if t.Label != "" {
			n++
		}
	}
	return n
}

// wide reports whether values spread over more than a decade and are all
// positive: they read better on a log axis.
func wide(vs []float64) bool {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range vs {
		lo, hi = min(lo, v), max(hi, v)
	}
	return lo > 0 && hi/lo > 10
}

// unitTicks labels an axis drawn in p's unit coordinates (search.Param's
// ToUnit) with p's own values: decades for a log range, round numbers for
// a linear one, the names of a choice.
func unitTicks(p *search.Param) gplot.Ticker {
	var ticks []gplot.Tick
	if p.Type == search.Choice {
		for _, c := range p.Choices {
			ticks = append(ticks, gplot.Tick{Value: p.ToUnit(c), Label: c.String()})
		}
		return gplot.ConstantTicks(ticks)
	}
	var raw []gplot.Tick
	if p.Log {
		raw = logTicks{}.Ticks(p.Low, p.High)
	} else {
		raw = gplot.DefaultTicks{}.Ticks(p.Low, p.High)
	}
	for _, t := range raw {
		v := dltune.Float(t.Value)
		if p.Type == search.IntRange {
			if t.Value != math.Round(t.Value) {
				t.Label = ""
			}
			v = dltune.Int(int(math.Round(t.Value)))
		}
		u := p.ToUnit(v)
		if u < -0.02 || u > 1.02 {
			continue
		}
		ticks = append(ticks, gplot.Tick{Value: u, Label: t.Label})
	}
	return gplot.ConstantTicks(ticks)
}

// paramLabel is how an axis names parameter p, saying when it is on a log
// scale.
func paramLabel(p *search.Param) string {
	if p.Log {
		return p.Name + " (log scale)"
	}
	return p.Name
}

// line returns a line through xys drawn in colour c and width w points.
func line(xys plotter.XYs, c color.Color, w float64) *plotter.Line {
	l, err := plotter.NewLine(xys)
	if err != nil {
		panic(err) // only NaN or Inf points, which callers leave out
	}
	l.Color = c
	l.Width = vg.Points(w)
	return l
}

// scatter returns points at xys drawn as glyph shape in colour c.
func scatter(xys plotter.XYs, c color.Color, shape draw.GlyphDrawer, radius float64) *plotter.Scatter {
	s, err := plotter.NewScatter(xys)
	if err != nil {
		panic(err)
	}
	s.GlyphStyle = draw.GlyphStyle{Color: c, Shape: shape, Radius: vg.Points(radius)}
	return s
}

// studyTitle is a figure's title: what it shows, of which study.
func studyTitle(what string, s *study) string {
	return fmt.Sprintf("%s: study %s (%s)", what, s.name, plural(len(s.trials), "trial"))
}

// plural formats n things: "1 trial", "2 trials". (cmd/dltune and
// analysis keep the same few lines: no package of ours is the natural
// home of an exported string helper.)
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}

// finite reports whether v is a number a plot can place.
func finite(v float64) bool { return !math.IsInf(v, 0) && !math.IsNaN(v) }

// intTicks labels an axis of whole numbers (epochs, trial numbers): the
// first and every 5th, 10th or 20th, or every one when there are few.
type intTicks struct{}

func (intTicks) Ticks(lo, hi float64) []gplot.Tick {
	first, last := int(math.Ceil(lo)), int(math.Floor(hi))
	step := 1
	switch n := last - first; {
	case n > 400:
		step = 100
	case n > 100:
		step = 20
	case n > 40:
		step = 10
	case n > 12:
		step = 5
	}
	var ticks []gplot.Tick
	for v := first; v <= last; v++ {
		if v%step != 0 && v != first && (last-first) > 400 {
			continue // no minor tick for every trial of a long study
		}
		t := gplot.Tick{Value: float64(v)}
		if v == first || v%step == 0 {
			t.Label = strconv.Itoa(v)
		}
		ticks = append(ticks, t)
	}
	return ticks
}
