package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/study"
)

// progress shows a running study: a live bar on a terminal, one log line per
// trial that ends otherwise.
type progress struct {
	w       io.Writer
	bar     *progressbar.ProgressBar
	verbose bool
}

// newProgress returns the display of a study; verbose logs every epoch
// instead of drawing a bar.
func newProgress(w io.Writer, name string, budget int, verbose bool) *progress {
	p := &progress{w: w, verbose: verbose}
	if f, ok := w.(*os.File); ok && !verbose && term.IsTerminal(int(f.Fd())) {
		p.bar = progressbar.NewOptions(budget,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription(name),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(false),
			progressbar.OptionSetElapsedTime(false),
			progressbar.OptionShowDescriptionAtLineEnd(),
			progressbar.OptionSetWidth(24),
			progressbar.OptionThrottle(100*time.Millisecond),
		)
	}
	return p
}

// update is study.Options.Progress.
func (p *progress) update(s study.Status) {
	if p.bar == nil {
		if p.verbose {
			for _, e := range s.Epochs {
				fmt.Fprintln(p.w, epochLine(e))
			}
		}
		for _, t := range s.Ended {
			fmt.Fprintln(p.w, trialLine(t, s))
		}
		return
	}
	if p.bar.GetMax() != s.Budget {
		p.bar.ChangeMax(s.Budget)
	}
	p.bar.Describe(statusLine(s))
	_ = p.bar.Set(s.Finished)
}

// close ends the live display.
func (p *progress) close() {
	if p.bar != nil {
		_ = p.bar.Exit()
		fmt.Fprintln(p.w)
	}
}

func statusLine(s study.Status) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d running", s.Running)
	if s.Failed > 0 {
		fmt.Fprintf(&b, ", %d failed", s.Failed)
	}
	if !math.IsInf(s.Best, 1) {
		fmt.Fprintf(&b, " · best %.4g (trial %d)", s.Best, s.BestTrial)
	}
	fmt.Fprintf(&b, " · %s", s.Elapsed.Round(time.Second))
	if s.Left > 0 {
		fmt.Fprintf(&b, " · ~%s left", s.Left.Round(time.Second))
	}
	return b.String()
}

// epochLine is the log line of an epoch, for --verbose.
func epochLine(te study.TrialEpoch) string {
	e := te.Epoch
	var b strings.Builder
	fmt.Fprintf(&b, "trial %d epoch %d/%d: train_loss %.4g val_loss %.4g", te.Trial, e.Epoch, te.Budget, e.TrainLoss, e.ValLoss)
	if e.HasAccuracy {
		fmt.Fprintf(&b, " val_acc %.4f", e.ValAccuracy)
	}
	fmt.Fprintf(&b, " lr %.3g (%.2fs)", e.LearningRate, e.Seconds)
	return b.String()
}

// trialLine is the log line of a trial that ended.
func trialLine(t *dltune.Trial, s study.Status) string {
	var b strings.Builder
	fmt.Fprintf(&b, "trial %d %s", t.Number, t.State)
	fmt.Fprintf(&b, " after %s", plural(t.Epochs(), "epoch"))
	if l := t.Loss(); !math.IsInf(l, 1) {
		fmt.Fprintf(&b, ": val_loss %.4g", l)
	}
	if t.Error != "" {
		fmt.Fprintf(&b, ": %s", clean(errorLine(t)))
	}
	if len(t.Params) > 0 {
		fmt.Fprintf(&b, " [%s]", paramString(t.Params))
	}
	fmt.Fprintf(&b, " · %d/%d finished", s.Finished, s.Budget)
	if !math.IsInf(s.Best, 1) {
		fmt.Fprintf(&b, ", best %.4g (trial %d)", s.Best, s.BestTrial)
	}
	return b.String()
}

// paramString formats params as name=value pairs in name order.
func paramString(p dltune.Params) string {
	var parts []string
	for _, n := range p.Names() {
		v := p[n]
		s := v.String()
		if v.Kind == dltune.KindFloat {
			s = num(v.Num)
		}
		parts = append(parts, clean(n)+"="+clean(s))
	}
	return strings.Join(parts, " ")
}

// errorLine returns t's error for a line of the log: without the "trial
// N: " it begins with, which the line says already, and of the end of a
// program's stderr that it quotes only the last line, where a program
// says what went wrong (dltune show prints the rest).
func errorLine(t *dltune.Trial) string {
	msg := strings.TrimPrefix(t.Error, fmt.Sprintf("trial %d: ", t.Number))
	reason, quote, ok := strings.Cut(msg, stderrQuote)
	if !ok {
		return msg
	}
	lines := strings.Split(strings.TrimRight(quote, "\n"), "\n")
	return reason + "; stderr ends: " + strings.TrimSpace(lines[len(lines)-1])
}
