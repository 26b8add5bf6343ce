package search

import (
	"errors"
	"math"
	"testing"

	"github.com/dltune/dltune"
)

// trial returns a trial with the given number, params and state.
func gridTestTrial(n int, p dltune.Params, s dltune.State) *Record {
	return &Record{Number: n, Params: p, State: s, RetryOf: -1}
}

func TestNewGridErrors(t *testing.T) {
	if _, err := NewGrid(gridTestSpace(), 3, 0); err == nil {
		t.Error("NewGrid with 0 epochs succeeded")
	}
	if _, err := NewGrid(&Space{Params: []Param{{Name: "x", Type: Choice}}}, 3, 1); err == nil {
		t.Error("NewGrid on an invalid space succeeded")
	}
}

// TestGridStrategy runs a grid study with a simulated loop that keeps two
// trials running, fails some and finishes the others: every point is
// started exactly once, in grid order, and then the strategy is Done.
func TestGridStrategy(t *testing.T) {
	g, err := NewGrid(gridTestSpace(), 3, 7)
	if err != nil {
		t.Fatal(err)
	}
	want := g.Points()
	h := &History{Budget: 1000}
	for step := 0; ; step++ {
		d, err := g.Next(h)
		if err != nil {
			t.Fatal(err)
		}
		if d.Action == Done {
			break
		}
		if d.Action != Start || d.Epochs != 7 {
			t.Fatalf("step %d: decision %+v, want Start with 7 epochs", step, d)
		}
		if n := len(h.Trials); n >= len(want) || !d.Params.Equal(want[n]) {
			t.Fatalf("trial %d: started %v, want grid point %d", n, d.Params, n)
		}
		h.Trials = append(h.Trials, gridTestTrial(h.Next, d.Params, dltune.Running))
		h.Next++
		// Finish the oldest running trial but one; fail every fifth.
		running := 0
		for _, tr := range h.Trials {
			if tr.State == dltune.Running {
				running++
			}
		}
		for _, tr := range h.Trials {
			if running > 2 && tr.State == dltune.Running {
				tr.State = dltune.Complete
				if tr.Number%5 == 0 {
					tr.State = dltune.Failed
				}
				running--
			}
		}
	}
	if len(h.Trials) != g.Len() {
		t.Errorf("started %d trials, grid has %d points", len(h.Trials), g.Len())
	}
}

// TestGridSkipsTried: points held by trials in any state, also resumed ones
// out of grid order, are skipped.
func TestGridSkipsTried(t *testing.T) {
	g, _ := NewGrid(gridTestSpace(), 3, 1)
	pts := g.Points()
	states := []dltune.State{dltune.Running, dltune.Paused, dltune.Interrupted, dltune.Failed, dltune.Pruned, dltune.Complete}
	h := &History{Budget: 100}
	for i, s := range states {
		// A stored int may come back as a float; it is the same point.
		p := pts[i].Clone()
		p["layers"] = dltune.Float(p["layers"].Num)
		h.Trials = append(h.Trials, gridTestTrial(i, p, s))
	}
	h.Trials = append(h.Trials, gridTestTrial(6, pts[7], dltune.Complete))
	h.Next = 7
	d, _ := g.Next(h)
	if d.Action != Start || !d.Params.Equal(pts[6]) {
		t.Fatalf("Next = %+v, want Start of point 6 %v", d, pts[6])
	}
	h.Trials = append(h.Trials, gridTestTrial(7, d.Params, dltune.Running))
	if d, _ := g.Next(h); !d.Params.Equal(pts[8]) {
		t.Fatalf("Next = %+v, want point 8 %v (7 is taken)", d, pts[8])
	}
}

func TestGridBudget(t *testing.T) {
	g, _ := NewGrid(gridTestSpace(), 3, 1)
	h := &History{Budget: 2, Trials: []*Record{gridTestTrial(0, g.Points()[0], dltune.Complete), gridTestTrial(1, g.Points()[1], dltune.Running)}, Next: 2}
	if d, _ := g.Next(h); d.Action != Done {
		t.Fatalf("budget spent: Next = %+v, want Done", d)
	}
	h.Budget = 3
	if d, _ := g.Next(h); d.Action != Start || !d.Params.Equal(g.Points()[2]) {
		t.Fatalf("Next = %+v, want point 2", d)
	}
}

