package dashboard

import (
	"cmp"
	"context"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/plot"
	"github.com/dltune/dltune/study"
	"github.com/dltune/dltune/studyfile"
)

// perPage is how many trials a page of the leaderboard shows: a study of
// 10,000 trials is 200 pages, not one page of 2 MB.
const perPage = 50

// maxViewRows bounds the leaderboard rows of the views a Handler keeps,
// some 500 bytes each with their parameters: past it, the views used
// least recently go.
const maxViewRows = 200_000

// maxListed bounds the studies whose line on the list of studies a
// Handler keeps; past it, it starts afresh.
const maxListed = 4096

// A revisioner says cheaply whether a study changed: the stores' Revision
// reads one header or row, whatever the number of trials. A Source
// without it is read whole, and its trials fingerprinted, to find out.
type revisioner interface {
	Revision(ctx context.Context, study string) (uint64, error)
}

// revision returns a number that changes when the study changes: its
// revision in the store, or else a fingerprint of its trials.
func (h *Handler) revision(ctx context.Context, name string) (uint64, error) {
	if r, ok := h.src.(revisioner); ok {
		return r.Revision(ctx, name)
	}
	trials, err := h.src.TrialSummaries(ctx, name)
	if err != nil {
		return 0, err
	}
	return fingerprint(trials), nil
}

// fingerprint summarizes trials: it changes when a trial is added,
// changes state or trains an epoch.
func fingerprint(trials []*dltune.Trial) uint64 {
	f := fnv.New64a()
	for _, t := range trials {
		fmt.Fprintf(f, "%d %d %d %d %d;", t.Number, t.State, t.Budget, len(t.Curve), t.Finished.UnixNano())
	}
	return f.Sum64()
}

// A view is what the dashboard keeps of a study as of one revision: its
// record and ranked leaderboard without the trials' curves, so that the
// pages sort and page it without reading the store again until the study
// changes. A view is not changed once made, but for the orders of its
// rows that pages asked for.
type view struct {
	rev      uint64
	took     time.Duration // to read and rank the trials
	study    *dltune.Study
	spec     *studyfile.Spec // nil if the stored spec does not parse
	specErr  error
	params   []string    // the space's parameters, in the file's order
	rows     []study.Row // ranked, best first
	overview study.Overview
	running  int

	used time.Time // when a page last used it; guarded by Handler.mu

	// The rows in each order pages asked for, by column key and order:
	// paging through 10,000 rows sorts them once.
	mu     sync.Mutex
	orders map[string][]*study.Row
}

// sorted returns the view's rows sorted as s asks.
func (v *view) sorted(s sorting) []*study.Row {
	key := s.col.key + "\x00" + strconv.FormatBool(s.desc)
	v.mu.Lock()
	defer v.mu.Unlock()
	if rows, ok := v.orders[key]; ok {
		return rows
	}
	rows := s.sorted(v.rows)
	if v.orders == nil {
		v.orders = make(map[string][]*study.Row)
	}
	v.orders[key] = rows
	return rows
}

// view returns the view of the named study as of its current revision,
// reading the study only if it changed since the last view. Concurrent
// requests for one revision read the store once.
func (h *Handler) view(ctx context.Context, name string) (*view, error) {
	rev, err := h.revision(ctx, name)
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	v := h.views[name]
	if v != nil && v.rev == rev {
		v.used = time.Now()
		h.mu.Unlock()
		return v, nil
	}
	h.mu.Unlock()
	// The read is shared: it must not end with the request that began it.
	x, err, _ := h.reads.Do(name+"\x00"+strconv.FormatUint(rev, 16), func() (any, error) {
		return h.readView(context.WithoutCancel(ctx), name, rev)
	})
	if err != nil {
		return nil, err
	}
	return x.(*view), nil
}

