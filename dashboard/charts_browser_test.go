package dashboard

import (
	"context"
	"fmt"
	"math"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/dltune/dltune"
)

// recorder runs first in every page the tests open: it records the page's
// policy violations and uncaught errors, script or resource, in
// window.problems.
const recorder = `window.problems = [];
document.addEventListener("securitypolicyviolation", e => problems.push("policy " + e.violatedDirective + " blocked " + (e.blockedURI || "inline code") + " at " + e.sourceFile + ":" + e.lineNumber), true);
window.addEventListener("error", e => problems.push(e.message ? "error " + e.message : "failed to load " + (e.target.src || e.target.href)), true);
window.addEventListener("unhandledrejection", e => problems.push("rejection " + e.reason));`

// watched returns a browser tab that runs recorder in every page.
func watched(t *testing.T) context.Context {
	t.Helper()
	ctx := browser(t)
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: recorder})
		return err
	}))
	if err != nil {
		t.Fatal(err)
	}
	return ctx
}

// settled waits until every chart of the page is drawn or says why not.
const settled = `Array.from(document.querySelectorAll("[data-chart]")).every(e => e.dataset.drawn || e.querySelector(".chart-note, img"))`

// openSettled loads url and waits for its charts (waitFor, which tries
// again an evaluation of a page still being replaced).
func openSettled(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("%s: %v", url, err)
	}
	waitFor(t, ctx, url+": the charts drawn", settled)
}

// problems returns what recorder recorded in the tab's page.
func problems(t *testing.T, ctx context.Context) []string {
	t.Helper()
	return eval[[]string](t, ctx, `window.problems`)
}

// TestBrowserNoPolicyViolation loads every kind of page and checks that
// the policy blocked nothing and no script failed: the pages hold no
// inline script or style, and the charts run under script-src 'self'.
func TestBrowserNoPolicyViolation(t *testing.T) {
	chromium(t)
	srv := httptest.NewServer(New(newStore(t), nil))
	t.Cleanup(srv.Close)
	ctx := watched(t)
	pages := []struct{ path, charts string }{
		{"/", ""},
		{"/study/tiny", "history top"},
		{"/study/tiny/trial/0", "curve"},
		{"/study/tiny/trial/3", ""}, // running, no epoch yet
		{"/study/nope", ""},
	}
	for _, p := range pages {
		openSettled(t, ctx, srv.URL+p.path)
		if got := problems(t, ctx); len(got) > 0 {
			t.Errorf("%s: %q", p.path, got)
		}
		drawn, err := chromedp.Run(ctx, chromedp.Evaluate[string](`Array.from(document.querySelectorAll("[data-drawn]")).map(e => e.dataset.chart).join(" ")`))
		if err != nil {
			t.Fatal(err)
		}
		if drawn != p.charts {
			t.Errorf("%s: charts drawn %q, want %q", p.path, drawn, p.charts)
		}
	}
	// The recorder sees a violation when there is one.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const s = document.createElement("script"); s.textContent = "1"; document.body.append(s); return true })()`)); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](`window.problems.length > 0`, chromedp.WithPollingTimeout(5*time.Second))); err != nil {
		t.Errorf("an inline script added to the page raised no violation the test saw: %v", err)
	}
}

// point returns where in the viewport a chart's value (x, y) is drawn,
// after scrolling the chart into view. It waits two frames after the
// scroll, for the scroll event that tells uPlot its chart moved.
func point(t *testing.T, ctx context.Context, chart string, x, y float64) (float64, float64) {
	t.Helper()
	js := fmt.Sprintf(`(async () => {
		const el = document.querySelector('[data-chart=%q]');
		el.scrollIntoView({block: "center"});
		for (let i = 0; i < 2; i++) await new Promise(requestAnimationFrame);
		const u = el._chart.u, r = u.over.getBoundingClientRect();
		return [r.left + u.valToPos(%g, "x"), r.top + u.valToPos(%g, "y")];
	})()`, chart, x, y)
	p, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](js, chromedp.EvalAwaitPromise))
	if err != nil || len(p) != 2 {
		t.Fatalf("position of (%g, %g) in chart %s: %v %v", x, y, chart, p, err)
	}
	return p[0], p[1]
}

