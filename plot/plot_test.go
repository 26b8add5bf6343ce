package plot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/analysis"
)

// memSource is a Source over studies held in memory.
type memSource struct {
	studies map[string]*dltune.Study
	trials  map[string][]*dltune.Trial
}

func (m *memSource) Study(_ context.Context, name string) (*dltune.Study, error) {
	s, ok := m.studies[name]
	if !ok {
		return nil, fmt.Errorf("study %q: %w", name, dltune.ErrNotFound)
	}
	return s, nil
}

func (m *memSource) Trials(ctx context.Context, name string) ([]*dltune.Trial, error) {
	if _, err := m.Study(ctx, name); err != nil {
		return nil, err
	}
	return m.trials[name], nil
}

func (m *memSource) TrialSummaries(ctx context.Context, name string) ([]*dltune.Trial, error) {
	ts, err := m.Trials(ctx, name)
	var out []*dltune.Trial
	for _, t := range ts {
		c := t.Clone()
		c.Events = nil
		for i := range c.Curve {
			c.Curve[i].Layers = nil
		}
		out = append(out, c)
	}
	return out, err
}

func (m *memSource) Trial(ctx context.Context, name string, n int) (*dltune.Trial, error) {
	ts, err := m.Trials(ctx, name)
	if err != nil {
		return nil, err
	}
	for _, t := range ts {
		if t.Number == n {
			return t, nil
		}
	}
	return nil, fmt.Errorf("study %q trial %d: %w", name, n, dltune.ErrNotFound)
}

// halvingSource holds the study of testdata/halving.yaml with 12 trials
// run as successive halving on 2 workers: every trial trains to rung 1,
// four go on to 3 epochs and one to 9; the rest are pruned or paused.
func halvingSource(t *testing.T) *memSource {
	t.Helper()
	src, err := os.ReadFile("testdata/halving.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m := &memSource{studies: map[string]*dltune.Study{"halving": {Name: "halving", File: "testdata/halving.yaml", Spec: src}}, trials: map[string][]*dltune.Trial{}}
	rng := rand.New(rand.NewPCG(1, 2))
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	clock := []time.Time{t0, t0} // when each worker is free
	acts := []string{"relu", "tanh"}
	for i := range 12 {
		lr := math.Pow(10, -3+1.5*rng.Float64())
		epochs, state := 1, dltune.Pruned
		switch {
		case i == 4:
			epochs, state = 9, dltune.Complete
		case i%3 == 1:
			epochs = 3
		case i == 11:
			state = dltune.Paused
		}
		tr := &dltune.Trial{Number: i, State: state, Budget: epochs, RetryOf: -1,
			Params: dltune.Params{"lr": dltune.Float(lr), "width": dltune.Int(4 + rng.IntN(29)), "act": dltune.String(acts[i%2])}}
		for e := 1; e <= epochs; e++ {
			loss := 0.7*math.Exp(-float64(e)*lr*30) + 0.1 + 0.05*rng.Float64()
			tr.Curve = append(tr.Curve, dltune.Epoch{Epoch: e, TrainLoss: loss * 0.9, ValLoss: loss, LearningRate: lr, Seconds: 1,
				Layers: []dltune.LayerStats{
					{Name: "dense1", GradRMS: 1e-4 * float64(e), GradHist: []int{5, 20, 40, 10, 1}, HistLow: -7, DeadFraction: 0.1},
					{Name: "dense2", GradRMS: 1e-3 * float64(e), GradHist: []int{1, 5, 20, 40, 10}, HistLow: -7},
					{Name: "out", GradRMS: 1e-2 * float64(e), GradHist: []int{0, 1, 5, 20, 40}, HistLow: -7},
				}})
		}
		w := i % 2
		start := clock[w]
		end := start.Add(time.Duration(epochs) * time.Second)
		clock[w] = end
		tr.Created, tr.Started = start, start
		tr.Events = []dltune.Event{{Time: start, What: "created"}}
		if state == dltune.Paused {
			tr.Events = append(tr.Events, dltune.Event{Time: end, Epoch: epochs, What: "paused at its budget of 1 epochs"})
		} else {
			tr.Finished = end
			tr.Events = append(tr.Events, dltune.Event{Time: end, Epoch: epochs, What: state.String()})
		}
		m.trials["halving"] = append(m.trials["halving"], tr)
	}
	return m
}

// decode renders opt from src as PNG and decodes it.
func decode(t *testing.T, src Source, opt Options) (*Figure, image.Image) {
	t.Helper()
	f, err := Render(context.Background(), src, opt)
	if err != nil {
		t.Fatalf("Render %s: %v", opt.Kind, err)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf, "png"); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatalf("%s: the PNG does not decode: %v", opt.Kind, err)
	}
	return f, img
}