// readView reads the study and makes its view as of revision rev, which
// was read before: if the study changes meanwhile, the next request sees
// a newer revision and reads it again.
func (h *Handler) readView(ctx context.Context, name string, rev uint64) (*view, error) {
	began := time.Now()
	s, err := h.src.Study(ctx, name)
	if err != nil {
		return nil, err
	}
	trials, err := h.src.TrialSummaries(ctx, name)
	if err != nil {
		return nil, err
	}
	v := &view{rev: rev, study: s, overview: study.Summarize(s, trials)}
	v.spec, v.specErr = parseSpec(s)
	maxEpochs := 0
	if v.spec != nil {
		maxEpochs = v.spec.MaxEpochs()
		for _, p := range v.spec.Space.Params {
			v.params = append(v.params, p.Name)
		}
	}
	v.rows = study.Leaderboard(trials, maxEpochs, true)
	for _, t := range trials {
		if t.State == dltune.Running {
			v.running++
		}
	}
	v.took = time.Since(began)
	h.mu.Lock()
	h.keep(name, v)
	h.mu.Unlock()
	return v, nil
}

// keep keeps view v of study name, dropping the views used least
// recently while the views hold more than h.maxRows rows in all. The
// caller holds h.mu.
func (h *Handler) keep(name string, v *view) {
	if old := h.views[name]; old != nil {
		if old.rev == v.rev {
			return
		}
		h.viewRows -= len(old.rows)
	}
	v.used = time.Now()
	h.views[name] = v
	h.viewRows += len(v.rows)
	for h.viewRows > h.maxRows && len(h.views) > 1 {
		lru := ""
		for n, w := range h.views {
			if n != name && (lru == "" || w.used.Before(h.views[lru].used)) {
				lru = n
			}
		}
		h.viewRows -= len(h.views[lru].rows)
		delete(h.views, lru)
	}
}

// A column is a column of the leaderboard that pages sort by.
type column struct {
	key, title string
	// missing reports a row without a value, which sorts last in either
	// order; cmp compares two rows that have one.
	missing func(r *study.Row) bool
	cmp     func(a, b *study.Row) int
}

// fixedColumns are the leaderboard's columns before the parameters'.
var fixedColumns = []column{
	{key: "rank", title: "rank", cmp: func(a, b *study.Row) int { return cmp.Compare(a.Rank, b.Rank) }},
	{key: "trial", title: "trial", cmp: func(a, b *study.Row) int { return cmp.Compare(a.Trial, b.Trial) }},
	{key: "state", title: "state", cmp: func(a, b *study.Row) int { return strings.Compare(a.State.String(), b.State.String()) }},
	{key: "loss", title: "val loss", missing: func(r *study.Row) bool { return r.ValLoss == nil },
		cmp: func(a, b *study.Row) int { return cmp.Compare(*a.ValLoss, *b.ValLoss) }},
	{key: "acc", title: "val acc", missing: func(r *study.Row) bool { return r.ValAccuracy == nil },
		cmp: func(a, b *study.Row) int { return cmp.Compare(*a.ValAccuracy, *b.ValAccuracy) }},
	{key: "epochs", title: "epochs", cmp: func(a, b *study.Row) int { return cmp.Compare(a.Epochs, b.Epochs) }},
}

// columns returns the columns of a leaderboard with params. A parameter's
// key is its name, or "param.NAME" if a fixed column has that name.
func columns(params []string) []column {
	cols := slices.Clone(fixedColumns)
	for _, p := range params {
		key := p
		if slices.ContainsFunc(fixedColumns, func(c column) bool { return c.key == p }) {
			key = "param." + p
		}
		cols = append(cols, column{key: key, title: p,
			missing: func(r *study.Row) bool { _, ok := r.Params[p]; return !ok },
			cmp:     func(a, b *study.Row) int { return compareValues(a.Params[p], b.Params[p]) },
		})
	}
	return cols
}