// TestBrowserTrialChart checks the trial page's learning curve: it holds
// the trial's losses, hovering an epoch shows its values, a drag zooms
// and a double click zooms out.
func TestBrowserTrialChart(t *testing.T) {
	chromium(t)
	srv := httptest.NewServer(New(newStore(t), nil))
	t.Cleanup(srv.Close)
	ctx := watched(t)
	openSettled(t, ctx, srv.URL+"/study/tiny/trial/0")

	// newStore: trial 0 has lr 0.01 and val loss 1/e + 0.1 at epoch e.
	val, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`document.querySelector("[data-chart=curve]")._chart.u.data[2]`))
	if err != nil {
		t.Fatal(err)
	}
	if len(val) != 4 {
		t.Fatalf("the chart holds val losses %v, want 4 epochs", val)
	}
	for i, v := range val {
		if want := 1/float64(i+1) + 0.1; math.Abs(v-want) > 1e-5 {
			t.Errorf("epoch %d: val loss %g in the chart, want %g", i+1, v, want)
		}
	}
	canvas, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelector("[data-chart=curve] canvas").width`))
	if err != nil || canvas < 200 {
		t.Errorf("the chart's canvas is %d px wide (%v)", canvas, err)
	}

	// Hover epoch 2.
	x, y := point(t, ctx, "curve", 2, 0.6)
	if err := chromedp.Do(ctx, chromedp.MouseEvent(chromedp.MouseMoved, x, y)); err != nil {
		t.Fatal(err)
	}
	const legend = `Array.from(document.querySelectorAll("[data-chart=curve] .u-legend .u-series")).map(r => r.querySelector("th").textContent + "=" + r.querySelector(".u-value").textContent).join(" ")`
	want := "epoch=2 train loss=0.54 val loss=0.6 best (epoch 4)=—"
	got, err := chromedp.Run(ctx, chromedp.Poll[string](legend+` === `+fmt.Sprintf("%q", want)+` && `+legend, chromedp.WithPollingTimeout(5*time.Second)))
	if err != nil {
		got, _ = chromedp.Run(ctx, chromedp.Evaluate[string](legend))
		t.Errorf("hovering epoch 2, the legend says %q, want %q", got, want)
	}
	_ = got

	// Drag from epoch 1.5 to 3.5 zooms in; a double click zooms out.
	x0, y0 := point(t, ctx, "curve", 1.5, 0.6)
	x1, _ := point(t, ctx, "curve", 3.5, 0.6)
	if err := chromedp.Do(ctx,
		chromedp.MouseEvent(chromedp.MouseMoved, x0, y0),
		chromedp.MouseEvent(chromedp.MousePressed, x0, y0, chromedp.Button("left")),
		chromedp.MouseEvent(chromedp.MouseMoved, (x0+x1)/2, y0, chromedp.Button("left")),
		chromedp.MouseEvent(chromedp.MouseMoved, x1, y0, chromedp.Button("left")),
		chromedp.MouseEvent(chromedp.MouseReleased, x1, y0, chromedp.Button("left")),
	); err != nil {
		t.Fatal(err)
	}
	const scale = `(() => { const s = document.querySelector("[data-chart=curve]")._chart.u.scales.x; return [s.min, s.max] })()`
	xs, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](scale))
	if err != nil || len(xs) != 2 || xs[0] < 1.4 || xs[1] > 3.6 {
		t.Errorf("after a drag from epoch 1.5 to 3.5 the x axis spans %v (%v)", xs, err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector("[data-chart=curve] .u-over").dispatchEvent(new MouseEvent("dblclick", {bubbles: true}))`)); err != nil {
		t.Fatal(err)
	}
	xs, err = chromedp.Run(ctx, chromedp.Evaluate[[]float64](scale))
	if err != nil || len(xs) != 2 || xs[0] != 1 || xs[1] != 4 {
		t.Errorf("after a double click the x axis spans %v (%v), want [1 4]", xs, err)
	}
	if p := problems(t, ctx); len(p) > 0 {
		t.Errorf("problems: %q", p)
	}
}

