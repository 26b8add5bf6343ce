package dashboard

import (
	"bufio"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/store"
)

// trialLinks returns the numbers of the trials a leaderboard links to, in
// order.
func trialLinks(t *testing.T, body string) []int {
	t.Helper()
	var out []int
	for _, m := range regexp.MustCompile(`<td><a href="/study/[^/]+/trial/(\d+)">`).FindAllStringSubmatch(body, -1) {
		n, _ := strconv.Atoi(m[1])
		out = append(out, n)
	}
	return out
}

func TestSortLeaderboard(t *testing.T) {
	h := New(newStore(t), nil)
	// Ranks: 2, 1, 0 by loss, then 3, running with no loss. lr: trial 0
	// 0.01, 1 0.003, 2 0.001, 3 0.0005. note: trial 1's is evil, which
	// sorts before "plain" ('<' < 'p').
	cases := []struct {
		query string
		want  []int
		aria  string // the header marked with aria-sort, and how
	}{
		{"", []int{2, 1, 0, 3}, `aria-sort="ascending"><a href="/study/tiny?order=desc&amp;sort=rank">rank</a>`},
		{"sort=rank&order=desc", []int{3, 0, 1, 2}, `aria-sort="descending"><a href="/study/tiny?order=asc&amp;sort=rank">rank</a>`},
		{"sort=trial", []int{0, 1, 2, 3}, `aria-sort="ascending"><a href="/study/tiny?order=desc&amp;sort=trial">trial</a>`},
		{"sort=trial&order=desc", []int{3, 2, 1, 0}, `aria-sort="descending"><a href="/study/tiny?order=asc&amp;sort=trial">trial</a>`},
		{"sort=loss", []int{2, 1, 0, 3}, `aria-sort="ascending"><a href="/study/tiny?order=desc&amp;sort=loss">val loss</a>`},
		// A trial without a loss comes last in either order.
		{"sort=loss&order=desc", []int{0, 1, 2, 3}, `aria-sort="descending"`},
		{"sort=acc", []int{2, 1, 0, 3}, `aria-sort="ascending"><a href="/study/tiny?order=desc&amp;sort=acc">val acc</a>`},
		{"sort=epochs&order=desc", []int{2, 1, 0, 3}, `aria-sort="descending"><a href="/study/tiny?order=asc&amp;sort=epochs">epochs</a>`},
		{"sort=epochs", []int{3, 2, 1, 0}, `aria-sort="ascending"`},
		{"sort=state", []int{2, 1, 0, 3}, `aria-sort="ascending"><a href="/study/tiny?order=desc&amp;sort=state">state</a>`},
		{"sort=state&order=desc", []int{3, 2, 1, 0}, `aria-sort="descending"`},
		{"sort=lr", []int{3, 2, 1, 0}, `aria-sort="ascending"><a href="/study/tiny?order=desc&amp;sort=lr">lr</a>`},
		{"sort=lr&order=desc", []int{0, 1, 2, 3}, `aria-sort="descending"><a href="/study/tiny?order=asc&amp;sort=lr">lr</a>`},
		{"sort=note", []int{1, 2, 0, 3}, `aria-sort="ascending"><a href="/study/tiny?order=desc&amp;sort=note">note</a>`},
		{"sort=note&page=1&token=ignored", []int{1, 2, 0, 3}, `aria-sort="ascending"`},
	}
	for _, c := range cases {
		for _, page := range []string{"/study/tiny", "/study/tiny/leaderboard"} {
			t.Run(page+"?"+c.query, func(t *testing.T) {
				code, _, body := get(t, h, page+"?"+c.query)
				if code != 200 {
					t.Fatalf("status %d:\n%s", code, body)
				}
				if got := trialLinks(t, body); !slices.Equal(got, c.want) {
					t.Errorf("trials in order %v, want %v", got, c.want)
				}
				if n := strings.Count(body, "aria-sort="); n != 1 {
					t.Errorf("%d headers have aria-sort, want 1", n)
				}
				if !strings.Contains(body, c.aria) {
					t.Errorf("body lacks %s:\n%s", c.aria, body)
				}
				if !strings.Contains(body, "rows 1–4 of 4") {
					t.Errorf("body does not say which rows it shows:\n%s", body)
				}
			})
		}
	}
}

