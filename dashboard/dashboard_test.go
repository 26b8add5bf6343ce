package dashboard

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/store"
)

const evil = "<script>alert(1)</script>"

// newStore makes a bbolt store holding study tiny (testdata/tiny.yaml)
// with three finished trials and one running; trial 1's note is evil.
func newStore(t *testing.T) *store.DB {
	t.Helper()
	spec, err := os.ReadFile("testdata/tiny.yaml")
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(filepath.Join(t.TempDir(), "dltune.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx := context.Background()
	t0 := time.Now().Add(-time.Hour)
	if err := db.CreateStudy(ctx, &dltune.Study{Name: "tiny", File: "testdata/tiny.yaml", Spec: spec, Created: t0}); err != nil {
		t.Fatal(err)
	}
	for i, lr := range []float64{0.01, 0.003, 0.001, 0.0005} {
		note := "plain"
		if i == 1 {
			note = evil
		}
		tr := &dltune.Trial{Params: dltune.Params{"lr": dltune.Float(lr), "note": dltune.String(note)},
			State: dltune.Running, Budget: 4, RetryOf: -1, Created: t0, Started: t0}
		if err := db.CreateTrial(ctx, "tiny", tr); err != nil {
			t.Fatal(err)
		}
		if i == 3 {
			continue // left running
		}
		for e := 1; e <= 4; e++ {
			loss := 1/float64(e) + lr*10
			tr.Curve = append(tr.Curve, dltune.Epoch{Epoch: e, TrainLoss: loss * 0.9, ValLoss: loss, LearningRate: lr, Seconds: 0.5})
		}
		tr.State, tr.Finished = dltune.Complete, t0.Add(time.Minute)
		tr.Events = append(tr.Events, dltune.Event{Time: tr.Finished, Epoch: 4, What: "complete"})
		if err := db.UpdateTrial(ctx, "tiny", tr); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

// addTrial adds trial 4 to study tiny of newStore, of lr 0.002, created
// and started now, and finished now if state is finished.
func addTrial(t *testing.T, db *store.DB, state dltune.State, curve ...dltune.Epoch) {
	t.Helper()
	now := time.Now()
	tr := &dltune.Trial{Params: dltune.Params{"lr": dltune.Float(0.002), "note": dltune.String("plain")},
		State: state, Budget: 4, RetryOf: -1, Created: now, Started: now, Curve: curve}
	if state.Finished() {
		tr.Finished = now
	}
	if err := db.CreateTrial(context.Background(), "tiny", tr); err != nil {
		t.Fatal(err)
	}
}

// get serves one request and returns its status and body.
func get(t *testing.T, h http.Handler, target string, mod ...func(*http.Request)) (int, http.Header, string) {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, target, nil)
	for _, m := range mod {
		m(r)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code, w.Header(), w.Body.String()
}

func TestPages(t *testing.T) {
	h := New(newStore(t), nil)
	cases := []struct {
		path  string
		code  int
		ctype string
		want  []string
	}{
		{"/", 200, "text/html", []string{`href="/study/tiny"`, "running", "3/6", "random", "1 h ago", "(trial 2)"}},
		{"/study/tiny", 200, "text/html", []string{"Study tiny", "random", `href="/study/tiny/trial/2"`, "/study/tiny/plot/history.svg", "/static/live.js?v=", "3 finished of 6, 1 unfinished",
			`data-chart="history" data-src="/study/tiny/history.json"`, `<noscript><img src="/study/tiny/plot/history.svg"`, `data-src="/study/tiny/curves.json"`, `<img src="/study/tiny/plot/parallel.svg"`}},
		{"/study/tiny/leaderboard", 200, "text/html", []string{"<table>", `href="/study/tiny/trial/0"`, "running"}},
		{"/study/tiny/trial/0", 200, "text/html", []string{"trial 0", "complete", "python3 train.py --lr 0.01 --note plain", "Learning curve", "<td>4</td>", ": complete", `data-src="/study/tiny/trial/0/curve.json"`, "/static/charts.js?v="}},
		{"/study/tiny/trial/3", 200, "text/html", []string{"running", "No epoch trained yet"}},
		{"/study/tiny/plot/history.svg", 200, "image/svg+xml", []string{"<svg"}},
		{"/study/tiny/plot/curves.svg", 200, "image/svg+xml", []string{"<svg"}},
		{"/study/nope", 404, "text/html", []string{"nope"}},
		{"/study/nope/leaderboard", 404, "text/html", nil},
		{"/study/nope/events", 404, "text/html", nil},
		{"/study/tiny/trial/9", 404, "text/html", []string{"Not Found"}},
		{"/study/nope/trial/0", 404, "text/html", nil},
		{"/study/tiny/trial/x", 400, "text/html", []string{"is not a trial number"}},
		{"/study/tiny/plot/gradients.svg", 404, "text/html", nil},
		{"/study/tiny/plot/nothing.svg", 404, "text/html", nil},
		{"/study/tiny/trial/0/gradients", 404, "image/svg+xml", []string{"no layer diagnostics"}}, // an image saying why
		{"/elsewhere", 404, "text/html", nil},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			code, hd, body := get(t, h, c.path)
			if code != c.code {
				t.Fatalf("status %d, want %d: %s", code, c.code, body)
			}
			if ct := hd.Get("Content-Type"); !strings.HasPrefix(ct, c.ctype) {
				t.Errorf("Content-Type %q, want %s", ct, c.ctype)
			}
			if hd.Get("Content-Security-Policy") == "" || hd.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("headers lack the security policy: %v", hd)
			}
			for _, w := range c.want {
				if !strings.Contains(body, w) {
					t.Errorf("body lacks %q:\n%s", w, body)
				}
			}
			if strings.Contains(body, "goroutine ") || strings.Contains(body, ".go:") {
				t.Errorf("body shows a stack trace:\n%s", body)
			}
		})
	}
}

func TestEscapes(t *testing.T) {
	h := New(newStore(t), nil)
	for _, path := range []string{"/study/tiny", "/study/tiny/leaderboard", "/study/tiny/trial/1"} {
		code, _, body := get(t, h, path)
		if code != 200 {
			t.Fatalf("%s: status %d", path, code)
		}
		if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("%s does not show the escaped choice:\n%s", path, body)
		}
		if strings.Contains(body, evil) {
			t.Errorf("%s holds the choice unescaped", path)
		}
	}
}

