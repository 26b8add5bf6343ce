package dashboard

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/study"
)

func TestNumJSON(t *testing.T) {
	cases := []struct {
		x    float64
		want string
	}{
		{0.1, "0.1"},
		{1.0 / 3, "0.333333"},
		{1e-7, "1e-07"},
		{123456789, "1.23457e+08"},
		{-2.5, "-2.5"},
		{math.NaN(), "null"},
		{math.Inf(1), "null"},
		{math.Inf(-1), "null"},
	}
	for _, c := range cases {
		got, err := json.Marshal([]num{num(c.x)})
		if err != nil {
			t.Fatalf("%g: %v", c.x, err)
		}
		if string(got) != "["+c.want+"]" {
			t.Errorf("%g: %s, want [%s]", c.x, got, c.want)
		}
		var back []*float64
		if err := json.Unmarshal(got, &back); err != nil {
			t.Errorf("%g: %s does not parse: %v", c.x, got, err)
		}
	}
}

// getJSON serves target and decodes its JSON into v.
func getJSON(t *testing.T, h http.Handler, target string, v any) {
	t.Helper()
	code, hd, body := get(t, h, target)
	if code != 200 || hd.Get("Content-Type") != "application/json" {
		t.Fatalf("%s: status %d, type %q: %s", target, code, hd.Get("Content-Type"), body)
	}
	if strings.ContainsAny(body, "<>") {
		t.Errorf("%s holds markup: %s", target, body)
	}
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("%s: %v: %s", target, err, body)
	}
}

// chart is a chart's JSON as the browser reads it: null is nil.
type chart struct {
	Trial  any             `json:"trial"`
	State  any             `json:"state"`
	Epoch  []int           `json:"epoch"`
	Train  []*float64      `json:"train"`
	Val    []*float64      `json:"val"`
	Acc    []*float64      `json:"acc"`
	Best   json.RawMessage `json:"best"` // an epoch, or the best losses so far
	Loss   []*float64      `json:"loss"`
	States []string        `json:"states"`
	Trials []chartCurve    `json:"trials"`
	Of     int             `json:"of"`
}

type chartCurve struct {
	Trial int        `json:"trial"`
	Val   []*float64 `json:"val"`
}

func floats(p []*float64) []float64 {
	var v []float64
	for _, x := range p {
		if x == nil {
			v = append(v, math.NaN())
		} else {
			v = append(v, math.Round(*x*1e5)/1e5)
		}
	}
	return v
}

func sameFloats(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !(a[i] == b[i] || math.IsNaN(a[i]) && math.IsNaN(b[i])) {
			return false
		}
	}
	return true
}

func TestChartJSON(t *testing.T) {
	db := newStore(t)
	ctx := context.Background()
	// Trial 4 diverged: its losses turn NaN, then infinite.
	t0 := time.Now()
	diverged := &dltune.Trial{Params: dltune.Params{"lr": dltune.Float(0.009), "note": dltune.String("plain")}, State: dltune.Failed,
		Budget: 4, RetryOf: -1, Created: t0, Started: t0, Finished: t0, Error: "loss diverged",
		Curve: []dltune.Epoch{
			{Epoch: 1, TrainLoss: 0.9, ValLoss: 0.8, ValAccuracy: 0.5, HasAccuracy: true},
			{Epoch: 2, TrainLoss: math.NaN(), ValLoss: math.Inf(1), ValAccuracy: 0.25, HasAccuracy: true},
		}}
	if err := db.CreateTrial(ctx, "tiny", diverged); err != nil {
		t.Fatal(err)
	}
	h := New(db, nil)
	nan := math.NaN()

	var c chart
	getJSON(t, h, "/study/tiny/trial/0/curve.json", &c)
	// newStore: trial 0 has val loss 1/e + 0.1 at epoch e, train 0.9 of it.
	if !reflect.DeepEqual(c.Epoch, []int{1, 2, 3, 4}) || string(c.Best) != "4" || c.Acc != nil {
		t.Errorf("trial 0: epochs %v, best %v, acc %v; want 1..4, 4, none", c.Epoch, c.Best, c.Acc)
	}
	if got, want := floats(c.Val), []float64{1.1, 0.6, 0.43333, 0.35}; !sameFloats(got, want) {
		t.Errorf("trial 0: val %v, want %v", got, want)
	}
	if got, want := floats(c.Train), []float64{0.99, 0.54, 0.39, 0.315}; !sameFloats(got, want) {
		t.Errorf("trial 0: train %v, want %v", got, want)
	}

	c = chart{}
	getJSON(t, h, "/study/tiny/trial/4/curve.json", &c)
	if got, want := floats(c.Val), []float64{0.8, nan}; !sameFloats(got, want) {
		t.Errorf("diverged trial: val %v, want %v", got, want)
	}
	if got, want := floats(c.Train), []float64{0.9, nan}; !sameFloats(got, want) {
		t.Errorf("diverged trial: train %v, want %v", got, want)
	}
	if got, want := floats(c.Acc), []float64{0.5, 0.25}; !sameFloats(got, want) || string(c.Best) != "1" {
		t.Errorf("diverged trial: acc %v, best %v; want %v, 1", got, c.Best, want)
	}

	c = chart{}
	getJSON(t, h, "/study/tiny/trial/3/curve.json", &c)
	if c.Epoch == nil || len(c.Epoch) != 0 || string(c.Best) != "0" {
		t.Errorf("running trial without epochs: %+v, want empty lists", c)
	}

	c = chart{}
	getJSON(t, h, "/study/tiny/history.json", &c)
	// Trials 0-2 are complete, 3 runs, 4 failed at 0.8.
	if !reflect.DeepEqual(c.Trial, []any{0.0, 1.0, 2.0, 4.0}) || !reflect.DeepEqual(c.States, []string{"complete", "failed"}) {
		t.Errorf("history: trials %v, states %v", c.Trial, c.States)
	}
	if got, want := floats(c.Loss), []float64{0.35, 0.28, 0.26, 0.8}; !sameFloats(got, want) {
		t.Errorf("history: losses %v, want %v", got, want)
	}
	var best []*float64
	json.Unmarshal(c.Best, &best)
	if got, want := floats(best), []float64{0.35, 0.28, 0.26, 0.26}; !sameFloats(got, want) {
		t.Errorf("history: best so far %v, want %v", got, want)
	}

	c = chart{}
	getJSON(t, h, "/study/tiny/curves.json", &c)
	var order []int
	for _, tc := range c.Trials {
		order = append(order, tc.Trial)
	}
	if !reflect.DeepEqual(order, []int{2, 1, 0, 4}) || c.Of != 4 || len(c.Epoch) != 4 {
		t.Errorf("curves: trials %v of %d over %d epochs, want [2 1 0 4] of 4 over 4", order, c.Of, len(c.Epoch))
	}
	if got, want := floats(c.Trials[3].Val), []float64{0.8, nan, nan, nan}; !sameFloats(got, want) {
		t.Errorf("curves: diverged trial's %v, want %v", got, want)
	}

	for _, bad := range []struct {
		path string
		code int
	}{
		{"/study/nope/history.json", 404},
		{"/study/nope/curves.json", 404},
		{"/study/nope/trial/0/curve.json", 404},
		{"/study/tiny/trial/9/curve.json", 404},
		{"/study/tiny/trial/x/curve.json", 400},
		{"/study/tiny/trial/-1/curve.json", 400},
	} {
		code, hd, body := get(t, h, bad.path)
		if code != bad.code || !strings.HasPrefix(hd.Get("Content-Type"), "text/html") || strings.Contains(body, ".go:") {
			t.Errorf("%s: status %d, type %q, want %d and a page", bad.path, code, hd.Get("Content-Type"), bad.code)
		}
	}
	hs := New(db, &Options{Token: "s3cret"})
	for _, path := range []string{"/study/tiny/history.json", "/study/tiny/curves.json", "/study/tiny/trial/0/curve.json"} {
		if code, _, body := get(t, hs, path); code != 401 || strings.Contains(body, "0.35") {
			t.Errorf("%s without the token: status %d", path, code)
		}
	}
}

