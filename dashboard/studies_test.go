package dashboard

import (
	"context"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/dltune/dltune"
)

// TestStudiesEvents follows the list of studies from the revision the
// page shows: a trial added to a study and a new study each send a
// change, and the table the page then fetches shows them.
func TestStudiesEvents(t *testing.T) {
	db := newStore(t)
	h := New(db, &Options{Poll: 10 * time.Millisecond})
	_, _, page := get(t, h, "/")
	m := regexp.MustCompile(`data-events="(/events\?since=[0-9a-f]+)"`).FindStringSubmatch(page)
	if m == nil || !strings.Contains(page, `data-src="/studies"`) {
		t.Fatalf("the studies page names no event stream or table:\n%s", page)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	lines := stream(t, ctx, srv.URL+m[1])
	if l := nextLine(lines, 5*time.Second); l != ": watching\n" {
		t.Fatalf("first line %q", l)
	}
	if l := nextLine(lines, 100*time.Millisecond); l != "" {
		t.Fatalf("event %q before any change", l)
	}
	addTrial(t, db, dltune.Complete, dltune.Epoch{Epoch: 1, ValLoss: 0.01})
	if l := nextLine(lines, 5*time.Second); l != "event: change\n" {
		t.Fatalf("got %q after a trial was added, want a change event", l)
	}
	nextLine(lines, time.Second) // its data
	_, _, table := get(t, h, "/studies")
	if strings.Contains(table, "<html") || !strings.Contains(table, "<td>4/6</td>") || !strings.Contains(table, "0.01 <span class=\"muted\">(trial 4)") {
		t.Errorf("the table after trial 4 finished:\n%s", table)
	}
	addStudy(t, db, "second", "evil.yaml", nil)
	if l := nextLine(lines, 5*time.Second); l != "event: change\n" {
		t.Fatalf("got %q after a study was added, want a change event", l)
	}
	if _, _, table := get(t, h, "/studies"); !strings.Contains(table, `href="/study/second"`) {
		t.Errorf("the table lacks the new study:\n%s", table)
	}
}

// TestBrowserLiveStudies opens the list of studies and finishes a trial
// of the running study: its line shows it without a reload.
func TestBrowserLiveStudies(t *testing.T) {
	chromium(t)
	db := newStore(t)
	srv := httptest.NewServer(New(db, &Options{Poll: 100 * time.Millisecond}))
	t.Cleanup(srv.Close)
	ctx := watched(t)
	visit(t, ctx, srv.URL+"/")
	const finished = `document.querySelector("#board table tr:nth-child(2) td:nth-child(3)").textContent`
	if got := eval[string](t, ctx, finished); got != "3/6" {
		t.Fatalf("study tiny shows %q finished, want 3/6", got)
	}
	eval[bool](t, ctx, `window.notReloaded = true`)
	tr, err := db.Trial(context.Background(), "tiny", 3)
	if err != nil {
		t.Fatal(err)
	}
	tr.State, tr.Finished = dltune.Complete, time.Now()
	tr.Curve = []dltune.Epoch{{Epoch: 1, ValLoss: 0.5}}
	if err := db.UpdateTrial(context.Background(), "tiny", tr); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](finished+` === "4/6"`, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("the list did not show trial 3 finished: %v (it shows %q)", err, eval[string](t, ctx, finished))
	}
	if !eval[bool](t, ctx, `window.notReloaded === true`) {
		t.Error("the page reloaded; want only its table replaced")
	}
	if got := eval[string](t, ctx, `document.querySelector("#board table tr:nth-child(2) td:nth-child(2)").textContent`); got != "stopped" {
		t.Errorf("study tiny is %q with no trial running, want stopped", got)
	}
	if p := problems(t, ctx); len(p) > 0 {
		t.Errorf("problems: %q", p)
	}
}
