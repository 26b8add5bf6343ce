package plot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/studyfile"
	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Errors that callers test for with errors.Is.
var (
	// ErrNoFinished: the study has no finished trial with a loss to plot.
	ErrNoFinished = errors.New("no finished trial yet")
)

// A Kind is what a plot shows.
type Kind string

// The kinds of plot.
const (
	History    Kind = "history"    // each trial's loss in order, and the best so far
	Curves     Kind = "curves"     // each trial's validation loss by epoch
	Parallel   Kind = "parallel"   // parallel coordinates of the parameters, coloured by loss
	Slice      Kind = "slice"      // the loss against each parameter
	Contour    Kind = "contour"    // the loss over a pair of parameters
	Importance Kind = "importance" // parameter importance (fANOVA) as bars
	Timeline   Kind = "timeline"   // when each trial ran, on which worker slot
	Gradients  Kind = "gradients"  // one trial's gradient flow by layer and epoch
	Filters    Kind = "filters"    // a CNN trial's first-layer filters
)

// Kinds lists every kind, in the order help shows them.
var Kinds = []Kind{History, Curves, Parallel, Slice, Contour, Importance, Timeline, Gradients, Filters}

// ParseKind returns the kind named s.
func ParseKind(s string) (Kind, error) {
	for _, k := range Kinds {
		if string(k) == s {
			return k, nil
		}
	}
	names := make([]string, len(Kinds))
	for i, k := range Kinds {
		names[i] = string(k)
	}
	return "", fmt.Errorf("unknown plot kind %q (want one of %s)", s, strings.Join(names, ", "))
}

// PerTrial reports whether the kind shows one trial, which Options.Trial
// names.
func (k Kind) PerTrial() bool { return k == Gradients || k == Filters }

// A Source reads stored studies and trials; *store.DB satisfies it.
type Source interface {
	Study(ctx context.Context, name string) (*dltune.Study, error)
	// Trials returns the study's trials with their events and per-layer
	// diagnostics; TrialSummaries without them.
	Trials(ctx context.Context, study string) ([]*dltune.Trial, error)
	TrialSummaries(ctx context.Context, study string) ([]*dltune.Trial, error)
	Trial(ctx context.Context, study string, number int) (*dltune.Trial, error)
}

// Options say what to draw.
type Options struct {
	Kind  Kind
	Study string
	// Trial is the trial a per-trial kind shows.
	Trial int
	// Params are the two parameters of a contour; empty means the two
	// most important.
	Params []string
	// Seed seeds the importance's random forest.
	Seed uint64
	// MaxCurves, if positive, bounds the curves a curves plot draws to
	// those of the trials of lowest loss, and its title says so: a study
	// of 10,000 trials draws an SVG of megabytes otherwise.
	MaxCurves int
	// MaxTrials, if positive, bounds the trials a parallel, slice or
	// timeline plot draws, and its title says so: the parallel and slice
	// plots draw the best half of MaxTrials and an evenly spaced sample of
	// the others, the timeline the MaxTrials trials that started last. At
	// 10,000 trials each is an SVG of one to three megabytes otherwise.
	MaxTrials int
	// ImportanceTrials, if positive, bounds the trials an importance plot
	// fits its forest to, by a sample drawn with Seed
	// (analysis.ImportanceOptions.MaxTrials), and its title says so: at
	// 10,000 trials fANOVA takes a second or more.
	ImportanceTrials int
}

// Render reads what opt.Kind needs from src and draws it. It fails with an
// error matching ErrNoFinished for a study-wide kind when the study has no
// finished trial with a loss, and with dltune.ErrNotFound for a missing
// study or trial.
func Render(ctx context.Context, src Source, opt Options) (*Figure, error) {
	if _, err := ParseKind(string(opt.Kind)); err != nil {
		return nil, err
	}
	if opt.Kind.PerTrial() {
		t, err := src.Trial(ctx, opt.Study, opt.Trial)
		if err != nil {
			return nil, err
		}
		if opt.Kind == Filters {
			return filters(opt.Study, t)
		}
		return gradients(opt.Study, t)
	}
	s, err := load(ctx, src, opt.Study, opt.Kind == Timeline)
	if err != nil {
		return nil, err
	}
	switch opt.Kind {
	case History:
		return history(s)
	case Curves:
		return curves(s, opt.MaxCurves)
	case Parallel:
		return parallel(s, opt.MaxTrials)
	case Slice:
		return slice(s, opt.MaxTrials)
	case Contour:
		return contour(s, opt.Params, opt.Seed)
	case Importance:
		return importance(s, opt.Seed, opt.ImportanceTrials)
	case Timeline:
		return timeline(s, opt.MaxTrials)
	}
	panic("unreachable")
}

// study is what the study-wide kinds draw from.
type study struct {
	name   string
	spec   *studyfile.Spec
	trials []*dltune.Trial
	// scored are the finished trials with a finite loss, in order.
	scored []*dltune.Trial
}

