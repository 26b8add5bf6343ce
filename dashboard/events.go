package dashboard

import (
	"context"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/dltune/dltune"
)

// keepAlive is how long an event stream may stay silent before it sends
// a comment, so that proxies keep it open.
const keepAlive = 15 * time.Second

// A watcher polls one study's revision for every event stream that
// follows it: the store is read once a poll, whatever the number of open
// pages. Its fields are guarded by Handler.mu.
type watcher struct {
	rev  uint64
	subs map[chan uint64]struct{}
	stop context.CancelFunc
}

// allStudies is the key of the watcher of the list of studies in
// Handler.watches; no study has an empty name.
const allStudies = ""

// follow subscribes to the changes of the named study, or of the list
// of studies if name is allStudies. The channel receives the revision
// after each change; a subscriber that falls behind gets the latest
// only. rev is the revision now. leave ends the subscription; the poller
// stops with its last subscriber.
func (h *Handler) follow(ctx context.Context, name string) (ch <-chan uint64, rev uint64, leave func(), err error) {
	h.mu.Lock()
	w := h.watches[name]
	h.mu.Unlock()
	if w == nil {
		// Read before taking the lock for the map: the store may be slow.
		rev, err := h.watchedRevision(ctx, name)
		if err != nil {
			return nil, 0, nil, err
		}
		h.mu.Lock()
		if w = h.watches[name]; w == nil {
			pctx, stop := context.WithCancel(context.Background())
			w = &watcher{rev: rev, subs: make(map[chan uint64]struct{}), stop: stop}
			h.watches[name] = w
			go h.poll(pctx, name, w)
		}
		h.mu.Unlock()
	}
	c := make(chan uint64, 1)
	h.mu.Lock()
	if h.watches[name] != w {
		// The poller stopped between the two locks: start over.
		h.mu.Unlock()
		return h.follow(ctx, name)
	}
	w.subs[c] = struct{}{}
	rev = w.rev
	h.mu.Unlock()
	leave = func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		delete(w.subs, c)
		if len(w.subs) == 0 && h.watches[name] == w {
			w.stop()
			delete(h.watches, name)
		}
	}
	return c, rev, leave, nil
}

// spacing is how many times the time it took to read a study the
// poller waits between two change events: a study of 10,000 trials takes
// about a second to read, and a running one changes every few seconds, so
// that each open page's reload would otherwise keep a CPU busy.
const spacing = 10

// watchedRevision returns the revision of study name, or if name is
// allStudies one of the list of studies: a hash of their names and
// revisions, which changes when a study is added or any study changes.
func (h *Handler) watchedRevision(ctx context.Context, name string) (uint64, error) {
	if name != allStudies {
		return h.revision(ctx, name)
	}
	list, err := h.src.Studies(ctx)
	if err != nil {
		return 0, err
	}
	return h.listRevision(ctx, list)
}

// listRevision returns the revision of the list of studies list.
func (h *Handler) listRevision(ctx context.Context, list []*dltune.Study) (uint64, error) {
	f := fnv.New64a()
	for _, s := range list {
		rev, err := h.revision(ctx, s.Name)
		if err != nil {
			return 0, err
		}
		fmt.Fprintf(f, "%q %x;", s.Name, rev)
	}
	return f.Sum64(), nil
}

// gap returns how long the poller of name waits between two change
// events: spacing times the time the study took to read, or for the list
// of studies all of them (each line of the list reads its study again).
// h.mu must be held.
func (h *Handler) gap(name string) time.Duration {
	if name != allStudies {
		if v := h.views[name]; v != nil {
			return spacing * v.took
		}
		return 0
	}
	var d time.Duration
	for n := range h.listed {
		if v := h.views[n]; v != nil {
			d += spacing * v.took
		}
	}
	return d
}

// poll reads the revision of the study (or the list of studies) every
// h.opt.Poll until ctx ends, and sends it to every subscriber when it
// changed, spacing the changes it sends (gap).
func (h *Handler) poll(ctx context.Context, name string, w *watcher) {
	tick := time.NewTicker(h.opt.Poll)
	defer tick.Stop()
	var lastErr string
	var sent time.Time
	pending := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		h.polls.Add(1)
		rev, err := h.watchedRevision(ctx, name)
		if err != nil {
			// Said once, not every second, until it changes.
			if ctx.Err() == nil && h.opt.Log != nil && err.Error() != lastErr {
				what := "study " + name
				if name == allStudies {
					what = "the studies"
				}
				h.opt.Log.Printf("dashboard: events of %s: %v", what, err)
			}
			lastErr = err.Error()
			continue
		}
		lastErr = ""
		h.mu.Lock()
		if rev != w.rev {
			w.rev, pending = rev, true
		}
		if pending && time.Since(sent) >= h.gap(name) {
			pending, sent = false, time.Now()
			for c := range w.subs {
				select { // keep the latest only
				case <-c:
				default:
				}
				c <- rev
			}
		}
		h.mu.Unlock()
	}
}

// eventsURL is the URL of the event stream of a page that shows study
// name as of revision rev.
func eventsURL(name string, rev uint64) string {
	return "/study/" + url.PathEscape(name) + "/events?since=" + strconv.FormatUint(rev, 16)
}

// studiesEventsURL is the URL of the event stream of the list of studies
// as of revision rev.
func studiesEventsURL(rev uint64) string {
	return "/events?since=" + strconv.FormatUint(rev, 16)
}

// events streams an event named change whenever the study changes, and a
// comment now and then to keep the connection open. A page passes the
// revision it shows as ?since=, so that a change between its rendering
// and its stream is not missed.
func (h *Handler) events(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("study")
	if _, err := h.src.Study(r.Context(), name); err != nil {
		h.failErr(w, err)
		return
	}
	h.stream(w, r, name)
}

// studiesEvents streams an event named change whenever a study is added
// or changes, for the list of studies, as events does for a study.
func (h *Handler) studiesEvents(w http.ResponseWriter, r *http.Request) {
	h.stream(w, r, allStudies)
}

// stream serves the event stream of study name, or of the list of
// studies if name is allStudies.
func (h *Handler) stream(w http.ResponseWriter, r *http.Request, name string) {
	ctx := r.Context()
	var since *uint64
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil || len(q["since"]) > 1 {
		h.fail(w, http.StatusBadRequest, fmt.Sprintf("the query %q is malformed", clip(r.URL.RawQuery)))
		return
	}
	if s := q.Get("since"); s != "" {
		n, err := strconv.ParseUint(s, 16, 64)
		if err != nil {
			h.fail(w, http.StatusBadRequest, fmt.Sprintf("since=%s: want the revision a page shows, a hexadecimal number", clip(s)))
			return
		}
		since = &n
	}
	changes, rev, leave, err := h.follow(ctx, name)
	if err != nil {
		h.failErr(w, err)
		return
	}
	defer leave()
	rc := http.NewResponseController(w)
	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream")
	hd.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, ": watching\n\n")
	if since != nil && *since != rev {
		fmt.Fprintf(w, "event: change\ndata: %x\n\n", rev)
	}
	if err := rc.Flush(); err != nil {
		return
	}
	quiet := time.NewTimer(keepAlive)
	defer quiet.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case rev := <-changes:
			fmt.Fprintf(w, "event: change\ndata: %x\n\n", rev)
		case <-quiet.C:
			fmt.Fprint(w, ": still watching\n\n")
		}
		quiet.Reset(keepAlive)
		if err := rc.Flush(); err != nil {
			return
		}
	}
}
