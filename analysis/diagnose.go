package analysis

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/dltune/dltune"
)

// A Problem is a kind of training trouble Diagnose can find.
type Problem string

// The problems Diagnose finds.
const (
	Divergence Problem = "divergence"
	Exploding  Problem = "exploding gradients"
	Vanishing  Problem = "vanishing gradients"
	DeadReLU   Problem = "dead ReLUs"
	Overfit    Problem = "overfitting"
	Underfit   Problem = "underfitting"
	HighLR     Problem = "learning rate too high"
)

// A Finding is one problem in a trial's training and its evidence.
type Finding struct {
	Problem Problem `json:"problem"`
	// Epoch is the epoch the problem shows from.
	Epoch int `json:"epoch"`
	// Layers are the layers it concerns, input side first; none for a
	// problem of the whole network.
	Layers []string `json:"layers,omitempty"`
	// Evidence says what was measured, with the numbers.
	Evidence string `json:"evidence"`
}

// String is the finding in words: "vanishing gradients in dense1 from
// epoch 3: ...".
func (f Finding) String() string {
	s := string(f.Problem)
	if len(f.Layers) > 0 {
		s += " in " + strings.Join(f.Layers, ", ")
	}
	return fmt.Sprintf("%s from epoch %d: %s", s, f.Epoch, f.Evidence)
}

// The thresholds of Diagnose. They are deliberately coarse: a finding
// should be plain in the numbers it quotes.
const (
	// vanishRatio: a layer whose gradient RMS is below this fraction of the
	// output layer's is not learning at the output layer's pace.
	vanishRatio = 0.01
	// explodeRMS and explodeGrowth: gradients above this RMS, or grown
	// this many times since the first epoch, are exploding.
	explodeRMS    = 10.0
	explodeGrowth = 100.0
	// deadShare: a layer with at least this share of dead ReLU units has
	// lost much of its capacity.
	deadShare = 0.5
	// overfitRise: validation loss this far above its best while training
	// loss still falls is overfitting.
	overfitRise = 0.10
	// underfitDrop: training loss that fell by less than this share of its
	// first epoch's value has barely learned.
	underfitDrop = 0.10
	// minUnderfitEpochs: a trial must train this long to be called
	// underfitting; most trials halving stops at 1 or 3 epochs barely
	// started.
	minUnderfitEpochs = 5
	// riseStep and riseShare: a learning rate is too high when training
	// loss rises by more than riseStep from one epoch to the next in at
	// least riseShare of the epochs. (A quarter flagged the quickstart's
	// third-best trial, whose loss only jitters.)
	riseStep  = 0.05
	riseShare = 1.0 / 3
	// blowUp: training loss that ends this many times above its lowest
	// has diverged.
	blowUp = 10.0
)

// Diagnose reads a trial's learning curve and per-layer diagnostics and
// says what went wrong, most fundamental first: divergence, exploding or
// vanishing gradients, dead ReLUs, a learning rate too high, overfitting,
// underfitting. Each finding quotes its evidence. A healthy trial gets
// none; so does a trial without epochs, unless it failed by diverging.
func Diagnose(t *dltune.Trial) []Finding {
	c := t.Curve
	if f, ok := divergence(c); ok {
		return []Finding{f} // what follows a divergence is noise
	}
	if f, ok := failedDivergence(t); ok {
		return []Finding{f} // and so is what comes before it
	}
	if len(c) == 0 {
		return nil
	}
	var out []Finding
	out = append(out, gradientFindings(c)...)
	if f, ok := deadReLUs(c); ok {
		out = append(out, f)
	}
	lr, tooHigh := highLR(c)
	if tooHigh {
		out = append(out, lr)
	}
	if f, ok := overfitting(c); ok {
		out = append(out, f)
	} else if f, ok := underfitting(c); ok && !tooHigh {
		// A loss that jumps about has not learned for that reason.
		out = append(out, f)
	}
	return out
}

func divergence(c []dltune.Epoch) (Finding, bool) {
	if len(c) == 0 {
		return Finding{}, false
	}
	lo, at := math.Inf(1), 0
	for _, e := range c {
		for _, v := range []struct {
			name string
			x    float64
		}{{"train_loss", e.TrainLoss}, {"val_loss", e.ValLoss}} {
			if math.IsNaN(v.x) || math.IsInf(v.x, 0) {
				return Finding{Problem: Divergence, Epoch: e.Epoch, Evidence: fmt.Sprintf("%s is %v at epoch %d", v.name, v.x, e.Epoch)}, true
			}
		}
		if e.TrainLoss < lo {
			lo, at = e.TrainLoss, e.Epoch
		}
	}
	last := c[len(c)-1]
	if lo > 0 && last.TrainLoss > blowUp*lo {
		// Where it left the low for good: the first epoch past the low
		// from which the loss stays above twice the low.
		from := last.Epoch
		for i := len(c) - 1; i >= 0 && c[i].Epoch > at && c[i].TrainLoss > 2*lo; i-- {
			from = c[i].Epoch
		}
		return Finding{Problem: Divergence, Epoch: from, Evidence: fmt.Sprintf("train_loss rose from %s at epoch %d to %s at epoch %d (×%s)",
			g(lo), at, g(last.TrainLoss), last.Epoch, g(last.TrainLoss/lo))}, true
	}
	return Finding{}, false
}