// TestLeaderboardPages pages through a leaderboard of 120 trials: 50 a
// page, with links to the pages around that keep the sorting, and a
// fragment URL that keeps it too.
func TestLeaderboardPages(t *testing.T) {
	db := bigStudy(t, filepath.Join(t.TempDir(), "big.db"), 120)
	t.Cleanup(func() { db.Close() })
	h := New(db, nil)
	cases := []struct {
		query      string
		rows       string
		first      int // the first trial listed
		n          int
		prev, next string
		fragment   string
	}{
		{"sort=trial", "rows 1–50 of 120", 0, 50, "", "/study/big?order=asc&amp;page=2&amp;sort=trial", "/study/big/leaderboard?order=asc&amp;sort=trial"},
		{"sort=trial&page=2", "rows 51–100 of 120", 50, 50, "/study/big?order=asc&amp;sort=trial", "/study/big?order=asc&amp;page=3&amp;sort=trial", "/study/big/leaderboard?order=asc&amp;page=2&amp;sort=trial"},
		{"sort=trial&order=desc&page=3", "rows 101–120 of 120", 19, 20, "/study/big?order=desc&amp;page=2&amp;sort=trial", "", "/study/big/leaderboard?order=desc&amp;page=3&amp;sort=trial"},
	}
	for _, c := range cases {
		t.Run(c.query, func(t *testing.T) {
			code, _, body := get(t, h, "/study/big?"+c.query)
			if code != 200 {
				t.Fatalf("status %d:\n%s", code, body)
			}
			got := trialLinks(t, body)
			if len(got) != c.n || got[0] != c.first {
				t.Errorf("lists %d trials from %v, want %d from %d", len(got), got[:min(3, len(got))], c.n, c.first)
			}
			if !strings.Contains(body, c.rows) {
				t.Errorf("body lacks %q", c.rows)
			}
			for what, link := range map[string]string{"prev": c.prev, "next": c.next} {
				re := regexp.MustCompile(`<a href="([^"]*)" rel="` + what + `">`)
				m := re.FindStringSubmatch(body)
				switch {
				case link == "" && m != nil:
					t.Errorf("a %s link to %s on the last page", what, m[1])
				case link != "" && (m == nil || m[1] != link):
					t.Errorf("%s link %v, want %s", what, m, link)
				}
			}
			if want := `data-src="` + c.fragment + `"`; !strings.Contains(body, want) {
				t.Errorf("page lacks %s: the live update would lose the sorting", want)
			}
		})
	}
}

func TestBadQuery(t *testing.T) {
	h := New(newStore(t), nil)
	cases := []struct {
		path, want string
	}{
		{"/study/tiny?sort=nope", `no column &#34;nope&#34;; sort by one of rank, trial, state, loss, acc, epochs, lr, note`},
		{"/study/tiny/leaderboard?sort=nope", "no column"},
		{"/study/tiny?sort=", ""}, // empty is the default: not an error
		{"/study/tiny?order=up", "order=up: the order is asc or desc"},
		{"/study/tiny?page=0", "page=0: a page is a number from 1"},
		{"/study/tiny?page=-1", "a page is a number from 1"},
		{"/study/tiny?page=x", "a page is a number from 1"},
		{"/study/tiny?page=99999999999999999999", "a page is a number from 1"},
		{"/study/tiny?page=2", "page=2: the leaderboard has 1 pages of 50 trials"},
		{"/study/tiny/leaderboard?page=2", "the leaderboard has 1 pages"},
		{"/study/tiny?sort=lr&sort=trial", "sort is given 2 times"},
		{"/study/tiny?sort=%zz", "is malformed"},
		{"/study/tiny?sort=%3Cscript%3E", "no column &#34;&lt;script&gt;&#34;"},
		{"/study/tiny/events?since=zz", "since=zz"},
		{"/study/tiny/events?since=1&since=2", "malformed"},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			code, hd, body := get(t, h, c.path)
			if c.want == "" {
				if code != 200 {
					t.Errorf("status %d, want 200", code)
				}
				return
			}
			if code != http.StatusBadRequest {
				t.Fatalf("status %d, want 400:\n%s", code, body)
			}
			if !strings.HasPrefix(hd.Get("Content-Type"), "text/html") || !strings.Contains(body, "<h1>Bad Request</h1>") {
				t.Errorf("not a readable page (%s):\n%s", hd.Get("Content-Type"), body)
			}
			if !strings.Contains(body, c.want) {
				t.Errorf("body lacks %q:\n%s", c.want, body)
			}
			if strings.Contains(body, "<script>") || strings.Contains(body, "goroutine ") || strings.Contains(body, ".go:") {
				t.Errorf("body shows a script or a stack trace:\n%s", body)
			}
		})
	}
}

