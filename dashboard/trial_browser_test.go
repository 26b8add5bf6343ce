package dashboard

import (
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/dltune/dltune"
)

// TestBrowserStderr opens the pages of a real command study's trials,
// whose stderr bears a script: Chromium shows it as text and runs none.
func TestBrowserStderr(t *testing.T) {
	chromium(t)
	db, trials := runCommandStudy(t)
	srv := httptest.NewServer(New(db, nil))
	t.Cleanup(srv.Close)
	ctx := browser(t)
	failed := 0
	for _, tr := range trials {
		if tr.State == dltune.Failed {
			failed++
		}
		u := fmt.Sprintf("%s/study/cmd/trial/%d", srv.URL, tr.Number)
		visit(t, ctx, u)
		got := eval[string](t, ctx, `(document.querySelector("pre.stderr") || {}).textContent || ""`)
		if want := "line one\n" + stderrEvil; got != want {
			t.Errorf("%s: the stderr box shows %q, want %q", u, got, want)
		}
		if pwned := eval[bool](t, ctx, `window.pwned !== undefined`); pwned {
			t.Errorf("%s: the page ran the script of the trial's stderr", u)
		}
		if n := eval[int](t, ctx, `document.querySelectorAll("script:not([src])").length`); n != 0 {
			t.Errorf("%s: the DOM holds %d inline scripts", u, n)
		}
	}
	if failed != 1 {
		t.Errorf("%d trials failed; the test wants one failed command trial", failed)
	}
}