// compareValues orders parameter values: numbers by value before strings
// in byte order.
func compareValues(a, b dltune.Value) int {
	switch an, bn := a.IsNumber() || a.Kind == dltune.KindBool, b.IsNumber() || b.Kind == dltune.KindBool; {
	case an && bn:
		return cmp.Compare(a.Num, b.Num)
	case an:
		return -1
	case bn:
		return 1
	}
	return strings.Compare(a.Str, b.Str)
}

// A sorting is the page of a leaderboard a request asks for, from its
// query: ?sort=COLUMN&order=asc|desc&page=N.
type sorting struct {
	col  column
	desc bool
	page int // from 1
}

// A queryError is a query the dashboard cannot serve: the page says why
// with status 400.
type queryError struct{ msg string }

func (e *queryError) Error() string { return e.msg }

// parseSorting parses the sorting of the leaderboard of cols from a raw
// query. Each parameter may come once; others (token) are let be.
func parseSorting(raw string, cols []column) (sorting, error) {
	q, err := url.ParseQuery(raw)
	if err != nil {
		return sorting{}, &queryError{fmt.Sprintf("the query %q is malformed: %v", clip(raw), err)}
	}
	one := func(key string) (string, error) {
		switch v := q[key]; len(v) {
		case 0:
			return "", nil
		case 1:
			return v[0], nil
		}
		return "", &queryError{fmt.Sprintf("%s is given %d times in the query; give it once", key, len(q[key]))}
	}
	s := sorting{col: cols[0], page: 1}
	key, err := one("sort")
	if err != nil {
		return s, err
	}
	if key != "" {
		i := slices.IndexFunc(cols, func(c column) bool { return c.key == key })
		if i < 0 {
			keys := make([]string, len(cols))
			for i, c := range cols {
				keys[i] = c.key
			}
			return s, &queryError{fmt.Sprintf("sort=%s: the leaderboard has no column %q; sort by one of %s", clip(key), clip(key), strings.Join(keys, ", "))}
		}
		s.col = cols[i]
	}
	order, err := one("order")
	if err != nil {
		return s, err
	}
	switch order {
	case "", "asc":
	case "desc":
		s.desc = true
	default:
		return s, &queryError{fmt.Sprintf("order=%s: the order is asc or desc", clip(order))}
	}
	page, err := one("page")
	if err != nil {
		return s, err
	}
	if page != "" {
		n, err := strconv.Atoi(page)
		if err != nil || n < 1 {
			return s, &queryError{fmt.Sprintf("page=%s: a page is a number from 1", clip(page))}
		}
		s.page = n
	}
	return s, nil
}

// clip shortens what a query gave, for a message.
func clip(s string) string {
	const max = 60
	if r := []rune(s); len(r) > max {
		return string(r[:max]) + "…"
	}
	return s
}

// pageQuery returns the query of a page of the leaderboard sorted by col.
func pageQuery(col column, desc bool, page int) string {
	q := url.Values{"sort": {col.key}, "order": {"asc"}}
	if desc {
		q.Set("order", "desc")
	}
	if page > 1 {
		q.Set("page", strconv.Itoa(page))
	}
	return q.Encode()
}

// sorted returns rows sorted as s asks: rows without a value last, ties
// in rank order. rows is not changed.
func (s sorting) sorted(rows []study.Row) []*study.Row {
	out := make([]*study.Row, len(rows))
	for i := range rows {
		out[i] = &rows[i]
	}
	if s.col.key == "rank" && !s.desc {
		return out // the leaderboard's own order
	}
	slices.SortFunc(out, func(a, b *study.Row) int {
		if s.col.missing != nil {
			ma, mb := s.col.missing(a), s.col.missing(b)
			switch {
			case ma && mb:
				return cmp.Compare(a.Rank, b.Rank)
			case ma:
				return 1
			case mb:
				return -1
			}
		}
		c := s.col.cmp(a, b)
		if s.desc {
			c = -c
		}
		if c != 0 {
			return c
		}
		return cmp.Compare(a.Rank, b.Rank)
	})
	return out
}