func TestToken(t *testing.T) {
	h := New(newStore(t), &Options{Token: "s3cret"})
	bearer := func(tok string) func(*http.Request) {
		return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
	}
	cookie := func(tok string) func(*http.Request) {
		return func(r *http.Request) { r.AddCookie(&http.Cookie{Name: tokenCookie, Value: tok}) }
	}
	cases := []struct {
		name, path string
		mod        []func(*http.Request)
		code       int
	}{
		{"none", "/", nil, 401},
		{"none on the event stream", "/study/tiny/events", nil, 401},
		{"none on a plot", "/study/tiny/plot/history.svg", nil, 401},
		{"wrong query", "/?token=s3cre", nil, 401},
		{"wrong bearer", "/", []func(*http.Request){bearer("x")}, 401},
		{"wrong cookie", "/", []func(*http.Request){cookie("s3cret ")}, 401},
		{"query", "/?token=s3cret", nil, 200},
		{"bearer", "/study/tiny", []func(*http.Request){bearer("s3cret")}, 200},
		{"cookie", "/study/tiny/trial/0", []func(*http.Request){cookie("s3cret")}, 200},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, hd, body := get(t, h, c.path, c.mod...)
			if code != c.code {
				t.Fatalf("status %d, want %d", code, c.code)
			}
			if code == 401 && (strings.Contains(body, "tiny") || !strings.Contains(body, "token")) {
				t.Errorf("401 page shows the store or lacks the reason:\n%s", body)
			}
			if c.name == "query" && !strings.Contains(hd.Get("Set-Cookie"), tokenCookie+"=s3cret") {
				t.Errorf("a token in the query set no cookie: %v", hd)
			}
		})
	}
}

func TestEventsOnNewTrial(t *testing.T) {
	db := newStore(t)
	srv := httptest.NewServer(New(db, &Options{Poll: 10 * time.Millisecond}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	lines := stream(t, ctx, srv.URL+"/study/tiny/events")
	if l := nextLine(lines, 5*time.Second); l != ": watching\n" {
		t.Fatalf("first line %q", l)
	}
	// Nothing changes: no event in a few polls.
	if l := nextLine(lines, 100*time.Millisecond); l != "" {
		t.Fatalf("event %q before any change", l)
	}
	addTrial(t, db, dltune.Running)
	if l := nextLine(lines, 5*time.Second); l != "event: change\n" {
		t.Fatalf("got %q after a trial was added, want a change event", l)
	}
	// The leaderboard the page then fetches shows the new trial.
	_, _, body := get(t, New(db, nil), "/study/tiny/leaderboard")
	if !strings.Contains(body, `href="/study/tiny/trial/4"`) {
		t.Errorf("leaderboard lacks trial 4:\n%s", body)
	}
}

func TestPlotCache(t *testing.T) {
	db := newStore(t)
	h := New(db, nil)
	ctx := context.Background()
	a, err := h.svg(ctx, "tiny", "history", 0)
	if err != nil || a.data == nil {
		t.Fatalf("history: %v, %+v", err, a.note)
	}
	b, _ := h.svg(ctx, "tiny", "history", 0)
	if &a.data[0] != &b.data[0] {
		t.Error("the unchanged study's plot was drawn again")
	}
	addTrial(t, db, dltune.Complete, dltune.Epoch{Epoch: 1, TrainLoss: 0.05, ValLoss: 0.05})
	c, _ := h.svg(ctx, "tiny", "history", 0)
	if c.rev == a.rev || &c.data[0] == &a.data[0] {
		t.Error("the changed study's plot came from the cache")
	}
}