func TestParamColumnKeys(t *testing.T) {
	var keys []string
	for _, c := range columns([]string{"lr", "loss", "trial"}) {
		keys = append(keys, c.key)
	}
	want := []string{"rank", "trial", "state", "loss", "acc", "epochs", "lr", "param.loss", "param.trial"}
	if !slices.Equal(keys, want) {
		t.Errorf("column keys %q, want %q", keys, want)
	}
}

func TestCompareValues(t *testing.T) {
	vals := []dltune.Value{dltune.String("b"), dltune.Float(2.5), dltune.String("a"), dltune.Int(3), dltune.Bool(true), dltune.Float(-1)}
	slices.SortFunc(vals, compareValues)
	var got []string
	for _, v := range vals {
		got = append(got, v.String())
	}
	if want := []string{"-1", "true", "2.5", "3", "a", "b"}; !slices.Equal(got, want) {
		t.Errorf("sorted %q, want %q", got, want)
	}
}

// countingSource counts the reads of a store.
type countingSource struct {
	*store.DB
	revisions, summaries atomic.Int64
}

func (c *countingSource) Revision(ctx context.Context, study string) (uint64, error) {
	c.revisions.Add(1)
	return c.DB.Revision(ctx, study)
}

func (c *countingSource) TrialSummaries(ctx context.Context, study string) ([]*dltune.Trial, error) {
	c.summaries.Add(1)
	return c.DB.TrialSummaries(ctx, study)
}

// noRevision hides the store's Revision: the dashboard then fingerprints
// the trials.
type noRevision struct{ Source }

// TestViewCache checks that pages read a study's trials again only when
// it changed.
func TestViewCache(t *testing.T) {
	src := &countingSource{DB: newStore(t)}
	h := New(src, nil)
	for _, p := range []string{"/", "/study/tiny", "/study/tiny/leaderboard?sort=lr", "/study/tiny?page=1"} {
		if code, _, body := get(t, h, p); code != 200 {
			t.Fatalf("%s: status %d:\n%s", p, code, body)
		}
	}
	if n := src.summaries.Load(); n != 1 {
		t.Errorf("4 pages of an unchanged study read its trials %d times, want once", n)
	}
	addTrial(t, src.DB, dltune.Running)
	_, _, body := get(t, h, "/study/tiny/leaderboard")
	if n := src.summaries.Load(); n != 2 {
		t.Errorf("after a change the trials were read %d times in all, want twice", n)
	}
	if !strings.Contains(body, `href="/study/tiny/trial/4"`) {
		t.Errorf("the leaderboard lacks the new trial 4:\n%s", body)
	}
}

// stream opens the event stream at url and returns its lines that are
// not blank, read by one goroutine until the stream ends.
func stream(t *testing.T, ctx context.Context, url string) <-chan string {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		resp.Body.Close()
		t.Fatalf("%s: status %d, type %q", url, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	lines := make(chan string, 16)
	go func() {
		defer resp.Body.Close()
		defer close(lines)
		r := bufio.NewReader(resp.Body)
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				return
			}
			if l != "\n" {
				lines <- l
			}
		}
	}()
	return lines
}

// nextLine returns the next line of lines, or "" if none comes within d.
func nextLine(lines <-chan string, d time.Duration) string {
	select {
	case l := <-lines:
		return l
	case <-time.After(d):
		return ""
	}
}

