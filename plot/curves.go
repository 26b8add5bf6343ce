package plot

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/dltune/dltune"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// curves draws each trial's validation loss by epoch. A trial that stopped
// before the study's most epochs ends in a marker: a cross if pruned, a
// ring if paused at a rung. The rungs of a halving study are dashed
// vertical lines. If maxCurves is positive and the study has more trials,
// it draws those of the maxCurves lowest losses.
func curves(s *study, maxCurves int) (*Figure, error) {
	title := studyTitle("Learning curves", s)
	drawn := s.trials
	if n := len(s.trials); maxCurves > 0 && n > maxCurves {
		drawn = bestTrials(s.trials, maxCurves)
		title = fmt.Sprintf("Learning curves: study %s (the best %d of %d trials)", s.name, maxCurves, n)
	}
	p := newPlot(title, "epoch", "validation loss")
	maxEpochs := s.spec.MaxEpochs()
	var all, first []float64
	for _, t := range drawn {
		for i, e := range t.Curve {
			if finite(e.ValLoss) {
				all = append(all, e.ValLoss)
				if i == 0 {
					first = append(first, e.ValLoss)
				}
			}
		}
	}
	if len(all) == 0 {
		return nil, fmt.Errorf("study %s: %w: no trial has a validation loss", s.name, ErrNoFinished)
	}
	// Draw complete trials first and the cut-short ones above them, so
	// that what stopped early stays visible.
	order := map[dltune.State]int{dltune.Complete: 0, dltune.Failed: 1, dltune.Paused: 2, dltune.Pruned: 3}
	trials := slices.Clone(drawn)
	slices.SortStableFunc(trials, func(a, b *dltune.Trial) int { return order[a.State] - order[b.State] })
	ends := map[dltune.State]plotter.XYs{}
	legend := map[dltune.State]*plotter.Line{}
	for _, t := range trials {
		var xys plotter.XYs
		for _, e := range t.Curve {
			if finite(e.ValLoss) {
				xys = append(xys, plotter.XY{X: float64(e.Epoch), Y: e.ValLoss})
			}
		}
		if len(xys) == 0 {
			continue
		}
		c := stateColor(t.State)
		l := line(xys, faded(c, 170), 1.2)
		p.Add(l)
		if legend[t.State] == nil {
			legend[t.State] = line(nil, c, 2)
		}
		if t.Epochs() < maxEpochs && t.State != dltune.Complete {
			ends[t.State] = append(ends[t.State], xys[len(xys)-1])
		}
	}
	labels := map[dltune.State]string{
		dltune.Complete: "complete", dltune.Pruned: "pruned (× where cut)", dltune.Paused: "paused at a rung (○)",
		dltune.Failed: "failed", dltune.Running: "running", dltune.Interrupted: "interrupted",
	}
	for _, st := range []dltune.State{dltune.Complete, dltune.Pruned, dltune.Paused, dltune.Failed, dltune.Running, dltune.Interrupted} {
		if l := legend[st]; l != nil {
			p.Legend.Add(fmt.Sprintf("%s: %d", labels[st], count(drawn, st)), l)
		}
	}
	if e := ends[dltune.Pruned]; len(e) > 0 {
		p.Add(scatter(e, red, draw.CrossGlyph{}, 4))
	}
	if e := ends[dltune.Paused]; len(e) > 0 {
		p.Add(scatter(e, orange, draw.RingGlyph{}, 4))
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range all {
		lo = min(lo, v)
	}
	// The top is the worst first epoch, not a diverged trial's last.
	for _, v := range first {
		hi = max(hi, v)
	}
	hi = max(hi, lo*1.01)
	if wide(all) {
		logY(p)
		p.Y.Min, p.Y.Max = lo/1.1, hi*1.1
	} else {
		p.Y.Min, p.Y.Max = lo-0.05*(hi-lo), hi+0.15*(hi-lo) // room for the legend
	}
	rungs := s.spec.Rungs()
	for i, r := range rungs {
		rl := line(plotter.XYs{{X: float64(r), Y: p.Y.Min}, {X: float64(r), Y: p.Y.Max}}, grey, 1)
		rl.Dashes = []vg.Length{vg.Points(5), vg.Points(4)}
		p.Add(rl)
		if i == 0 {
			p.Legend.Add(fmt.Sprintf("rungs at %s epochs", joinInts(rungs)), rl)
		}
	}
	p.X.Min, p.X.Max = 0.5, float64(maxEpochs)+0.5
	p.X.Tick.Marker = intTicks{}
	return single(p), nil
}

// bestTrials returns the n trials of lowest loss, by number; a trial
// without a finite loss comes after every trial with one.
func bestTrials(trials []*dltune.Trial, n int) []*dltune.Trial {
	loss := func(t *dltune.Trial) float64 {
		if l := t.Loss(); finite(l) {
			return l
		}
		return math.Inf(1)
	}
	best := slices.Clone(trials)
	slices.SortStableFunc(best, func(a, b *dltune.Trial) int { return cmp.Compare(loss(a), loss(b)) })
	best = best[:min(n, len(best))]
	slices.SortFunc(best, func(a, b *dltune.Trial) int { return cmp.Compare(a.Number, b.Number) })
	return best
}

func count(trials []*dltune.Trial, st dltune.State) int {
	n := 0
	for _, t := range trials {
		if t.State == st {
			n++
		}
	}
	return n
}

func joinInts(v []int) string {
	s := ""
	for i, x := range v {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprint(x)
	}
	return s
}
