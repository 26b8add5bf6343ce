package dashboard

import (
	"cmp"
	"encoding/json"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"slices"
	"strconv"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/plot"
	"github.com/dltune/dltune/study"
)

// The interactive charts (static/charts.js) draw the numbers of small JSON
// documents: a trial's learning curve, a study's history, and the curves
// of its best trials. They hold numbers and state names only, nothing a
// page must escape.

// topCurves bounds the curves of the study page's chart: the best trials
// only, so that a study of 10,000 trials sends as little as one of 20.
const topCurves = 20

// maxChartEpochs bounds the epochs of a curve a chart shows; past it,
// the SVG plots show the rest.
const maxChartEpochs = 5000

// A studyPlot is a plot of the study page: a chart drawn from JSON when
// Chart is not "", else the SVG image of Kind alone.
type studyPlot struct {
	Study       string
	Kind        plot.Kind
	Chart, JSON string // the kind of chart (static/charts.js) and its data
}

// plotOf returns what the study page shows for kind.
func plotOf(name string, kind plot.Kind) studyPlot {
	p := studyPlot{Study: name, Kind: kind}
	switch kind {
	case plot.History:
		p.Chart, p.JSON = "history", "history.json"
	case plot.Curves:
		p.Chart, p.JSON = "top", "curves.json"
	}
	return p
}

// noteSVG returns an image saying note: what the study page shows for a
// plot that cannot be drawn yet.
func noteSVG(note string) []byte {
	return fmt.Appendf(nil, `<svg xmlns="http://www.w3.org/2000/svg" width="640" height="48" viewBox="0 0 640 48">`+
		`<text x="8" y="30" font-family="sans-serif" font-size="14" fill="#777">%s</text></svg>`, template.HTMLEscapeString(note))
}

// A num is a number in a chart's JSON: null when it is not finite (the
// loss of a diverged trial), else rounded to 6 significant digits.
type num float64

func (x num) MarshalJSON() ([]byte, error) {
	f := float64(x)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, f, 'g', 6, 64), nil
}

// A curveChart is a trial's learning curve by epoch.
type curveChart struct {
	Trial int    `json:"trial"`
	State string `json:"state"`
	// Epoch holds the epochs, 1-based; the other slices are aligned with
	// it.
	Epoch []int `json:"epoch"`
	Train []num `json:"train"`
	Val   []num `json:"val"`
	// Acc is the validation accuracy, for a classifier only.
	Acc []num `json:"acc,omitempty"`
	// Best is the epoch of the lowest validation loss, 0 if none.
	Best int `json:"best"`
}

func newCurveChart(t *dltune.Trial) *curveChart {
	c := &curveChart{Trial: t.Number, State: t.State.String(), Epoch: []int{}, Train: []num{}, Val: []num{}, Best: study.BestEpoch(t)}
	curve := t.Curve
	if len(curve) > maxChartEpochs {
		curve = curve[:maxChartEpochs]
	}
	acc := false
	for _, e := range curve {
		c.Epoch = append(c.Epoch, e.Epoch)
		c.Train = append(c.Train, num(e.TrainLoss))
		c.Val = append(c.Val, num(e.ValLoss))
		acc = acc || e.HasAccuracy
	}
	if acc {
		for _, e := range curve {
			a := math.NaN()
			if e.HasAccuracy {
				a = e.ValAccuracy
			}
			c.Acc = append(c.Acc, num(a))
		}
	}
	return c
}

func (h *Handler) curve(w http.ResponseWriter, r *http.Request) {
	n, ok := h.trialNumber(w, r)
	if !ok {
		return
	}
	t, err := h.src.Trial(r.Context(), r.PathValue("study"), n)
	if err != nil {
		h.failErr(w, err)
		return
	}
	h.writeJSON(w, r, newCurveChart(t))
}

// A historyChart is the objective of each finished trial with a finite
// loss, in trial order, and the best so far: the data of plot.History.
type historyChart struct {
	Trial []int `json:"trial"`
	Loss  []num `json:"loss"`
	// State indexes States: a small number per trial rather than a word.
	State  []int    `json:"state"`
	States []string `json:"states"`
	// Best is the best loss so far over complete trials (over all, in a
	// study with none complete), null before the first.
	Best []num `json:"best"`
}