// failedDivergence finds the divergence that failed t in an epoch its
// curve does not hold: the trainer stops on a NaN or an infinity before
// it records the epoch, and says where in the trial's error ("diverged at
// epoch 3, batch 17: NaN in gradient of dense2", core.DivergenceError).
func failedDivergence(t *dltune.Trial) (Finding, bool) {
	const says = "diverged at epoch "
	i := strings.Index(t.Error, says)
	if t.State != dltune.Failed || i < 0 {
		return Finding{}, false
	}
	msg := t.Error[i:]
	digits := strings.TrimLeft(msg[len(says):], "0123456789")
	epoch, err := strconv.Atoi(msg[len(says) : len(msg)-len(digits)])
	if err != nil {
		return Finding{}, false
	}
	ev := "training stopped: " + msg
	if c := t.Curve; len(c) > 0 {
		last := c[len(c)-1]
		ev += fmt.Sprintf(", after train_loss %s and val_loss %s at epoch %d", g(last.TrainLoss), g(last.ValLoss), last.Epoch)
	}
	return Finding{Problem: Divergence, Epoch: epoch, Evidence: ev}, true
}

// gradientFindings looks for exploding gradients in any layer and for
// layers whose gradients vanish relative to the output layer's.
func gradientFindings(c []dltune.Epoch) []Finding {
	first := c[0].Layers
	var out []Finding
	// Exploding: the first epoch from which some layer's RMS is too large
	// or grew too much.
	for _, e := range c {
		var layers, ev []string
		for i, l := range e.Layers {
			grown := i < len(first) && first[i].GradRMS > 0 && l.GradRMS > explodeGrowth*first[i].GradRMS
			if l.GradRMS > explodeRMS || grown {
				layers = append(layers, l.Name)
				s := fmt.Sprintf("%s grad_rms %s", l.Name, g(l.GradRMS))
				if i < len(first) {
					s += fmt.Sprintf(" (%s at epoch %d)", g(first[i].GradRMS), c[0].Epoch)
				}
				ev = append(ev, s)
			}
		}
		if len(layers) > 0 {
			out = append(out, Finding{Problem: Exploding, Epoch: e.Epoch, Layers: layers,
				Evidence: fmt.Sprintf("at epoch %d %s; max |gradient| %s", e.Epoch, strings.Join(ev, ", "), g(maxGrad(e.Layers)))})
			break
		}
	}
	// Vanishing: the layers below vanishRatio of the output layer's RMS at
	// the last epoch, each since the epoch from which it stayed there.
	last := c[len(c)-1]
	vanished := vanishedLayers(last.Layers)
	if len(vanished) == 0 {
		return out
	}
	top := last.Layers[len(last.Layers)-1]
	var names, ev []string
	from := last.Epoch
	for _, i := range vanished {
		since := last.Epoch
		for k := len(c) - 1; k >= 0 && slices.Contains(vanishedLayers(c[k].Layers), i); k-- {
			since = c[k].Epoch
		}
		from = min(from, since)
		l := last.Layers[i]
		names = append(names, l.Name)
		ev = append(ev, fmt.Sprintf("%s %s (since epoch %d)", l.Name, g(l.GradRMS), since))
	}
	return append(out, Finding{Problem: Vanishing, Epoch: from, Layers: names,
		Evidence: fmt.Sprintf("at epoch %d grad_rms %s, below %s of the output layer %s's %s",
			last.Epoch, strings.Join(ev, ", "), g(vanishRatio), top.Name, g(top.GradRMS))})
}

// vanishedLayers returns the indices of the layers whose gradient RMS is
// below vanishRatio of the output layer's (the last).
func vanishedLayers(ls []dltune.LayerStats) []int {
	if len(ls) < 2 {
		return nil
	}
	top := ls[len(ls)-1].GradRMS
	if top <= 0 {
		return nil
	}
	var v []int
	for i, l := range ls[:len(ls)-1] {
		if l.GradRMS < vanishRatio*top {
			v = append(v, i)
		}
	}
	return v
}