// next returns the next line of a stream that is not a comment or an
// event's data, or "" after d.
func next(lines <-chan string, d time.Duration) string {
	timeout := time.After(d)
	for {
		select {
		case l := <-lines:
			if !strings.HasPrefix(l, ":") && !strings.HasPrefix(l, "data:") {
				return l
			}
		case <-timeout:
			return ""
		}
	}
}

// TestEventsShared opens five event streams on a study: one poller reads
// the store for all of them, each hears of a change, and the poller
// stops when the last stream closes.
func TestEventsShared(t *testing.T) {
	for _, hide := range []bool{false, true} {
		name := "revision"
		if hide {
			name = "fingerprint"
		}
		t.Run(name, func(t *testing.T) {
			src := &countingSource{DB: newStore(t)}
			var s Source = src
			if hide {
				s = noRevision{src}
			}
			h := New(s, &Options{Poll: 5 * time.Millisecond})
			srv := httptest.NewServer(h)
			defer srv.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			sctx, closeStreams := context.WithCancel(ctx)
			var streams []<-chan string
			for range 5 {
				streams = append(streams, stream(t, sctx, srv.URL+"/study/tiny/events"))
			}
			for i, s := range streams {
				if l := <-s; l != ": watching\n" {
					t.Fatalf("stream %d began with %q", i, l)
				}
			}
			h.mu.Lock()
			nw, nsubs := len(h.watches), len(h.watches["tiny"].subs)
			h.mu.Unlock()
			if nw != 1 || nsubs != 5 {
				t.Fatalf("%d watches with %d streams, want 1 with 5", nw, nsubs)
			}
			// Let it poll 20 times: the store is read once a poll, not
			// once a stream.
			p0, r0, s0 := h.polls.Load(), src.revisions.Load(), src.summaries.Load()
			for h.polls.Load() < p0+20 {
				time.Sleep(time.Millisecond)
			}
			p, reads := h.polls.Load()-p0, src.revisions.Load()-r0
			if hide {
				reads = src.summaries.Load() - s0
			}
			if reads > p+1 {
				t.Errorf("%d reads of the store in %d polls for 5 streams, want one a poll", reads, p)
			}
			for i, s := range streams {
				if l := next(s, 50*time.Millisecond); l != "" {
					t.Fatalf("stream %d: %q before any change", i, l)
				}
			}
			addTrial(t, src.DB, dltune.Running)
			for i, s := range streams {
				if l := next(s, 5*time.Second); l != "event: change\n" {
					t.Errorf("stream %d: %q after a trial was added, want a change event", i, l)
				}
			}
			closeStreams()
			for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
				h.mu.Lock()
				nw := len(h.watches)
				h.mu.Unlock()
				if nw == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the poller still runs 5s after every stream closed")
				}
			}
			stopped := h.polls.Load()
			time.Sleep(30 * time.Millisecond)
			if n := h.polls.Load() - stopped; n > 1 {
				t.Errorf("%d polls after the last stream closed", n)
			}
		})
	}
}

