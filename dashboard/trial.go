package dashboard

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dltune/dltune"
)

// stderrQuote is what a command trial's error (trial.RunCommand) puts
// before the end of its program's stderr, which the trial also keeps
// whole, in Trial.Stderr.
const stderrQuote = "; stderr ends:\n"

// maxStderrLines bounds the lines of a trial's stderr a page shows (the
// trial keeps at most dltune.MaxStderr bytes of it).
const maxStderrLines = 100

// A stderrTail is the end of a command trial's stderr, as a page shows it.
type stderrTail struct {
	Title string
	Text  string
}

// splitStderr returns the error to show of trial t and the end of its
// stderr. A failed command trial's error quotes the end of its stderr,
// which the trial keeps too: the page shows it once, below, as `dltune
// show` does.
func splitStderr(t *dltune.Trial) (string, stderrTail) {
	msg := t.Error
	if t.Stderr == "" {
		return msg, stderrTail{}
	}
	tail := stderrTail{Title: "stderr of its last run, ending", Text: t.Stderr}
	if m, ok := stderrBelow(msg); ok {
		msg = m
		tail.Title = "stderr of the failed run, ending"
	}
	if s := strings.TrimRight(tail.Text, "\r\n"); strings.Count(s, "\n") >= maxStderrLines {
		lines := strings.Split(s, "\n")
		tail.Text = "...\n" + strings.Join(lines[len(lines)-maxStderrLines:], "\n")
	}
	return msg, tail
}

// stderrBelow returns msg, a trial's error or event, with the end of
// stderr it quotes replaced by a pointer to the stderr the page shows
// below, and whether it quoted any.
func stderrBelow(msg string) (string, bool) {
	reason, _, ok := strings.Cut(msg, stderrQuote)
	if !ok {
		return msg, false
	}
	return reason + "; its stderr ends below", true
}

// A weighter keeps the weights of trials after their best epoch and says
// which without reading them: study.WeightStore, as dltune's stores are.
type weighter interface {
	WeightsHead(ctx context.Context, study string, number int) (*dltune.Weights, error)
}

// weightsWait bounds how long a trial page waits for a trial's weights. A
// read-only bbolt store reads them from the store itself, never from the
// snapshot a running study writes, and would wait for the run to end.
const weightsWait = 100 * time.Millisecond

// A weightsNote says whether the store keeps a trial's weights.
type weightsNote struct {
	Kept   bool
	Epoch  int    // of the weights kept
	Export string // the command that writes them to a model file
	Note   string // why not, or "" if there is nothing to say
}

// weights reads whether the store keeps trial t's weights after its best
// epoch: their epoch and loss, never the model, which may be megabytes.
func (h *Handler) weights(ctx context.Context, name string, t *dltune.Trial) weightsNote {
	ws, ok := h.src.(weighter)
	if !ok || len(t.Curve) == 0 {
		return weightsNote{}
	}
	ctx, cancel := context.WithTimeout(ctx, weightsWait)
	defer cancel()
	w, err := ws.WeightsHead(ctx, name, t.Number)
	switch {
	case errors.Is(err, dltune.ErrNotFound):
		return weightsNote{Note: "The store keeps no weights of this trial (it keeps the best trials' only): dltune export would train it again to its best epoch."}
	case err != nil:
		// Locked by a run, or slow: not an error of the page.
		if h.opt.Log != nil && !errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			h.opt.Log.Printf("dashboard: weights of trial %d of study %s: %v", t.Number, name, err)
		}
		return weightsNote{Note: "Whether the store keeps this trial's weights cannot be read while a run writes the store."}
	case !w.Match(t):
		return weightsNote{Note: "The store's weights of this trial are of an earlier run of it."}
	}
	return weightsNote{Kept: true, Epoch: w.Epoch,
		Export: fmt.Sprintf("dltune export --study %s --trial %d -o model.dltm", shellQuote(name), t.Number)}
}

// shellQuote quotes s for a POSIX shell if it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.,/:=+@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// metric formats the metric name of epoch e, or "" if it has none.
func metric(e dltune.Epoch, name string) string {
	v, ok := e.Metrics[name]
	if !ok {
		return ""
	}
	return formatLoss(v)
}
