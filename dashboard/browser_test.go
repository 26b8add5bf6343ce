package dashboard

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/dltune/dltune"
)

// chromium returns the path of a Chromium to drive, skipping the test
// without one, except in CI, which must run it (.ci/run installs it).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no chromium on $PATH, and CI must run the browser tests (apt-get install chromium)")
	}
	t.Skip("no chromium on $PATH: skipping the browser test (apt-get install chromium to run it)")
	return ""
}

// browser returns a context for a headless Chromium tab, ending with the
// test or after 20s.
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium(t)))
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox) // Chromium's sandbox refuses root
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelTab := chromedp.NewContext(ctx)
	t.Cleanup(cancelTab)
	return ctx
}

// TestBrowserLiveLeaderboard loads a study's page in Chromium, reads its
// leaderboard, then adds a finished trial to the store: the page must
// show it through the event stream, without reloading.
func TestBrowserLiveLeaderboard(t *testing.T) {
	chromium(t)
	db := newStore(t)
	srv := httptest.NewServer(New(db, &Options{Poll: 100 * time.Millisecond}))
	// Closed after the browser, which holds the event stream open.
	t.Cleanup(srv.Close)
	ctx := browser(t)

	const trials = `Array.from(document.querySelectorAll("#board table tr td:nth-child(2)")).map(e => e.textContent)`
	if err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/study/tiny"),
		chromedp.WaitVisible("#board table"),
	); err != nil {
		t.Fatal(err)
	}
	before, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](trials))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"2", "1", "0", "3"}; !slices.Equal(before, want) {
		t.Fatalf("the leaderboard lists trials %q, want %q", before, want)
	}
	// Set on this page only: a reload would drop it.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.notReloaded = true`)); err != nil {
		t.Fatal(err)
	}

	addTrial(t, db, dltune.Complete, dltune.Epoch{Epoch: 4, TrainLoss: 0.01, ValLoss: 0.02, Seconds: 0.5})
	const rows = `document.querySelectorAll("#board table tr").length`
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](rows+` === 6`, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](rows))
		t.Fatalf("the leaderboard did not show the new trial: %v (it has %d rows, want 6: the header and 5 trials)", err, n)
	}
	after, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](trials))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"4", "2", "1", "0", "3"}; !slices.Equal(after, want) {
		t.Errorf("after trial 4 finished the leaderboard lists trials %q, want %q", after, want)
	}
	kept, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.notReloaded === true`))
	if err != nil {
		t.Fatal(err)
	}
	if !kept {
		t.Error("the page reloaded to show the new trial; want only its leaderboard replaced")
	}
}