// TestEventsSince checks that a page whose revision is behind the study's
// hears of it at once.
func TestEventsSince(t *testing.T) {
	db := newStore(t)
	h := New(db, &Options{Poll: time.Hour})
	srv := httptest.NewServer(h)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, _, page := get(t, h, "/study/tiny")
	m := regexp.MustCompile(`data-events="(/study/tiny/events\?since=[0-9a-f]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("the page names no event stream with its revision:\n%s", page)
	}
	first, closeFirst := context.WithCancel(ctx)
	if l := next(stream(t, first, srv.URL+m[1]), 50*time.Millisecond); l != "" {
		t.Errorf("the stream of an unchanged page sent %q", l)
	}
	closeFirst()
	for {
		h.mu.Lock()
		nw := len(h.watches)
		h.mu.Unlock()
		if nw == 0 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	addTrial(t, db, dltune.Running)
	// Polling hourly, only a new poller, which starts from the revision
	// of now, can tell.
	if l := next(stream(t, ctx, srv.URL+m[1]), 5*time.Second); l != "event: change\n" {
		t.Errorf("a page behind the study got %q, want a change event at once", l)
	}
}

// TestEventsSpaced checks that a study slow to read sends change events
// spaced by spacing times the time it took, the last change included.
func TestEventsSpaced(t *testing.T) {
	db := newStore(t)
	h := New(db, &Options{Poll: 5 * time.Millisecond})
	srv := httptest.NewServer(h)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	v, err := h.view(ctx, "tiny")
	if err != nil {
		t.Fatal(err)
	}
	h.mu.Lock()
	v.took = 30 * time.Millisecond // as if it took that long: events 300ms apart
	h.mu.Unlock()
	lines := stream(t, ctx, srv.URL+"/study/tiny/events")
	add := func() { addTrial(t, db, dltune.Running) }
	if l := <-lines; l != ": watching\n" {
		t.Fatalf("the stream began with %q", l)
	}
	add()
	if l := next(lines, 5*time.Second); l != "event: change\n" {
		t.Fatalf("got %q, want a change event", l)
	}
	first := time.Now()
	add()
	if l := next(lines, 5*time.Second); l != "event: change\n" {
		t.Fatalf("got %q after the second change, want a change event", l)
	}
	if gap := time.Since(first); gap < 250*time.Millisecond {
		t.Errorf("the second event came %s after the first, want 300ms", gap)
	}
}

// TestViewsBounded keeps the views within a bound of rows, dropping the
// one used least recently, while the list of studies keeps its lines.
func TestViewsBounded(t *testing.T) {
	src := &countingSource{DB: navStore(t)} // tiny: 4 trials, done: 6
	h := New(src, nil)
	h.maxRows = 8
	kept := func() []string {
		h.mu.Lock()
		defer h.mu.Unlock()
		var names []string
		for n := range h.views {
			names = append(names, n)
		}
		slices.Sort(names)
		return names
	}
	for _, c := range []struct {
		path string
		want []string
		rows int
	}{
		{"/study/tiny", []string{"tiny"}, 4},
		{"/study/done", []string{"done"}, 6}, // 10 rows: tiny goes
		{"/study/tiny", []string{"tiny"}, 4},
	} {
		if code, _, body := get(t, h, c.path); code != 200 {
			t.Fatalf("%s: status %d:\n%s", c.path, code, body)
		}
		if got := kept(); !slices.Equal(got, c.want) || h.viewRows != c.rows {
			t.Errorf("after %s the handler keeps %q of %d rows, want %q of %d", c.path, got, h.viewRows, c.want, c.rows)
		}
	}
	// The list reads each study once, then keeps its lines.
	get(t, h, "/")
	n := src.summaries.Load()
	for range 3 {
		if code, _, body := get(t, h, "/"); code != 200 || !strings.Contains(body, `href="/study/done"`) {
			t.Fatalf("/: status %d:\n%s", code, body)
		}
	}
	if m := src.summaries.Load(); m != n {
		t.Errorf("the list of unchanged studies read trials %d times more", m-n)
	}
}

// FuzzParseSorting checks that any query either parses, to a sorting
// whose own query parses back to it, or fails with a queryError whose
// message stays short.
func FuzzParseSorting(f *testing.F) {
	for _, q := range []string{"", "sort=lr&order=desc&page=3", "sort=param.loss", "sort=nope", "order=up", "page=0", "page=x", "sort=a&sort=b", "%zz", "token=t&sort=trial"} {
		f.Add(q)
	}
	cols := columns([]string{"lr", "loss", "act"})
	f.Fuzz(func(t *testing.T, raw string) {
		s, err := parseSorting(raw, cols)
		if err != nil {
			var qe *queryError
			if !errors.As(err, &qe) {
				t.Fatalf("%q: error %v is not a queryError", raw, err)
			}
			if n := len([]rune(qe.msg)); n > 600 {
				t.Errorf("%q: a message of %d characters", raw, n)
			}
			return
		}
		if s.page < 1 || !slices.ContainsFunc(cols, func(c column) bool { return c.key == s.col.key }) {
			t.Fatalf("%q: parsed to column %q page %d", raw, s.col.key, s.page)
		}
		again, err := parseSorting(pageQuery(s.col, s.desc, s.page), cols)
		if err != nil || again.col.key != s.col.key || again.desc != s.desc || again.page != s.page {
			t.Errorf("%q: %+v does not survive its own query (%+v, %v)", raw, s, again, err)
		}
	})
}