// TestBrowserHistoryClick clicks a trial's point in the study page's
// history chart: its page opens.
func TestBrowserHistoryClick(t *testing.T) {
	chromium(t)
	srv := httptest.NewServer(New(newStore(t), nil))
	t.Cleanup(srv.Close)
	ctx := watched(t)
	openSettled(t, ctx, srv.URL+"/study/tiny")
	// Trial 2 (lr 0.001) ends at val loss 1/4 + 0.01; trial 0 at 0.35.
	// A click above trial 2's point, at trial 0's height, opens nothing.
	x, y := point(t, ctx, "history", 2, 0.35)
	if err := chromedp.Do(ctx, chromedp.MouseEvent(chromedp.MouseMoved, x, y), chromedp.MouseClickXY(x, y), chromedp.Sleep(300*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if loc, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.pathname`)); err != nil || loc != "/study/tiny" {
		t.Fatalf("a click off every point opened %s (%v)", loc, err)
	}
	x, y = point(t, ctx, "history", 2, 0.26)
	if err := chromedp.Do(ctx,
		chromedp.MouseEvent(chromedp.MouseMoved, x, y),
		chromedp.MouseClickXY(x, y),
	); err != nil {
		t.Fatal(err)
	}
	// The navigation ends the page a poll would run in: ask again.
	var loc string
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if loc, _ = chromedp.Run(ctx, chromedp.Evaluate[string](`location.pathname`)); loc == "/study/tiny/trial/2" {
			return
		}
	}
	t.Fatalf("clicking trial 2's point left the browser at %s, want /study/tiny/trial/2", loc)
}

// TestBrowserWidths loads the pages at a phone's width and a desktop's:
// nothing may make the page wider than the window (tables scroll in their
// own box), and the charts fit.
func TestBrowserWidths(t *testing.T) {
	chromium(t)
	srv := httptest.NewServer(New(newStore(t), nil))
	t.Cleanup(srv.Close)
	ctx := watched(t)
	sizes := []struct {
		name string
		w, h int64
		opts []chromedp.EmulateViewportOption
	}{
		{"phone", 390, 844, []chromedp.EmulateViewportOption{chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait}},
		{"desktop", 1280, 800, nil},
	}
	for _, s := range sizes {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(s.w, s.h, s.opts...)); err != nil {
			t.Fatal(err)
		}
		for _, path := range []string{"/", "/study/tiny", "/study/tiny/trial/0"} {
			openSettled(t, ctx, srv.URL+path)
			m, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]float64](`({inner: window.innerWidth, scroll: document.documentElement.scrollWidth,
				chart: Math.max(0, ...Array.from(document.querySelectorAll(".uplot")).map(e => e.getBoundingClientRect().right))})`))
			if err != nil {
				t.Fatal(err)
			}
			// On a phone, a page too wide widens the layout
			// viewport (innerWidth) too.
			if w := float64(s.w); m["inner"] != w || m["scroll"] > w {
				t.Errorf("%s %s: the page is %g px wide, its window %g, on a screen of %g", s.name, path, m["scroll"], m["inner"], w)
			}
			if m["chart"] > m["inner"] {
				t.Errorf("%s %s: a chart ends at %g px in a window of %g", s.name, path, m["chart"], m["inner"])
			}
		}
	}
}

// TestBrowserLiveCharts adds a finished trial while the study page is
// open: the history chart shows it without a reload.
func TestBrowserLiveCharts(t *testing.T) {
	chromium(t)
	db := newStore(t)
	srv := httptest.NewServer(New(db, &Options{Poll: 100 * time.Millisecond}))
	t.Cleanup(srv.Close)
	ctx := watched(t)
	openSettled(t, ctx, srv.URL+"/study/tiny")
	const trials = `document.querySelector("[data-chart=history]")._chart.u.data[0]`
	before, err := chromedp.Run(ctx, chromedp.Evaluate[[]int](trials))
	if err != nil || !reflect.DeepEqual(before, []int{0, 1, 2}) {
		t.Fatalf("the history shows trials %v (%v), want [0 1 2]", before, err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.notReloaded = true`)); err != nil {
		t.Fatal(err)
	}
	addTrial(t, db, dltune.Complete, dltune.Epoch{Epoch: 4, TrainLoss: 0.01, ValLoss: 0.02, Seconds: 0.5})
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](trials+`.length === 4 && window.notReloaded`, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		after, _ := chromedp.Run(ctx, chromedp.Evaluate[[]int](trials))
		t.Fatalf("after trial 4 finished the history shows trials %v, want 0 to 4 without a reload", after)
	}
	best, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.querySelector("[data-chart=history]")._chart.u.data.at(-1)[3]`))
	if err != nil || best != 0.02 {
		t.Errorf("the best so far after trial 4 is %g (%v), want 0.02", best, err)
	}
	if p := problems(t, ctx); len(p) > 0 {
		t.Errorf("problems: %q", p)
	}
}

// TestBrowserLiveCurve opens the page of a running trial that trained no
// epoch yet, then records two: its chart shows them without a reload.
func TestBrowserLiveCurve(t *testing.T) {
	chromium(t)
	db := newStore(t)
	srv := httptest.NewServer(New(db, &Options{Poll: 100 * time.Millisecond}))
	t.Cleanup(srv.Close)
	ctx := watched(t)
	openSettled(t, ctx, srv.URL+"/study/tiny/trial/3")
	note, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("[data-chart=curve]").textContent`))
	if err != nil || note != "No epoch trained yet." {
		t.Fatalf("the running trial's chart says %q (%v)", note, err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.notReloaded = true`)); err != nil {
		t.Fatal(err)
	}
	tr, err := db.Trial(context.Background(), "tiny", 3)
	if err != nil {
		t.Fatal(err)
	}
	tr.Curve = []dltune.Epoch{{Epoch: 1, TrainLoss: 0.9, ValLoss: 0.8}, {Epoch: 2, TrainLoss: 0.7, ValLoss: 0.6}}
	if err := db.UpdateTrial(context.Background(), "tiny", tr); err != nil {
		t.Fatal(err)
	}
	const val = `document.querySelector("[data-chart=curve]")._chart?.u.data[2]`
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](val+`?.length === 2 && window.notReloaded`, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		got, _ := chromedp.Run(ctx, chromedp.Evaluate[[]float64](val+` || []`))
		t.Fatalf("after trial 3 trained 2 epochs its chart holds val losses %v, want [0.8 0.6] without a reload", got)
	}
	if got, _ := chromedp.Run(ctx, chromedp.Evaluate[[]float64](val)); !reflect.DeepEqual(got, []float64{0.8, 0.6}) {
		t.Errorf("the chart holds val losses %v, want [0.8 0.6]", got)
	}
	if p := problems(t, ctx); len(p) > 0 {
		t.Errorf("problems: %q", p)
	}
}