// TestTopChartBounded checks that the study page's curves stay small in
// a big study: the best topCurves trials only, in leaderboard order.
func TestTopChartBounded(t *testing.T) {
	const n, epochs = 10000, 25
	var trials []*dltune.Trial
	for i := range n {
		tr := &dltune.Trial{Number: i, State: dltune.Complete, Budget: epochs}
		// Trial i's loss ends at 1 + (i*7919 mod n)/n: scattered.
		end := 1 + float64(i*7919%n)/n
		for e := 1; e <= epochs; e++ {
			tr.Curve = append(tr.Curve, dltune.Epoch{Epoch: e, ValLoss: end + 1/float64(e)})
		}
		trials = append(trials, tr)
	}
	rows := study.Leaderboard(trials, epochs, true)
	numbers, of := bestTrials(rows, topCurves)
	var best []*dltune.Trial
	for _, n := range numbers {
		best = append(best, trials[n])
	}
	c := newTopChart(best, of)
	if len(c.Trials) != topCurves || c.Of != n || len(c.Epoch) != epochs {
		t.Fatalf("%d curves of %d over %d epochs, want %d of %d over %d", len(c.Trials), c.Of, len(c.Epoch), topCurves, n, epochs)
	}
	for k, tc := range c.Trials {
		if rank := tc.Trial * 7919 % n; rank != k {
			t.Errorf("curve %d is trial %d, of rank %d", k, tc.Trial, rank)
		}
	}
	data, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) > 8<<10 {
		t.Errorf("the curves of a %d-trial study take %d bytes, want at most 8 KiB", n, len(data))
	}
	t.Logf("curves.json of a %d-trial study: %d bytes", n, len(data))

	// The history has a point per trial, as a click must find each.
	hist, err := json.Marshal(newHistoryChart(rows))
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) > 300<<10 {
		t.Errorf("the history of a %d-trial study takes %d bytes, want at most 300 KiB", n, len(hist))
	}
	t.Logf("history.json of a %d-trial study: %d bytes", n, len(hist))

	long := &dltune.Trial{Number: n, State: dltune.Complete, Budget: 2 * maxChartEpochs}
	for e := 1; e <= 2*maxChartEpochs; e++ {
		long.Curve = append(long.Curve, dltune.Epoch{Epoch: e, ValLoss: 0.5})
	}
	if c := newTopChart([]*dltune.Trial{long}, 1); len(c.Epoch) != maxChartEpochs || len(c.Trials[0].Val) != maxChartEpochs {
		t.Errorf("a curve of %d epochs is charted over %d", 2*maxChartEpochs, len(c.Epoch))
	}
	if c := newCurveChart(long); len(c.Val) != maxChartEpochs {
		t.Errorf("a trial of %d epochs is charted over %d", 2*maxChartEpochs, len(c.Val))
	}
}

func TestNoteSVG(t *testing.T) {
	got := string(noteSVG(`a <b> & "c"`))
	if !strings.Contains(got, "a &lt;b&gt; &amp; &#34;c&#34;") || !strings.HasPrefix(got, "<svg ") {
		t.Errorf("noteSVG: %s", got)
	}
}