func maxGrad(ls []dltune.LayerStats) float64 {
	m := 0.0
	for _, l := range ls {
		m = max(m, l.GradMax)
	}
	return m
}

// deadReLUs finds layers with at least deadShare of their ReLU units dead
// at the last epoch, and says since when.
func deadReLUs(c []dltune.Epoch) (Finding, bool) {
	last := c[len(c)-1]
	var names, ev []string
	from := last.Epoch
	for i, l := range last.Layers {
		if l.DeadFraction < deadShare {
			continue
		}
		names = append(names, l.Name)
		since := last.Epoch
		for k := len(c) - 1; k >= 0 && i < len(c[k].Layers) && c[k].Layers[i].DeadFraction >= deadShare; k-- {
			since = c[k].Epoch
		}
		from = min(from, since)
		ev = append(ev, fmt.Sprintf("%.0f%% of %s's units (since epoch %d)", 100*l.DeadFraction, l.Name, since))
	}
	if len(names) == 0 {
		return Finding{}, false
	}
	return Finding{Problem: DeadReLU, Epoch: from, Layers: names,
		Evidence: fmt.Sprintf("at epoch %d %s output zero for every sample of the last batch", last.Epoch, strings.Join(ev, ", "))}, true
}

// highLR finds a training loss that keeps jumping up: an average over an
// epoch rarely rises when the step size suits the loss surface.
func highLR(c []dltune.Epoch) (Finding, bool) {
	if len(c) < 4 {
		return Finding{}, false
	}
	var rises []string
	worst, from := 0.0, -1
	for i := 1; i < len(c); i++ {
		if r := c[i].TrainLoss/c[i-1].TrainLoss - 1; c[i-1].TrainLoss > 0 && r > riseStep {
			rises = append(rises, strconv.Itoa(c[i].Epoch))
			worst = max(worst, r)
			if from < 0 {
				from = i
			}
		}
	}
	if len(rises) < 2 || float64(len(rises)) < riseShare*float64(len(c)-1) {
		return Finding{}, false
	}
	return Finding{Problem: HighLR, Epoch: c[from].Epoch,
		Evidence: fmt.Sprintf("train_loss rose in %d of %d epochs (epochs %s, by up to %.0f%%) at lr %s",
			len(rises), len(c)-1, strings.Join(rises, ", "), 100*worst, g(c[from].LearningRate))}, true
}

// overfitting finds the epoch after which validation loss turns up while
// training loss goes on falling.
func overfitting(c []dltune.Epoch) (Finding, bool) {
	best := 0
	for i, e := range c {
		if e.ValLoss < c[best].ValLoss {
			best = i
		}
	}
	// The rise must last: at least 2 epochs and a fifth of the curve, so
	// that noise in the last epochs of a good trial is not overfitting.
	last := len(c) - 1
	if last-best < max(2, len(c)/5) {
		return Finding{}, false
	}
	b, l := c[best], c[last]
	if l.ValLoss <= b.ValLoss*(1+overfitRise) || l.TrainLoss >= b.TrainLoss {
		return Finding{}, false
	}
	return Finding{Problem: Overfit, Epoch: b.Epoch,
		Evidence: fmt.Sprintf("val_loss rose from %s at epoch %d to %s at epoch %d (+%.0f%%) while train_loss fell from %s to %s",
			g(b.ValLoss), b.Epoch, g(l.ValLoss), l.Epoch, 100*(l.ValLoss/b.ValLoss-1), g(b.TrainLoss), g(l.TrainLoss))}, true
}

// underfitting finds a training loss that barely fell over several
// epochs, with validation loss as high: the model does not fit even the
// data it sees.
func underfitting(c []dltune.Epoch) (Finding, bool) {
	if len(c) < minUnderfitEpochs {
		return Finding{}, false
	}
	f, l := c[0], c[len(c)-1]
	if f.TrainLoss <= 0 || l.TrainLoss < f.TrainLoss*(1-underfitDrop) || l.ValLoss < l.TrainLoss*(1-underfitDrop) {
		return Finding{}, false
	}
	return Finding{Problem: Underfit, Epoch: f.Epoch,
		Evidence: fmt.Sprintf("train_loss fell only from %s to %s (%+.0f%%) over %s, and val_loss is %s",
			g(f.TrainLoss), g(l.TrainLoss), 100*(l.TrainLoss/f.TrainLoss-1), plural(len(c), "epoch"), g(l.ValLoss))}, true
}

// g formats a number for a finding: 3 significant digits.
func g(x float64) string { return strconv.FormatFloat(x, 'g', 3, 64) }
