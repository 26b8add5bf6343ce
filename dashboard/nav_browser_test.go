package dashboard

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/store"
)

// addStudy stores study name with the spec of testdata/file and the
// given trials, each complete after two epochs of loss 1/(i+2).
func addStudy(t *testing.T, db *store.DB, name, file string, params []dltune.Params) {
	t.Helper()
	spec, err := os.ReadFile("testdata/" + file)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	t0 := time.Now().Add(-time.Hour)
	if err := db.CreateStudy(ctx, &dltune.Study{Name: name, File: "testdata/" + file, Spec: spec, Created: t0}); err != nil {
		t.Fatal(err)
	}
	for i, p := range params {
		loss := 1 / float64(i+2)
		tr := &dltune.Trial{Params: p, State: dltune.Complete, Budget: 2, RetryOf: -1, Created: t0, Started: t0, Finished: t0.Add(time.Minute),
			Curve:  []dltune.Epoch{{Epoch: 1, TrainLoss: 2 * loss, ValLoss: 2 * loss, Seconds: 1}, {Epoch: 2, TrainLoss: loss, ValLoss: loss, Seconds: 1}},
			Events: []dltune.Event{{Time: t0, What: "created"}, {Time: t0.Add(time.Minute), Epoch: 2, What: "complete"}}}
		if err := db.CreateTrial(ctx, name, tr); err != nil {
			t.Fatal(err)
		}
	}
}

// navStore holds study tiny, running (see newStore), and study done,
// finished: its budget of 6 trials used.
func navStore(t *testing.T) *store.DB {
	t.Helper()
	db := newStore(t)
	var params []dltune.Params
	for i := range 6 {
		params = append(params, dltune.Params{"lr": dltune.Float(0.001 * float64(i+1)), "note": dltune.String("plain")})
	}
	addStudy(t, db, "done", "tiny.yaml", params)
	return db
}

// eval evaluates a JavaScript expression in the tab.
func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return v
}

// visit navigates the tab to u and waits for its body.
func visit(t *testing.T, ctx context.Context, u string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(u), chromedp.WaitReady("body")); err != nil {
		t.Fatalf("open %s: %v", u, err)
	}
}

// waitFor evaluates a JavaScript condition until it is true, for up to
// 10s. An evaluation that fails because a click's navigation replaced
// the page is tried again.
func waitFor(t *testing.T, ctx context.Context, what, js string) {
	t.Helper()
	var err error
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		var ok bool
		if ok, err = chromedp.Run(ctx, chromedp.Evaluate[bool](js)); err == nil && ok {
			return
		}
	}
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	t.Fatalf("%s: %s is not true at %s after 10s (last error: %v)", what, js, loc, err)
}

// boardTrials lists the trials of the leaderboard in the tab, in order.
const boardTrials = `Array.from(document.querySelectorAll("#board table tr td:nth-child(2)")).map(e => e.textContent)`

// TestBrowserPages loads each page of a finished study and of a running
// one in Chromium and reads what it shows.
func TestBrowserPages(t *testing.T) {
	chromium(t)
	srv := httptest.NewServer(New(navStore(t), nil))
	t.Cleanup(srv.Close)
	ctx := browser(t)
	cases := []struct {
		path, h1 string
		// texts are the texts of the elements that selector matches, in
		// order.
		selector string
		texts    []string
	}{
		{"/", "Studies", "table tr td:first-child", []string{"done", "tiny"}},
		{"/", "Studies", "table tr td:nth-child(2)", []string{"done", "running"}},
		{"/", "Studies", "table tr td:nth-child(3)", []string{"6/6", "3/6"}},
		{"/study/done", "Study done", "#board table tr td:nth-child(2)", []string{"5", "4", "3", "2", "1", "0"}},
		{"/study/done", "Study done", "#board .pages", []string{"rows 1–6 of 6"}},
		{"/study/done/trial/5", "done · trial 5", paramValues, []string{"0.006", "plain"}},
		{"/study/tiny", "Study tiny", "#board table tr td:nth-child(3)", []string{"complete", "complete", "complete", "running"}},
		{"/study/tiny/trial/3", "tiny · trial 3", "p.running", []string{"running · best val loss — · 0 of 4 epochs"}},
	}
	for _, c := range cases {
		visit(t, ctx, srv.URL+c.path)
		if h1 := eval[string](t, ctx, `document.querySelector("h1").textContent`); h1 != c.h1 {
			t.Errorf("%s: h1 %q, want %q", c.path, h1, c.h1)
		}
		got := eval[[]string](t, ctx, texts(c.selector))
		if !slices.Equal(got, c.texts) {
			t.Errorf("%s: %s shows %q, want %q", c.path, c.selector, got, c.texts)
		}
	}
}