// load reads the named study; whole asks for trials with their events.
func load(ctx context.Context, src Source, name string, whole bool) (*study, error) {
	rec, err := src.Study(ctx, name)
	if err != nil {
		return nil, err
	}
	file := rec.File
	if file == "" {
		file = name + ".yaml"
	}
	spec, err := studyfile.Parse(file, rec.Spec)
	if err != nil {
		return nil, fmt.Errorf("stored spec of study %s: %w", name, err)
	}
	read := src.TrialSummaries
	if whole {
		read = src.Trials
	}
	trials, err := read(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("study %s: %w", name, err)
	}
	s := &study{name: name, spec: spec, trials: trials}
	for _, t := range trials {
		if l := t.Loss(); t.State.Finished() && !math.IsInf(l, 0) && !math.IsNaN(l) {
			s.scored = append(s.scored, t)
		}
	}
	if len(s.scored) == 0 {
		return nil, fmt.Errorf("study %s: %w", name, ErrNoFinished)
	}
	return s, nil
}

// A Figure is a drawn image: panels in a grid and, optionally, a colour
// bar at their right.
type Figure struct {
	// Title, if not "", is drawn above the panels: what a figure of
	// several panels shows.
	Title string
	// Panels are laid out row by row; a nil panel leaves its cell empty.
	Panels [][]*gplot.Plot
	// ColorBar, if not nil, is drawn in a narrow strip at the right.
	ColorBar *gplot.Plot
	// Width and Height are the image's size.
	Width, Height vg.Length
}

// Formats are the image formats Write takes, by file extension.
var Formats = []string{"png", "svg"}

// FormatOf returns the format of path by its extension.
func FormatOf(path string) (string, error) {
	ext := strings.ToLower(strings.TrimPrefix(filepath.Ext(path), "."))
	for _, f := range Formats {
		if ext == f {
			return f, nil
		}
	}
	return "", fmt.Errorf("%s: unknown image format %q: name a .png or .svg file", path, filepath.Ext(path))
}

// Write draws f and writes it to w as format, "png" or "svg".
func (f *Figure) Write(w io.Writer, format string) error {
	var c vg.CanvasWriterTo
	switch format {
	case "png":
		c = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(f.Width, f.Height), vgimg.UseBackgroundColor(white))}
	case "svg":
		c = vgsvg.New(f.Width, f.Height)
	default:
		return fmt.Errorf("unknown image format %q", format)
	}
	dc := draw.New(c)
	whole := dc
	if f.Title != "" {
		dc = draw.Crop(dc, 0, 0, 0, -vg.Length(0.45)*vg.Inch)
	}
	if f.ColorBar != nil {
		bar := vg.Length(1.3) * vg.Inch
		// The bar spans the panels' data area, roughly: below their
		// title, above their axis labels.
		right := draw.Crop(dc, dc.Max.X-dc.Min.X-bar, 0, vg.Length(0.62)*vg.Inch, -vg.Length(0.38)*vg.Inch)
		dc = draw.Crop(dc, 0, -bar, 0, 0)
		f.ColorBar.Draw(right)
	}
	rows := len(f.Panels)
	cols := 0
	for _, r := range f.Panels {
		cols = max(cols, len(r))
	}
	panels := make([][]*gplot.Plot, rows)
	for i, r := range f.Panels {
		panels[i] = make([]*gplot.Plot, cols)
		copy(panels[i], r)
	}
	pad := vg.Length(4) * vg.Millimeter
	t := draw.Tiles{Rows: rows, Cols: cols, PadX: pad, PadY: pad, PadTop: pad / 2, PadBottom: pad / 2, PadLeft: pad / 2, PadRight: pad / 2}
	canvases := gplot.Align(panels, t, dc)
	for i := range panels {
		for j, p := range panels[i] {
			if p != nil {
				p.Draw(canvases[i][j])
			}
		}
	}
	if f.Title != "" {
		// Drawn last: each panel paints its own background.
		sty := gplot.New().Title.TextStyle
		sty.Font.Size = vg.Points(14)
		sty.XAlign = draw.XCenter
		sty.YAlign = draw.YTop
		whole.FillText(sty, vg.Point{X: (whole.Min.X + whole.Max.X) / 2, Y: whole.Max.Y - vg.Length(0.08)*vg.Inch}, f.Title)
	}
	_, err := c.WriteTo(w)
	return err
}

// WriteFile writes f to path in the format its extension names. It draws
// the whole image first and writes it to a temporary file beside path,
// renamed into place only once complete: on error, path is untouched and
// nothing is left behind.
func (f *Figure) WriteFile(path string) (err error) {
	format, err := FormatOf(path)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := f.Write(&buf, format); err != nil {
		return fmt.Errorf("draw %s: %w", path, err)
	}
	return writeAtomic(path, buf.Bytes())
}

// writeAtomic writes data to path through a temporary file in its
// directory.
func writeAtomic(path string, data []byte) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		// The temporary file's name would only puzzle: say why path
		// cannot be written.
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
