package plot

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dltune/dltune"
	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// A run is one stretch of time a trial trained without stopping.
type run struct {
	trial      int
	start, end time.Time
	// ended is how the stretch ended: Paused at a rung, the trial's final
	// state, or Interrupted.
	ended dltune.State
	slot  int
}

// runs returns the stretches t trained, from its events: a stretch starts
// where the run loop created, resumed or promoted it and ends at its next
// event. A trial without events (an older record) ran from Started to
// Finished.
func runs(t *dltune.Trial) []run {
	var out []run
	for i, e := range t.Events {
		if !startsRun(e.What) {
			continue
		}
		r := run{trial: t.Number, start: e.Time, ended: t.State}
		if i+1 < len(t.Events) {
			next := t.Events[i+1]
			r.end = next.Time
			switch {
			case strings.HasPrefix(next.What, "paused"):
				r.ended = dltune.Paused
			case strings.HasPrefix(next.What, "interrupted"):
				r.ended = dltune.Interrupted
			}
		} else if !t.Finished.IsZero() {
			r.end = t.Finished
		} else {
			continue // still running, or its process died: no end to draw
		}
		out = append(out, r)
	}
	if len(t.Events) == 0 && !t.Started.IsZero() && !t.Finished.IsZero() {
		out = append(out, run{trial: t.Number, start: t.Started, end: t.Finished, ended: t.State})
	}
	return out
}

// lastTrials returns the runs of the n trials whose first run started
// last (all of rs if n <= 0 or no more trials ran), the start of the
// earliest of them, and how many trials ran. rs are in order of start.
func lastTrials(rs []run, n int) ([]run, time.Time, int) {
	first := map[int]time.Time{} // each trial's first start
	for _, r := range rs {
		if _, ok := first[r.trial]; !ok {
			first[r.trial] = r.start
		}
	}
	if n <= 0 || len(first) <= n {
		return rs, rs[0].start, len(first)
	}
	starts := make([]time.Time, 0, len(first))
	for _, t := range first {
		starts = append(starts, t)
	}
	slices.SortFunc(starts, time.Time.Compare)
	from := starts[len(starts)-n]
	var out []run
	seen := map[int]bool{}
	for _, r := range rs {
		if !first[r.trial].Before(from) && (seen[r.trial] || len(seen) < n) {
			seen[r.trial] = true
			out = append(out, r)
		}
	}
	return out, from, len(first)
}

// startsRun reports whether an event's text (as study's run loop writes
// it) starts a stretch of training.
func startsRun(what string) bool {
	for _, p := range []string{"created", "resumed", "promoted"} {
		if strings.HasPrefix(what, p) {
			return true
		}
	}
	return false
}

// assignSlots gives each run the lowest worker slot free at its start:
// the store does not record which worker ran a trial, and the run loop
// starts a trial as soon as a slot frees, so this is the slot it had up to
// a permutation.
func assignSlots(rs []run) int {
	slices.SortStableFunc(rs, func(a, b run) int { return a.start.Compare(b.start) })
	var busyUntil []time.Time
	for i := range rs {
		slot := -1
		for s, until := range busyUntil {
			if !until.After(rs[i].start) {
				slot = s
				break
			}
		}
		if slot < 0 {
			slot = len(busyUntil)
			busyUntil = append(busyUntil, time.Time{})
		}
		busyUntil[slot] = rs[i].end
		rs[i].slot = slot
	}
	return len(busyUntil)
}

// timeline draws every stretch of training as a bar on its worker slot
// against the time since the study's first trial started, coloured by how
// the stretch ended. If maxTrials is positive and more trials ran, it
// draws the stretches of the maxTrials trials that started last, on the
// slots they had among all.
func timeline(s *study, maxTrials int) (*Figure, error) {
	var rs []run
	for _, t := range s.trials {
		rs = append(rs, runs(t)...)
	}
	if len(rs) == 0 {
		return nil, fmt.Errorf("study %s: %w: no trial has a recorded start and end", s.name, ErrNoFinished)
	}
	slots := assignSlots(rs)
	t0 := rs[0].start
	title := studyTitle("Timeline", s)
	from := t0 // where the axis starts
	if last, start, ran := lastTrials(rs, maxTrials); len(last) < len(rs) {
		rs, from = last, start
		title = fmt.Sprintf("Timeline: study %s (the %d trials that started last, of %d)", s.name, maxTrials, ran)
	}
	span := rs[0].end.Sub(t0)
	for _, r := range rs {
		span = max(span, r.end.Sub(t0))
	}
	unit, unitName := 1.0, "s"
	if span > 10*time.Minute {
		unit, unitName = 60, "min"
	}
	if span > 10*time.Hour {
		unit, unitName = 3600, "h"
	}
	at := func(t time.Time) float64 { return t.Sub(t0).Seconds() / unit }
	p := newPlot(title+": bars name the trial (when wide enough)", fmt.Sprintf("time since the first trial started (%s)", unitName), "worker slot")
	legend := map[dltune.State]*plotter.Polygon{}
	var labels plotter.XYLabels
	for _, r := range rs {
		x0, x1 := at(r.start), at(r.end)
		y0, y1 := float64(r.slot)-0.38, float64(r.slot)+0.38
		poly, err := plotter.NewPolygon(plotter.XYs{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}})
		if err != nil {
			return nil, err
		}
		poly.Color = faded(stateColor(r.ended), 210)
		poly.LineStyle.Color = white
		poly.LineStyle.Width = vg.Points(0.8)
		p.Add(poly)
		if legend[r.ended] == nil {
			legend[r.ended] = poly
		}
		// Label a bar only if its number fits: about 1/80 of the axis
		// per digit at this size.
		label := strconv.Itoa(r.trial)
		if x1-x0 >= (at(t0.Add(span))-at(from))*float64(len(label)+1)/80 {
			labels.XYs = append(labels.XYs, plotter.XY{X: (x0 + x1) / 2, Y: float64(r.slot)})
			labels.Labels = append(labels.Labels, label)
		}
	}
	if len(labels.XYs) > 0 {
		lp, err := plotter.NewLabels(labels)
		if err != nil {
			return nil, err
		}
		for i := range lp.TextStyle {
			lp.TextStyle[i].Font.Size = vg.Points(9)
			lp.TextStyle[i].Color = white
			lp.TextStyle[i].XAlign = draw.XCenter
			lp.TextStyle[i].YAlign = draw.YCenter
		}
		p.Add(lp)
	}
	names := map[dltune.State]string{
		dltune.Complete: "ran to completion", dltune.Paused: "paused at a rung", dltune.Pruned: "pruned",
		dltune.Failed: "failed", dltune.Interrupted: "interrupted", dltune.Running: "running",
	}
	for _, st := range []dltune.State{dltune.Complete, dltune.Paused, dltune.Pruned, dltune.Failed, dltune.Interrupted, dltune.Running} {
		if l := legend[st]; l != nil {
			p.Legend.Add(names[st], l)
		}
	}
	var ticks []gplot.Tick
	for i := range slots {
		ticks = append(ticks, gplot.Tick{Value: float64(i), Label: strconv.Itoa(i + 1)})
	}
	p.Y.Tick.Marker = gplot.ConstantTicks(ticks)
	p.Y.Min, p.Y.Max = -0.6, float64(slots)-0.4+0.25*float64(len(legend))
	p.X.Min = at(from)
	f := single(p)
	f.Height = vg.Length(min(max(slots, 2), 12))*1.8*vg.Centimeter + 6*vg.Centimeter
	return f, nil
}