// newHistoryChart returns the history of the trials whose leaderboard
// rows are rows, in any order.
func newHistoryChart(rows []study.Row) *historyChart {
	c := &historyChart{Trial: []int{}, Loss: []num{}, State: []int{}, Best: []num{}}
	var scored []*study.Row
	complete := false
	for i := range rows {
		r := &rows[i]
		if r.State.Finished() && r.ValLoss != nil && !math.IsInf(*r.ValLoss, 0) && !math.IsNaN(*r.ValLoss) {
			scored = append(scored, r)
			complete = complete || r.State == dltune.Complete
		}
	}
	slices.SortFunc(scored, func(a, b *study.Row) int { return cmp.Compare(a.Trial, b.Trial) })
	index := map[dltune.State]int{}
	best := math.Inf(1)
	for _, r := range scored {
		i, ok := index[r.State]
		if !ok {
			i = len(c.States)
			index[r.State] = i
			c.States = append(c.States, r.State.String())
		}
		l := *r.ValLoss
		if (!complete || r.State == dltune.Complete) && l < best {
			best = l
		}
		c.Trial = append(c.Trial, r.Trial)
		c.Loss = append(c.Loss, num(l))
		c.State = append(c.State, i)
		c.Best = append(c.Best, num(best)) // +Inf, so null, before the first
	}
	return c
}

// The history and the best curves come from the study's view, which the
// study page read and ranked once for the study's revision: at 10,000
// trials, reading the trials again for each chart took 0.6 s.

func (h *Handler) history(w http.ResponseWriter, r *http.Request) {
	v, err := h.view(r.Context(), r.PathValue("study"))
	if err != nil {
		h.failErr(w, err)
		return
	}
	h.writeJSON(w, r, newHistoryChart(v.rows))
}

// A topChart is the validation loss by epoch of a study's best trials.
type topChart struct {
	Epoch  []int      `json:"epoch"`
	Trials []topCurve `json:"trials"`
	// Of is how many trials have a loss: more than len(Trials) when the
	// chart leaves some out.
	Of int `json:"of"`
}

type topCurve struct {
	Trial int    `json:"trial"`
	State string `json:"state"`
	// Val is aligned with topChart.Epoch; null past the trial's last
	// epoch.
	Val []num `json:"val"`
}

// bestTrials returns the numbers of the first top trials with a loss of
// the ranked rows, and how many have one.
func bestTrials(rows []study.Row, top int) (numbers []int, of int) {
	for _, r := range rows {
		if r.ValLoss == nil || math.IsNaN(*r.ValLoss) {
			continue
		}
		if of++; len(numbers) < top {
			numbers = append(numbers, r.Trial)
		}
	}
	return numbers, of
}

// newTopChart returns the curves of trials, best first, of the of trials
// with a loss.
func newTopChart(trials []*dltune.Trial, of int) *topChart {
	c := &topChart{Epoch: []int{}, Trials: []topCurve{}, Of: of}
	epochs := 0
	for _, t := range trials {
		for _, e := range t.Curve {
			epochs = max(epochs, e.Epoch)
		}
	}
	epochs = min(epochs, maxChartEpochs)
	for e := 1; e <= epochs; e++ {
		c.Epoch = append(c.Epoch, e)
	}
	for _, t := range trials {
		tc := topCurve{Trial: t.Number, State: t.State.String(), Val: make([]num, epochs)}
		for i := range tc.Val {
			tc.Val[i] = num(math.NaN())
		}
		for _, e := range t.Curve {
			if e.Epoch >= 1 && e.Epoch <= epochs {
				tc.Val[e.Epoch-1] = num(e.ValLoss)
			}
		}
		c.Trials = append(c.Trials, tc)
	}
	return c
}

// topCurves serves the curves of the topCurves best trials, in the
// leaderboard's order (running trials included), read one by one.
func (h *Handler) topCurves(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	name := r.PathValue("study")
	v, err := h.view(ctx, name)
	if err != nil {
		h.failErr(w, err)
		return
	}
	numbers, of := bestTrials(v.rows, topCurves)
	trials := make([]*dltune.Trial, 0, len(numbers))
	for _, n := range numbers {
		t, err := h.src.Trial(ctx, name, n)
		if err != nil {
			h.failErr(w, err)
			return
		}
		trials = append(trials, t)
	}
	h.writeJSON(w, r, newTopChart(trials, of))
}

// writeJSON writes v as JSON. The numbers change as trials train:
// no-cache.
func (h *Handler) writeJSON(w http.ResponseWriter, r *http.Request, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		h.failErr(w, fmt.Errorf("chart data: %w", err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	writeBody(w, r, data)
}