// near counts the pixels of img within tol (per 8-bit channel) of c.
func near(img image.Image, c color.Color, tol int) int {
	r0, g0, b0, _ := c.RGBA()
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bb, _ := img.At(x, y).RGBA()
			if abs(int(r>>8)-int(r0>>8)) <= tol && abs(int(g>>8)-int(g0>>8)) <= tol && abs(int(bb>>8)-int(b0>>8)) <= tol {
				n++
			}
		}
	}
	return n
}

// onWhite is the colour c drawn with alpha a over white.
func onWhite(c color.Color, a uint8) color.Color {
	r, g, b, _ := c.RGBA()
	f := float64(a) / 255
	mix := func(v uint32) uint8 { return uint8(math.Round(float64(v>>8)*f + 255*(1-f))) }
	return color.RGBA{R: mix(r), G: mix(g), B: mix(b), A: 255}
}

func abs(x int) int { return max(x, -x) }

// blank is the share of img's pixels that are white.
func blank(img image.Image) float64 {
	b := img.Bounds()
	return float64(near(img, color.White, 0)) / float64(b.Dx()*b.Dy())
}

func TestRenderEveryKind(t *testing.T) {
	src := halvingSource(t)
	cases := []struct {
		kind   Kind
		trial  int
		panels int
		// colours that must show: the series the plot must have drawn.
		colors map[string]color.Color
	}{
		{History, 0, 1, map[string]color.Color{"best-so-far line": red, "complete point": blue}},
		{Curves, 0, 1, map[string]color.Color{"complete curve": onWhite(blue, 170), "pruned curve": onWhite(red, 170), "paused end": orange, "rung line": grey}},
		{Parallel, 0, 1, nil},
		{Slice, 0, 3, map[string]color.Color{"pruned point": onWhite(red, 200)}},
		{Contour, 0, 1, nil},
		{Timeline, 0, 1, map[string]color.Color{"complete bar": onWhite(blue, 210), "pruned bar": onWhite(red, 210), "paused bar": onWhite(orange, 210)}},
		{Gradients, 4, 4, map[string]color.Color{"layer 1": blue, "layer 2": orange, "layer 3": layerColors[2]}},
	}
	for _, c := range cases {
		t.Run(string(c.kind), func(t *testing.T) {
			f, img := decode(t, src, Options{Kind: c.kind, Study: "halving", Trial: c.trial, Seed: 1})
			n := 0
			for _, row := range f.Panels {
				for _, p := range row {
					if p != nil {
						n++
					}
				}
			}
			if n != c.panels {
				t.Errorf("%d panels, want %d", n, c.panels)
			}
			b := img.Bounds()
			if b.Dx() < 600 || b.Dy() < 300 {
				t.Errorf("image %dx%d, want at least 600x300", b.Dx(), b.Dy())
			}
			if w := blank(img); w > 0.97 || w < 0.2 {
				t.Errorf("%.0f%% of the image is white: blank or a solid fill", 100*w)
			}
			for name, col := range c.colors {
				if got := near(img, col, 12); got < 20 {
					t.Errorf("%s: %d pixels of its colour, want it drawn", name, got)
				}
			}
		})
	}
}

// TestCurvesWithoutPrunedShowNoPruned checks that the colour test above
// can fail: a study with only complete trials draws no pruned red.
func TestCurvesWithoutPrunedShowNoPruned(t *testing.T) {
	src := halvingSource(t)
	var kept []*dltune.Trial
	for _, tr := range src.trials["halving"] {
		if tr.State == dltune.Complete {
			kept = append(kept, tr)
		}
	}
	src.trials["halving"] = kept
	_, img := decode(t, src, Options{Kind: Curves, Study: "halving"})
	if got := near(img, onWhite(red, 170), 12); got > 0 {
		t.Errorf("%d pixels of pruned red with no pruned trial", got)
	}
}

// TestImportancePlotAtRung checks that a halving study's importance
// compares its trials at a rung (1 of its 12 trials completed), and fails
// clearly when too few reached it.
func TestImportancePlotAtRung(t *testing.T) {
	src := halvingSource(t)
	f, img := decode(t, src, Options{Kind: Importance, Study: "halving", Seed: 1})
	if title := f.Panels[0][0].Title.Text; !strings.Contains(title, "12 trials at the rung of 1 epoch") {
		t.Errorf("title %q does not say what it compares", title)
	}
	if near(img, blue, 0) < 500 {
		t.Errorf("no bars drawn")
	}
	for _, tr := range src.trials["halving"][3:] {
		tr.State = dltune.Failed
	}
	_, err := Render(context.Background(), src, Options{Kind: Importance, Study: "halving"})
	if !errors.Is(err, analysis.ErrTooFewTrials) || !strings.Contains(err.Error(), "3 trials that reached epoch 1, 4 needed") {
		t.Fatalf("err %v, want too few trials at the rung", err)
	}
}

