package dashboard

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"log"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/analysis"
	"github.com/dltune/dltune/plot"
	"github.com/dltune/dltune/study"
	"github.com/dltune/dltune/studyfile"
)

// A Source reads stored studies; the bbolt and PostgreSQL stores satisfy
// it.
type Source interface {
	Studies(ctx context.Context) ([]*dltune.Study, error)
	plot.Source
}

// Options configure a Handler.
type Options struct {
	// Token, if not "", is required of every request: as the query
	// parameter token (which then sets a cookie, so that links and the
	// event stream work), the cookie, or an "Authorization: Bearer" header.
	Token string
	// Poll is how often a study that event streams follow is read to see
	// whether it changed (once for all its streams); zero means a second.
	Poll time.Duration
	// Log, if not nil, receives errors the pages could not show.
	Log *log.Logger
}

// studyPlots are the study-wide plots the study page shows, in order.
var studyPlots = []plot.Kind{plot.History, plot.Curves, plot.Parallel, plot.Slice, plot.Importance, plot.Timeline}

// maxCurves bounds the curves of the curves plot to the best trials': at
// 10,000 trials of 20 epochs, all of them make an SVG of 3.4 MB.
const maxCurves = 100

// maxTrials bounds the trials the parallel, slice and timeline plots
// draw (plot.Options.MaxTrials): at 10,000 trials they are SVGs of 0.9 to
// 3.1 MB each, and at 500 a tenth or less.
const maxTrials = 500

// maxImportanceTrials bounds the trials the importance plot's fANOVA fits
// (plot.Options.ImportanceTrials). All 6,531 complete trials of the
// 10,000-trial test study take a second on Zen 4, 2,000 a quarter of it;
// on a made-up study of four parameters that all matter, with noise,
// samples of 2,000 put each parameter's importance within 0.04 of all
// 10,000 trials' over five seeds, and samples of 500 within 0.07.
const maxImportanceTrials = 2000

// maxCached bounds the SVG cache: past it, the cache starts afresh.
const maxCached = 256

// A Handler serves the dashboard.
type Handler struct {
	src   Source
	opt   Options
	mux   *http.ServeMux
	reads singleflight.Group // of views, by study and revision
	polls atomic.Int64       // of the store by the event streams' pollers, for tests

	mu       sync.Mutex
	svgs     map[string]cachedSVG // by study, kind and trial
	views    map[string]*view     // by study
	viewRows int                  // the rows of the views, in all
	maxRows  int                  // maxViewRows, or less in tests
	listed   map[string]studyRow  // the list of studies' lines, by study
	watches  map[string]*watcher  // by study, while an event stream follows it
}

type cachedSVG struct {
	rev  uint64 // the revision of the study it was drawn from
	data []byte // nil when there was nothing to draw
	note string // why not
}

// New returns a handler serving src.
func New(src Source, opt *Options) *Handler {
	h := &Handler{src: src, mux: http.NewServeMux(), maxRows: maxViewRows,
		svgs: make(map[string]cachedSVG), views: make(map[string]*view), listed: make(map[string]studyRow), watches: make(map[string]*watcher)}
	if opt != nil {
		h.opt = *opt
	}
	if h.opt.Poll <= 0 {
		h.opt.Poll = time.Second
	}
	h.mux.HandleFunc("GET /{$}", h.studies)
	h.mux.HandleFunc("GET /studies", h.studies)
	h.mux.HandleFunc("GET /events", h.studiesEvents)
	h.mux.HandleFunc("GET /study/{study}", h.study)
	h.mux.HandleFunc("GET /study/{study}/leaderboard", h.leaderboard)
	h.mux.HandleFunc("GET /study/{study}/events", h.events)
	h.mux.HandleFunc("GET /study/{study}/plot/{kind}", h.plot)
	h.mux.HandleFunc("GET /study/{study}/trial/{trial}", h.trial)
	h.mux.HandleFunc("GET /study/{study}/trial/{trial}/gradients", h.gradients)
	h.mux.HandleFunc("GET /study/{study}/trial/{trial}/curve.json", h.curve)
	h.mux.HandleFunc("GET /study/{study}/history.json", h.history)
	h.mux.HandleFunc("GET /study/{study}/curves.json", h.topCurves)
	h.mux.HandleFunc("GET /static/{file...}", h.static)
	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		h.fail(w, http.StatusNotFound, "no page at "+r.URL.Path)
	})
	return h
}