// paramValues selects the cells of a trial page's parameters, its first
// table.
const paramValues = "parameter values"

// texts returns a JavaScript expression for the texts of the elements
// that selector matches, or of paramValues.
func texts(selector string) string {
	if selector == paramValues {
		return `Array.from(document.querySelector("table").querySelectorAll("td")).map(e => e.textContent.trim())`
	}
	return `Array.from(document.querySelectorAll(` + jsString(selector) + `)).map(e => e.textContent.trim())`
}

// jsString quotes s as a JavaScript string.
func jsString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// TestBrowserClickThrough clicks from the list of studies to a study and
// from its leaderboard to a trial.
func TestBrowserClickThrough(t *testing.T) {
	chromium(t)
	srv := httptest.NewServer(New(navStore(t), nil))
	t.Cleanup(srv.Close)
	ctx := browser(t)
	visit(t, ctx, srv.URL+"/")
	if err := chromedp.Do(ctx, chromedp.Click(`a[href="/study/done"]`)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the study page after a click", `location.pathname === "/study/done" && document.querySelector("h1") !== null && document.querySelector("h1").textContent === "Study done"`)
	if err := chromedp.Do(ctx, chromedp.Click(`#board a[href="/study/done/trial/3"]`)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the trial page after a click", `location.pathname === "/study/done/trial/3" && document.querySelector("h1") !== null && document.querySelector("h1").textContent === "done · trial 3"`)
	if err := chromedp.Do(ctx, chromedp.Click(`h1 a`)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "back to the study", `location.pathname === "/study/done" && document.querySelector("#board table") !== null`)
}

// TestBrowserSort clicks column headers to sort the leaderboard, then
// sees a new trial arrive through the event stream with the sorting kept.
func TestBrowserSort(t *testing.T) {
	chromium(t)
	db := newStore(t)
	srv := httptest.NewServer(New(db, &Options{Poll: 50 * time.Millisecond}))
	t.Cleanup(srv.Close)
	ctx := browser(t)
	visit(t, ctx, srv.URL+"/study/tiny")
	if got := eval[[]string](t, ctx, boardTrials); !slices.Equal(got, []string{"2", "1", "0", "3"}) {
		t.Fatalf("the leaderboard lists %q by rank, want 2 1 0 3", got)
	}
	const sortedBy = `Array.from(document.querySelectorAll("#board th[aria-sort]")).map(e => e.querySelector("a").textContent + " " + e.getAttribute("aria-sort"))`
	for _, c := range []struct {
		order, want []string
		url         string
	}{
		{[]string{"0", "1", "2", "3"}, []string{"trial ascending"}, "sort=trial"},
		{[]string{"3", "2", "1", "0"}, []string{"trial descending"}, "order=desc&sort=trial"},
	} {
		if err := chromedp.Do(ctx, chromedp.Click(`#board th a[href*="sort=trial"]`)); err != nil {
			t.Fatal(err)
		}
		waitFor(t, ctx, "the sorted page", `location.search.includes(`+jsString(c.url)+`) && document.querySelector("#board table") !== null`)
		if got := eval[[]string](t, ctx, boardTrials); !slices.Equal(got, c.order) {
			t.Errorf("sorted by %s: trials %q, want %q", c.url, got, c.order)
		}
		if got := eval[[]string](t, ctx, sortedBy); !slices.Equal(got, c.want) {
			t.Errorf("sorted by %s: aria-sort on %q, want %q", c.url, got, c.want)
		}
	}
	// A new trial: the live update reloads this page of the leaderboard,
	// sorted as it is, without reloading the page.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.notReloaded = true`)); err != nil {
		t.Fatal(err)
	}
	addTrial(t, db, dltune.Running)
	waitFor(t, ctx, "the new trial on the sorted leaderboard", boardTrials+`.join(" ") === "4 3 2 1 0"`)
	if !eval[bool](t, ctx, `window.notReloaded === true`) {
		t.Error("the page reloaded; want only its leaderboard replaced")
	}
	if got := eval[[]string](t, ctx, sortedBy); !slices.Equal(got, []string{"trial descending"}) {
		t.Errorf("after the live update aria-sort is on %q, want trial descending", got)
	}
}

// TestBrowserEscapes shows a study whose name and parameter choices bear
// HTML: every page must show the text, and the DOM hold no element the
// text would make.
func TestBrowserEscapes(t *testing.T) {
	chromium(t)
	const (
		name   = `<img src=x onerror=window.pwned=1>`
		script = `<script>window.pwned=2</script>`
		img    = `<img src=x onerror=window.pwned=3>`
	)
	db := newStore(t)
	addStudy(t, db, name, "evil.yaml", []dltune.Params{{"x": dltune.String(script)}, {"x": dltune.String(img)}})
	srv := httptest.NewServer(New(db, nil))
	t.Cleanup(srv.Close)
	ctx := browser(t)
	base := srv.URL + "/study/" + url.PathEscape(name)
	cases := []struct {
		u        string
		selector string
		texts    []string
	}{
		{srv.URL + "/", "table tr td:first-child", []string{name, "tiny"}},
		{base, "h1", []string{"Study " + name}},
		{base, "#board table tr td:nth-child(7)", []string{img, script}},
		{base + "/trial/0", "h1", []string{name + " · trial 0"}},
		{base + "/trial/0", paramValues, []string{script}},
		{base + "/trial/1", paramValues, []string{img}},
		{base + "/trial/0", "pre", []string{"python3 train.py --x " + script}},
		{srv.URL + "/study/" + url.PathEscape(name+"x"), "p", []string{`study "` + name + `x": not found`, "All studies"}},
	}
	for _, c := range cases {
		visit(t, ctx, c.u)
		got := eval[[]string](t, ctx, texts(c.selector))
		if !slices.Equal(got, c.texts) {
			t.Errorf("%s: %s shows %q, want %q", c.u, c.selector, got, c.texts)
		}
		injected := eval[[]string](t, ctx, `Array.from(document.querySelectorAll("[onerror], img[src='x'], script")).filter(e => e.hasAttribute("onerror") || e.getAttribute("src") === "x" || e.textContent.includes("pwned")).map(e => e.outerHTML)`)
		if len(injected) > 0 {
			t.Errorf("%s: the DOM holds injected elements %q", c.u, injected)
		}
		if pwned := eval[bool](t, ctx, `window.pwned !== undefined`); pwned {
			t.Errorf("%s: the page ran injected code", c.u)
		}
	}
}

// TestBrowserErrorPages reads the pages of a wrong token, an unknown
// study or trial and a malformed query: each a readable page with its
// status.
func TestBrowserErrorPages(t *testing.T) {
	chromium(t)
	srv := httptest.NewServer(New(newStore(t), &Options{Token: "s3cret"}))
	t.Cleanup(srv.Close)
	status := func(path string, token string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	ctx := browser(t)
	cases := []struct {
		path, token string
		code        int
		h1, says    string
	}{
		{"/?token=wrong", "", 401, "Unauthorized", "this dashboard needs its token"},
		{"/study/tiny", "wrong", 401, "Unauthorized", "this dashboard needs its token"},
		// The right token, once in the query, is kept in a cookie.
		{"/?token=s3cret", "s3cret", 200, "Studies", ""},
		{"/study/nope", "s3cret", 404, "Not Found", `study "nope": not found`},
		{"/study/tiny/trial/99", "s3cret", 404, "Not Found", `study "tiny" trial 99: not found`},
		{"/study/tiny?sort=nope", "s3cret", 400, "Bad Request", `the leaderboard has no column "nope"`},
		{"/study/tiny?page=x", "s3cret", 400, "Bad Request", "a page is a number from 1"},
		{"/study/tiny?sort=%zz", "s3cret", 400, "Bad Request", "is malformed"},
	}
	for _, c := range cases {
		if code := status(c.path, c.token); code != c.code {
			t.Errorf("%s: status %d, want %d", c.path, code, c.code)
		}
		visit(t, ctx, srv.URL+c.path)
		if h1 := eval[string](t, ctx, `document.querySelector("h1").textContent`); h1 != c.h1 {
			t.Errorf("%s: h1 %q, want %q", c.path, h1, c.h1)
		}
		if body := eval[string](t, ctx, `document.body.innerText`); !strings.Contains(body, c.says) || strings.Contains(body, "goroutine") {
			t.Errorf("%s: the page says %q, want %q and no stack trace", c.path, body, c.says)
		}
	}
}
