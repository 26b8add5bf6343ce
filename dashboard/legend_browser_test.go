package dashboard

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"net/http/httptest"
)

// visibleLegend is a JavaScript expression for the labels of the rows of
// the best curves' legend that show.
const visibleLegend = `Array.from(document.querySelectorAll('[data-chart=top] .u-legend .u-series')).filter(e => getComputedStyle(e).display !== "none").map(e => e.querySelector("th").textContent.trim())`

// TestBrowserCompactLegend draws the curves of the 20 best trials at a
// phone's width: the legend shows the epoch alone, and the curve under
// the cursor when it hovers one; a chart 640 pixels wide or more shows
// them all.
func TestBrowserCompactLegend(t *testing.T) {
	chromium(t)
	db := bigStudy(t, filepath.Join(t.TempDir(), "big.db"), 60)
	t.Cleanup(func() { db.Close() })
	srv := httptest.NewServer(New(db, nil))
	t.Cleanup(srv.Close)
	ctx := watched(t)

	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulatePortrait)); err != nil {
		t.Fatal(err)
	}
	openSettled(t, ctx, srv.URL+"/study/big")
	if got := eval[[]string](t, ctx, visibleLegend); len(got) != 1 || got[0] != "epoch" {
		t.Errorf("phone: the legend shows %q, want the epoch alone", got)
	}
	// The best trial, three epochs before its last.
	end := eval[[]float64](t, ctx, `(() => { const u = document.querySelector('[data-chart=top]')._chart.u, n = u.data[0].length - 3; return [u.data[0][n], u.data[1][n]]; })()`)
	x, y := point(t, ctx, "top", end[0], end[1])
	if err := chromedp.Do(ctx, chromedp.MouseEvent(chromedp.MouseMoved, x, y), chromedp.Sleep(200*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	focused := eval[string](t, ctx, `(() => { const c = document.querySelector('[data-chart=top]')._chart; return c.focused ? c.u.series[c.focused].label : ""; })()`)
	shown := eval[[]string](t, ctx, visibleLegend)
	if !strings.HasPrefix(focused, "#") || len(shown) != 2 || shown[0] != "epoch" || shown[1] != focused {
		t.Errorf("phone, hovering the best curve (focused %q): the legend shows %q, want epoch and it", focused, shown)
	}

	// A desktop's grid cell is narrow too; a chart 700 pixels wide shows
	// the whole legend.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800)); err != nil {
		t.Fatal(err)
	}
	openSettled(t, ctx, srv.URL+"/study/big")
	if got := eval[[]string](t, ctx, visibleLegend); len(got) != 1 {
		t.Errorf("desktop, in its grid cell: the legend shows %q, want the epoch alone", got)
	}
	eval[any](t, ctx, `document.querySelector('[data-chart=top]').style.width = "700px"`)
	var got []string
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if got = eval[[]string](t, ctx, visibleLegend); len(got) == 21 {
			break
		}
	}
	if len(got) != 21 {
		t.Errorf("desktop, 700 px wide: the legend shows %d rows, want 21 (the epoch and 20 trials): %q", len(got), got)
	}
	if p := problems(t, ctx); len(p) > 0 {
		t.Errorf("problems: %q", p)
	}
}