// board is a page of a study's leaderboard, as the study page and its
// fragment show it.
type board struct {
	Study  string
	Params []string
	Rows   []*study.Row
	Counts study.Counts
	Budget int
	// Headers are the columns' headers, each a link that sorts by it.
	Headers []header
	// From and To number the rows shown, from 1, of Total.
	From, To, Total int
	// Prev and Next link to the pages around; "" if there is none.
	Prev, Next string
	// Fragment is the URL of this page of the leaderboard alone, which
	// the study page reloads when the study changes.
	Fragment string
}

// A header is a column's header.
type header struct {
	Title, Href string
	// Sort is the header's aria-sort: "ascending" or "descending" if the
	// rows are sorted by it, else "".
	Sort string
}

// board returns the page of v's leaderboard that the raw query asks
// for, failing with a *queryError for a query it cannot serve.
func (v *view) board(raw string) (*board, error) {
	cols := columns(v.params)
	s, err := parseSorting(raw, cols)
	if err != nil {
		return nil, err
	}
	name := v.study.Name
	b := &board{Study: name, Params: v.params, Counts: v.overview.Counts, Total: len(v.rows)}
	if v.spec != nil {
		b.Budget = v.spec.Search.Trials
	}
	pages := max(1, (len(v.rows)+perPage-1)/perPage)
	if s.page > pages {
		return nil, &queryError{fmt.Sprintf("page=%d: the leaderboard has %d pages of %d trials", s.page, pages, perPage)}
	}
	base := "/study/" + url.PathEscape(name)
	for _, c := range cols {
		h := header{Title: c.title, Href: base + "?" + pageQuery(c, false, 1)}
		if c.key == s.col.key {
			h.Sort = "ascending"
			if s.desc {
				h.Sort = "descending"
			} else {
				h.Href = base + "?" + pageQuery(c, true, 1)
			}
		}
		b.Headers = append(b.Headers, h)
	}
	if len(v.rows) > 0 {
		first := (s.page - 1) * perPage
		b.Rows = v.sorted(s)[first:min(first+perPage, len(v.rows))]
		b.From, b.To = first+1, first+len(b.Rows)
	}
	if s.page > 1 {
		b.Prev = base + "?" + pageQuery(s.col, s.desc, s.page-1)
	}
	if s.page < pages {
		b.Next = base + "?" + pageQuery(s.col, s.desc, s.page+1)
	}
	b.Fragment = base + "/leaderboard?" + pageQuery(s.col, s.desc, s.page)
	return b, nil
}

// studyBoard returns the view of the study the request names and the
// page of its leaderboard the query asks for, or serves the error page.
func (h *Handler) studyBoard(w http.ResponseWriter, r *http.Request) (*view, *board, bool) {
	v, err := h.view(r.Context(), r.PathValue("study"))
	if err != nil {
		h.failErr(w, err)
		return nil, nil, false
	}
	if v.specErr != nil {
		h.failErr(w, v.specErr)
		return nil, nil, false
	}
	b, err := v.board(r.URL.RawQuery)
	if err != nil {
		h.failErr(w, err)
		return nil, nil, false
	}
	return v, b, true
}

func (h *Handler) study(w http.ResponseWriter, r *http.Request) {
	v, b, ok := h.studyBoard(w, r)
	if !ok {
		return
	}
	h.render(w, r, "study.html", struct {
		Board    *board
		Study    string
		Budget   int
		Strategy string
		Plots    []plot.Kind
		Events   string
	}{b, v.study.Name, b.Budget, v.spec.Search.Strategy, studyPlots, eventsURL(v.study.Name, v.rev)})
}

func (h *Handler) leaderboard(w http.ResponseWriter, r *http.Request) {
	_, b, ok := h.studyBoard(w, r)
	if !ok {
		return
	}
	h.render(w, r, "board", b)
}