func TestRandomSampler(t *testing.T) {
	space := mixedTestSpace()
	a, b := NewRandomSampler(space, 5), NewRandomSampler(space, 5)
	obs := bowlObservations(space, 20, 1)
	seen := map[string]bool{}
	for n := range 50 {
		p, err := a.Sample(nil, nil, n)
		if err != nil {
			t.Fatal(err)
		}
		// Reproducible per (seed, number), whatever the history.
		q, _ := b.Sample(obs[:n%20], []dltune.Params{p}, n)
		if !p.Equal(q) {
			t.Fatalf("trial %d: %v then %v", n, p, q)
		}
		if err := space.Contains(p); err != nil {
			t.Fatal(err)
		}
		seen[p.Key()] = true
	}
	if len(seen) != 50 {
		t.Errorf("50 trials, %d distinct points", len(seen))
	}
	p, _ := NewRandomSampler(space, 6).Sample(nil, nil, 0)
	if q, _ := a.Sample(nil, nil, 0); p.Equal(q) {
		t.Errorf("seeds 5 and 6 gave the same point %v", p)
	}
}

// recordingSampler is a Sampler that records its arguments.
type recordingSampler struct {
	obs     []Observation
	pending []dltune.Params
	number  int
}

func (r *recordingSampler) Sample(obs []Observation, pending []dltune.Params, number int) (dltune.Params, error) {
	r.obs, r.pending, r.number = append([]Observation(nil), obs...), append([]dltune.Params(nil), pending...), number
	return dltune.Params{"x": dltune.Int(number)}, nil
}

func TestSampling(t *testing.T) {
	p := func(i int) dltune.Params { return dltune.Params{"x": dltune.Int(i)} }
	done := gridTestTrial(0, p(0), dltune.Complete)
	done.Losses = []float64{0.5, 0.25, 0.3}
	pruned := gridTestTrial(1, p(1), dltune.Pruned)
	pruned.Losses = []float64{0.9}
	h := &History{
		Trials: []*Record{done, pruned, gridTestTrial(2, p(2), dltune.Failed), gridTestTrial(3, p(3), dltune.Running),
			gridTestTrial(4, p(4), dltune.Paused), gridTestTrial(5, p(5), dltune.Interrupted)},
		Next:   6,
		Budget: 7,
	}
	rec := &recordingSampler{}
	s := NewSampling(rec, 12)
	d, err := s.Next(h)
	if err != nil {
		t.Fatal(err)
	}
	if d.Action != Start || d.Epochs != 12 || !d.Params.Equal(p(6)) {
		t.Fatalf("Next = %+v, want Start x=6 with 12 epochs", d)
	}
	if rec.number != 6 {
		t.Errorf("sampler asked for trial %d, want 6", rec.number)
	}
	wantLoss := []float64{0.25, 0.9, inf}
	if len(rec.obs) != 3 {
		t.Fatalf("observations %v, want 3", rec.obs)
	}
	for i, o := range rec.obs {
		if o.Loss != wantLoss[i] || !o.Params.Equal(p(i)) {
			t.Errorf("observation %d = %v, want x=%d loss %v", i, o, i, wantLoss[i])
		}
	}
	if len(rec.pending) != 3 || !rec.pending[0].Equal(p(3)) || !rec.pending[2].Equal(p(5)) {
		t.Errorf("pending %v, want x=3, 4, 5", rec.pending)
	}
	h.Trials = append(h.Trials, gridTestTrial(6, d.Params, dltune.Running))
	h.Next = 7
	if d, _ := s.Next(h); d.Action != Done {
		t.Errorf("budget spent: Next = %+v, want Done", d)
	}
}

var inf = math.Inf(1)

func TestSamplingSamplerError(t *testing.T) {
	s := NewSampling(failingSampler{}, 1)
	if _, err := s.Next(&History{Budget: 1}); err == nil {
		t.Error("Next succeeded with a failing sampler")
	}
}

type failingSampler struct{}

func (failingSampler) Sample([]Observation, []dltune.Params, int) (dltune.Params, error) {
	return nil, errSamplerFailed
}

var errSamplerFailed = errors.New("test failure")

// BenchmarkGridNext measures one decision of a grid study 1,000 trials in.
func BenchmarkGridNext(b *testing.B) {
	s := &Space{Params: []Param{
		{Name: "a", Type: IntRange, Low: 0, High: 99, Step: 1},
		{Name: "b", Type: FloatRange, Low: 0, High: 1, Points: 20},
	}}
	g, err := NewGrid(s, 0, 1)
	if err != nil {
		b.Fatal(err)
	}
	h := &History{Budget: g.Len(), Next: 1000}
	for i, p := range g.Points()[:1000] {
		h.Trials = append(h.Trials, gridTestTrial(i, p, dltune.Complete))
	}
	b.ReportAllocs()
	for b.Loop() {
		if d, _ := g.Next(h); d.Action != Start {
			b.Fatal(d.Action)
		}
	}
}