//go:embed templates/*.html
var files embed.FS

var pages = template.Must(template.New("").Funcs(template.FuncMap{
	"loss": formatLoss,
	"ptr":  ptrLoss,
	"pv": func(p dltune.Params, name string) string {
		if v, ok := p[name]; ok {
			return v.String()
		}
		return ""
	},
	"ago":    ago,
	"clock":  func(t time.Time) string { return t.Local().Format(time.DateTime) },
	"static": staticURL,
	"plotOf": plotOf,
	"metric": metric,
}).ParseFS(files, "templates/*.html"))

// csp allows the dashboard's own scripts and style sheets (static/), and
// nothing inline or from elsewhere.
const csp = "default-src 'none'; style-src 'self'; img-src 'self'; connect-src 'self'; script-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// ServeHTTP checks the token, sets the headers every response gets and
// serves the page.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", csp)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Frame-Options", "DENY")
	if h.opt.Token != "" && !h.authorized(w, r) {
		h.fail(w, http.StatusUnauthorized, "this dashboard needs its token: open it as /?token=TOKEN")
		return
	}
	h.mux.ServeHTTP(w, r)
}

const tokenCookie = "dltune_token"

// authorized reports whether r carries the token, and remembers a token
// given in the query in a cookie.
func (h *Handler) authorized(w http.ResponseWriter, r *http.Request) bool {
	if q := r.URL.Query().Get("token"); q != "" {
		if !h.tokenOK(q) {
			return false
		}
		http.SetCookie(w, &http.Cookie{Name: tokenCookie, Value: q, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
		return true
	}
	if c, err := r.Cookie(tokenCookie); err == nil && h.tokenOK(c.Value) {
		return true
	}
	if b, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && h.tokenOK(b) {
		return true
	}
	return false
}

func (h *Handler) tokenOK(s string) bool {
	// Compare hashes: equal lengths, so the time says nothing of the
	// token's length either.
	a, b := sha256.Sum256([]byte(s)), sha256.Sum256([]byte(h.opt.Token))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// fail serves an error page.
func (h *Handler) fail(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	pages.ExecuteTemplate(w, "error.html", struct {
		Title, Message string
	}{http.StatusText(code), msg})
}

// failErr serves the error err as a page: a query it cannot serve, not
// found, or an internal error logged and not shown in detail.
func (h *Handler) failErr(w http.ResponseWriter, err error) {
	if qe := (*queryError)(nil); errors.As(err, &qe) {
		h.fail(w, http.StatusBadRequest, qe.msg)
		return
	}
	if errors.Is(err, dltune.ErrNotFound) {
		h.fail(w, http.StatusNotFound, err.Error())
		return
	}
	if h.opt.Log != nil {
		h.opt.Log.Printf("dashboard: %v", err)
	}
	h.fail(w, http.StatusInternalServerError, "the store could not be read; the server's log says why")
}

// render executes the named template into a buffer first, so that an
// error is an error page rather than half a page, and sends it gzipped
// if r takes it (a page of the leaderboard shrinks fourfold).
func (h *Handler) render(w http.ResponseWriter, r *http.Request, name string, data any) {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, data); err != nil {
		h.failErr(w, fmt.Errorf("render %s: %w", name, err))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	writeBody(w, r, buf.Bytes())
}

// A studyRow is a study on the list.
type studyRow struct {
	rev uint64 // the study's revision it shows
	study.Overview
	State    string
	Budget   int
	Running  int
	Strategy string
}

// studies serves the list of studies: at / the page, at /studies its
// table alone, which the page fetches again when its event stream says
// a study changed.
func (h *Handler) studies(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	list, err := h.src.Studies(ctx)
	if err != nil {
		h.failErr(w, err)
		return
	}
	// The revision before the rows, so that the event stream reports a
	// change made while the page was drawn.
	rev, err := h.listRevision(ctx, list)
	if err != nil {
		h.failErr(w, err)
		return
	}
	rows := make([]studyRow, 0, len(list))
	for _, s := range list {
		row, err := h.studyRow(ctx, s.Name)
		if err != nil {
			h.failErr(w, err)
			return
		}
		rows = append(rows, row)
	}
	page := "studies.html"
	if r.URL.Path == "/studies" {
		page = "studiesTable"
	}
	h.render(w, r, page, struct {
		Studies []studyRow
		Now     time.Time
		Events  string
	}{rows, time.Now(), studiesEventsURL(rev)})
}

// studyRow returns the line of study name on the list of studies, read
// again only when the study changed.
func (h *Handler) studyRow(ctx context.Context, name string) (studyRow, error) {
	rev, err := h.revision(ctx, name)
	if err != nil {
		return studyRow{}, err
	}
	h.mu.Lock()
	row, ok := h.listed[name]
	h.mu.Unlock()
	if ok && row.rev == rev {
		return row, nil
	}
	v, err := h.view(ctx, name)
	if err != nil {
		return studyRow{}, err
	}
	row = studyRow{rev: v.rev, Overview: v.overview, Running: v.running}
	if v.spec != nil {
		row.Budget, row.Strategy = v.spec.Search.Trials, v.spec.Search.Strategy
	}
	row.State = studyState(row)
	h.mu.Lock()
	if _, ok := h.listed[name]; !ok && len(h.listed) >= maxListed {
		clear(h.listed)
	}
	h.listed[name] = row
	h.mu.Unlock()
	return row, nil
}

// studyState says in a word where a study is.
func studyState(r studyRow) string {
	switch {
	case r.Running > 0:
		return "running"
	case r.Budget > 0 && r.Finished >= r.Budget && r.Unfinished == 0:
		return "done"
	case r.Trials == 0:
		return "new"
	}
	return "stopped"
}

func parseSpec(s *dltune.Study) (*studyfile.Spec, error) {
	file := s.File
	if file == "" {
		file = s.Name + ".yaml"
	}
	spec, err := studyfile.Parse(file, s.Spec)
	if err != nil {
		return nil, fmt.Errorf("stored spec of study %s: %w", s.Name, err)
	}
	return spec, nil
}

// svg returns the image of kind for the study (and trial, for a
// per-trial kind), drawn again only when the study changed.
func (h *Handler) svg(ctx context.Context, name string, kind plot.Kind, trial int) (cachedSVG, error) {
	rev, err := h.revision(ctx, name)
	if err != nil {
		return cachedSVG{}, err
	}
	key := fmt.Sprintf("%s\x00%s\x00%d", name, kind, trial)
	h.mu.Lock()
	c, ok := h.svgs[key]
	h.mu.Unlock()
	if ok && c.rev == rev {
		return c, nil
	}
	c = cachedSVG{rev: rev}
	fig, err := plot.Render(ctx, h.src, plot.Options{Kind: kind, Study: name, Trial: trial, MaxCurves: maxCurves, MaxTrials: maxTrials,
		ImportanceTrials: maxImportanceTrials})
	switch {
	case errors.Is(err, plot.ErrNoFinished):
		c.note = "no finished trial yet"
	case errors.Is(err, dltune.ErrNotFound):
		return c, err
	case err != nil:
		// A plot that cannot be drawn (no layer statistics, one
		// parameter) says why in place of the image.
		c.note = err.Error()
	default:
		var buf bytes.Buffer
		if err := fig.Write(&buf, "svg"); err != nil {
			return c, fmt.Errorf("draw %s of study %s: %w", kind, name, err)
		}
		c.data = buf.Bytes()
	}
	h.mu.Lock()
	if len(h.svgs) >= maxCached {
		clear(h.svgs)
	}
	h.svgs[key] = c
	h.mu.Unlock()
	return c, nil
}

func (h *Handler) serveSVG(w http.ResponseWriter, r *http.Request, kind plot.Kind, trial int) {
	c, err := h.svg(r.Context(), r.PathValue("study"), kind, trial)
	if err != nil {
		h.failErr(w, err)
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	if c.data == nil {
		// Not found, but an image still: the page shows why in its
		// place rather than a broken image.
		w.WriteHeader(http.StatusNotFound)
		w.Write(noteSVG(c.note))
		return
	}
	w.Header().Set("Cache-Control", "no-cache")
	writeBody(w, r, c.data)
}

func (h *Handler) plot(w http.ResponseWriter, r *http.Request) {
	k, err := plot.ParseKind(strings.TrimSuffix(r.PathValue("kind"), ".svg"))
	if err != nil || k.PerTrial() || k == plot.Contour {
		h.fail(w, http.StatusNotFound, fmt.Sprintf("no plot %q of a study", r.PathValue("kind")))
		return
	}
	h.serveSVG(w, r, k, 0)
}

// trialNumber parses the trial path value, failing with a page.
func (h *Handler) trialNumber(w http.ResponseWriter, r *http.Request) (int, bool) {
	n, err := strconv.Atoi(r.PathValue("trial"))
	if err != nil || n < 0 {
		h.fail(w, http.StatusBadRequest, fmt.Sprintf("%q is not a trial number", r.PathValue("trial")))
		return 0, false
	}
	return n, true
}

func (h *Handler) gradients(w http.ResponseWriter, r *http.Request) {
	n, ok := h.trialNumber(w, r)
	if !ok {
		return
	}
	h.serveSVG(w, r, plot.Gradients, n)
}

func (h *Handler) trial(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	name := r.PathValue("study")
	n, ok := h.trialNumber(w, r)
	if !ok {
		return
	}
	s, err := h.src.Study(ctx, name)
	if err != nil {
		h.failErr(w, err)
		return
	}
	// The revision before the trial, so that the chart's event stream
	// reports a change made while the page was drawn.
	rev, err := h.revision(ctx, name)
	if err != nil {
		h.failErr(w, err)
		return
	}
	t, err := h.src.Trial(ctx, name, n)
	if err != nil {
		h.failErr(w, err)
		return
	}
	data := struct {
		Study     string
		T         *dltune.Trial
		Params    []param
		Findings  []analysis.Finding
		Command   string
		Gradients bool
		Loss      float64
		Events    string // the study's event stream, for the chart of a trial that runs
		Error     string
		Stderr    stderrTail
		Metrics   []string // the names of the epochs' metrics
		Weights   weightsNote
		History   []dltune.Event
	}{Study: name, T: t, Findings: analysis.Diagnose(t), Loss: t.Loss(), Events: eventsURL(name, rev),
		Metrics: dltune.MetricNames(t.Curve)}
	data.Error, data.Stderr = splitStderr(t)
	for _, e := range t.Events {
		if t.Stderr != "" {
			e.What, _ = stderrBelow(e.What)
		}
		data.History = append(data.History, e)
	}
	for _, k := range t.Params.Names() {
		data.Params = append(data.Params, param{k, t.Params[k].String()})
	}
	if spec, err := parseSpec(s); err == nil && spec.Command != nil {
		if argv, _, err := spec.CommandLine(t.Params); err == nil {
			data.Command = strings.Join(argv, " ")
		}
	} else {
		// A command trial's program makes no model file.
		data.Weights = h.weights(ctx, name, t)
	}
	for _, e := range t.Curve {
		if len(e.Layers) > 0 {
			data.Gradients = true
			break
		}
	}
	h.render(w, r, "trial.html", data)
}

type param struct{ Name, Value string }

func formatLoss(x float64) string {
	if math.IsInf(x, 0) || math.IsNaN(x) {
		return "—"
	}
	return strconv.FormatFloat(x, 'g', 5, 64)
}

func ptrLoss(p *float64) string {
	if p == nil {
		return "—"
	}
	return formatLoss(*p)
}

// ago says how long ago t was, roughly.
func ago(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d.Hours()))
	}
	return fmt.Sprintf("%d days ago", int(d.Hours()/24))
}