func TestRenderErrors(t *testing.T) {
	src := halvingSource(t)
	empty := halvingSource(t)
	for _, tr := range empty.trials["halving"] {
		tr.State = dltune.Running
	}
	bare := halvingSource(t)
	for i := range bare.trials["halving"][0].Curve {
		bare.trials["halving"][0].Curve[i].Layers = nil
	}
	tooMany := halvingSource(t)
	tooMany.trials["halving"][0].Filters = &dltune.Filters{Shape: [4]int{16, 1, 99, 99}, Epoch: 1}
	cases := []struct {
		name string
		src  Source
		opt  Options
		want error
		msg  string
	}{
		{"unknown kind", src, Options{Kind: "pie", Study: "halving"}, nil, `unknown plot kind "pie"`},
		{"no study", src, Options{Kind: History, Study: "nope"}, dltune.ErrNotFound, `"nope"`},
		{"no trial", src, Options{Kind: Gradients, Study: "halving", Trial: 99}, dltune.ErrNotFound, "trial 99"},
		{"nothing finished", empty, Options{Kind: History, Study: "halving"}, ErrNoFinished, "study halving"},
		{"no diagnostics", bare, Options{Kind: Gradients, Study: "halving", Trial: 0}, nil, "trial 0: no layer diagnostics stored (it trained 1 epochs)"},
		{"filters of an MLP", src, Options{Kind: Filters, Study: "halving", Trial: 0}, nil, "trial 0: no filters stored: only a CNN trial"},
		{"filters not kept", tooMany, Options{Kind: Filters, Study: "halving", Trial: 0}, nil, "16x1x99x99 filters were too many to keep"},
		{"contour param", src, Options{Kind: Contour, Study: "halving", Params: []string{"lr", "depth"}}, nil, `no parameter "depth"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Render(context.Background(), c.src, c.opt)
			if err == nil || !strings.Contains(err.Error(), c.msg) || (c.want != nil && !errors.Is(err, c.want)) {
				t.Errorf("err %v, want %v containing %q", err, c.want, c.msg)
			}
		})
	}
}

func TestWriteFile(t *testing.T) {
	f, err := Render(context.Background(), halvingSource(t), Options{Kind: History, Study: "halving"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, name := range []string{"h.png", "h.svg"} {
		path := filepath.Join(dir, name)
		if err := f.WriteFile(path); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if name == "h.svg" && !bytes.Contains(data, []byte("<svg")) {
			t.Errorf("%s is not SVG: %.40q", name, data)
		}
		if name == "h.png" {
			if _, err := png.Decode(bytes.NewReader(data)); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
	}
	bad := []struct{ path, msg string }{
		{filepath.Join(dir, "h.jpg"), "unknown image format"},
		{filepath.Join(dir, "missing", "h.png"), "no such file or directory"},
	}
	for _, b := range bad {
		if err := f.WriteFile(b.path); err == nil || !strings.Contains(err.Error(), b.msg) || !strings.Contains(err.Error(), b.path) {
			t.Errorf("WriteFile(%s): %v, want an error naming it with %q", b.path, err, b.msg)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		t.Errorf("dir holds %d files after failed writes, want the 2 written", len(entries))
	}
}

func TestAssignSlots(t *testing.T) {
	t0 := time.Unix(0, 0)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	rs := []run{
		{trial: 0, start: at(0), end: at(10)},
		{trial: 1, start: at(0), end: at(4)},
		{trial: 2, start: at(4), end: at(12)}, // takes trial 1's slot
		{trial: 3, start: at(5), end: at(6)},  // both busy: a third slot
		{trial: 4, start: at(10), end: at(11)},
	}
	if n := assignSlots(rs); n != 3 {
		t.Errorf("%d slots, want 3", n)
	}
	want := map[int]int{0: 0, 1: 1, 2: 1, 3: 2, 4: 0}
	for _, r := range rs {
		if r.slot != want[r.trial] {
			t.Errorf("trial %d on slot %d, want %d", r.trial, r.slot, want[r.trial])
		}
	}
}

func TestParseKind(t *testing.T) {
	for _, k := range Kinds {
		if got, err := ParseKind(string(k)); err != nil || got != k {
			t.Errorf("ParseKind(%q) = %q, %v", k, got, err)
		}
	}
	if _, err := ParseKind("bars"); err == nil || !strings.Contains(err.Error(), "history, curves") {
		t.Errorf("ParseKind(bars): %v, want the kinds listed", err)
	}
}

// TestFilters draws two filters of one channel: the positive weights red,
// the negative blue, each tile on its own scale (the second filter's
// weights are a thousandth of the first's and must show as strongly).
func TestFilters(t *testing.T) {
	src := halvingSource(t)
	f := &dltune.Filters{Shape: [4]int{2, 1, 3, 3}, Epoch: 2, Data: []float32{
		1, 0, -1, 1, 0, -1, 1, 0, -1,
		-1e-3, -1e-3, -1e-3, 0, 0, 0, 1e-3, 1e-3, 1e-3,
	}}
	src.trials["halving"][0].Filters = f
	fig, img := decode(t, src, Options{Kind: Filters, Study: "halving", Trial: 0})
	if sub := fig.Panels[0][0].Title.Text; !strings.Contains(sub, "2 filters of 3x3 over 1 channel, after epoch 2") {
		t.Errorf("subtitle %q", sub)
	}
	grid := filterGrid(f)
	red, blue := near(grid, diverging(1, 1), 0), near(grid, diverging(-1, 1), 0)
	// Each filter has three full-scale weights of each sign, 24x24 pixels each.
	if red != 6*576 || blue != 6*576 {
		t.Errorf("grid: %d red and %d blue pixels, want %d of each", red, blue, 6*576)
	}
	if near(img, diverging(1, 1), 8) == 0 || near(img, diverging(-1, 1), 8) == 0 {
		t.Error("the figure shows no full red or full blue")
	}
	if b := blank(img); b > 0.97 {
		t.Errorf("the figure is %.0f%% white", 100*b)
	}
}

// TestMaxCurves checks that a curves plot bounded to 5 curves draws the 5
// trials of lowest loss and says so.
func TestMaxCurves(t *testing.T) {
	src := halvingSource(t)
	trials := src.trials["halving"]
	var svg [2]bytes.Buffer
	for i, n := range []int{0, 5} {
		f, err := Render(context.Background(), src, Options{Kind: Curves, Study: "halving", MaxCurves: n})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Write(&svg[i], "svg"); err != nil {
			t.Fatal(err)
		}
	}
	if !strings.Contains(svg[1].String(), "the best 5 of 12 trials") || strings.Contains(svg[0].String(), "the best") {
		t.Errorf("only the bounded plot should say it shows the best 5 of 12 trials")
	}
	if svg[1].Len() >= svg[0].Len() {
		t.Errorf("the plot of 5 curves is %d bytes, that of 12 %d", svg[1].Len(), svg[0].Len())
	}
	best := bestTrials(trials, 5)
	if len(best) != 5 {
		t.Fatalf("%d best trials, want 5", len(best))
	}
	worstKept := math.Inf(-1)
	kept := map[int]bool{}
	for i, tr := range best {
		if i > 0 && tr.Number < best[i-1].Number {
			t.Errorf("best trials not by number: %d after %d", tr.Number, best[i-1].Number)
		}
		worstKept = max(worstKept, tr.Loss())
		kept[tr.Number] = true
	}
	for _, tr := range trials {
		if !kept[tr.Number] && tr.Loss() < worstKept {
			t.Errorf("trial %d (loss %g) left out, but trial of loss %g kept", tr.Number, tr.Loss(), worstKept)
		}
	}
}

// TestValuesOutsideTheSpace draws a study in which a trial holds a choice
// the space does not list and a string for a number: the plots that place
// parameters leave it out of those axes rather than fail. (A parallel
// coordinates plot panicked on a NaN point.)
func TestValuesOutsideTheSpace(t *testing.T) {
	src := halvingSource(t)
	trials := src.trials["halving"]
	for _, tr := range trials[:2] {
		tr.Params = tr.Params.Clone()
		tr.Params["act"] = dltune.String("gelu")
		tr.Params["width"] = dltune.String("wide")
	}
	for _, k := range []Kind{Parallel, Slice, Contour} {
		t.Run(string(k), func(t *testing.T) {
			f, err := Render(context.Background(), src, Options{Kind: k, Study: "halving", Params: []string{"act", "width"}, Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := f.Write(&buf, "svg"); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestTitlePlurals checks that titles count one thing in the singular.
func TestTitlePlurals(t *testing.T) {
	one := []*dltune.Trial{{Number: 0}}
	for _, c := range []struct{ got, want string }{
		{studyTitle("History", &study{name: "s", trials: one}), "History: study s (1 trial)"},
		{studyTitle("History", &study{name: "s", trials: append(one, one[0])}), "History: study s (2 trials)"},
		{plural(0, "complete trial"), "0 complete trials"},
	} {
		if c.got != c.want {
			t.Errorf("%q, want %q", c.got, c.want)
		}
	}
}
