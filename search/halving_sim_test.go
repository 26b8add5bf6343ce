package search

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/dltune/dltune"
)

// This file holds a small deterministic stand-in for the study loop, used
// by the successive-halving tests: it applies Decisions to Trials exactly
// as the real loop does (Start → Running, budget reached → Paused or
// Complete, Continue → Running, Stop → Pruned, Done → Paused pruned) with
// simulated workers and a fixed learning curve per configuration.

// simOutcome is how a configuration trains in the simulator.
type simOutcome struct {
	loss   []float64 // validation loss per epoch, at least MaxEpochs long
	failAt int       // the epoch during which training fails; 0: never
	stopAt int       // the epoch after which early stopping fires; 0: never
}

// idSampler proposes {"id": number} for trial number, so the tests pick a
// configuration's outcome by its trial number. It records its calls.
type idSampler struct {
	calls []sampleCall
}

type sampleCall struct {
	obs     []Observation
	pending []dltune.Params
	number  int
}

func (s *idSampler) Sample(obs []Observation, pending []dltune.Params, number int) (dltune.Params, error) {
	s.calls = append(s.calls, sampleCall{slices.Clone(obs), slices.Clone(pending), number})
	return dltune.Params{"id": dltune.Int(number)}, nil
}

// idSpace is the one-parameter space the idSampler samples from.
var idSpace = Space{Params: []Param{{Name: "id", Type: IntRange, Low: 0, High: 1 << 20}}}

// simStep is one call of Next: the history it saw and what it answered.
type simStep struct {
	h History
	d Decision
}

// simLoop runs a study of one strategy on simulated workers.
type simLoop struct {
	t       testing.TB
	strat   Strategy
	h       History
	max     int
	workers int
	// rng draws epoch durations; nil makes every epoch last 1, so trials
	// that run together finish in trial-number order.
	rng     *rand.Rand
	outcome func(id int) simOutcome
	// check, if set, sees every decision before it is applied.
	check func(h *History, d Decision)
	// record keeps every step, history included, for resume tests.
	record bool
	// killAt, if > 0, kills the study before event killAt and resumes it
	// with the strategy fresh returns.
	killAt int
	fresh  func() Strategy

	clock float64
	due   map[int]float64 // in-flight trial → when its current epoch ends
	steps []simStep
	done  bool
}

func newSim(t testing.TB, strat Strategy, budget, maxEpochs, workers int, rng *rand.Rand, outcome func(int) simOutcome) *simLoop {
	return &simLoop{
		t: t, strat: strat, max: maxEpochs, workers: workers, rng: rng, outcome: outcome,
		h:   History{Budget: budget},
		due: make(map[int]float64),
	}
}

func (s *simLoop) trial(n int) *Record {
	for _, t := range s.h.Trials {
		if t.Number == n {
			return t
		}
	}
	s.t.Fatalf("decision names trial %d, which does not exist", n)
	return nil
}

func (s *simLoop) trialInFlight() int { return len(s.due) }

func (s *simLoop) duration() float64 {
	if s.rng == nil {
		return 1
	}
	return 0.5 + s.rng.Float64()
}

// run drives the study to Done, failing the test after limit events.
func (s *simLoop) run(limit int) {
	s.t.Helper()
	for ev := range limit {
		if ev == s.killAt && s.killAt > 0 {
			s.kill(s.fresh())
		}
		if s.ask(); s.done {
			return
		}
		s.advance()
	}
	s.t.Fatalf("study not done after %d events", limit)
}

// ask calls Next while a worker is free and applies the decisions.
func (s *simLoop) ask() {
	s.t.Helper()
	for !s.done && s.trialInFlight() < s.workers {
		d, err := s.strat.Next(&s.h)
		if err != nil {
			s.t.Fatalf("Next: %v", err)
		}
		if s.record {
			s.steps = append(s.steps, simStep{simCloneHistory(&s.h), d})
		}
		if s.check != nil {
			s.check(&s.h, d)
		}
		if d.Action == Wait {
			if s.trialInFlight() == 0 {
				s.t.Fatalf("Wait with no trial in flight")
			}
			return
		}
		s.apply(d)
	}
}

func (s *simLoop) apply(d Decision) {
	s.t.Helper()
	switch d.Action {
	case Start:
		if s.h.Started() >= s.h.Budget {
			s.t.Fatalf("Start beyond the budget of %d", s.h.Budget)
		}
		if d.Epochs < 1 || d.Epochs > s.max {
			s.t.Fatalf("Start with %d epochs", d.Epochs)
		}
		n := s.h.Next
		s.h.Next++
		s.h.Trials = append(s.h.Trials, &Record{
			Number: n, Params: d.Params.Clone(), State: dltune.Running,
			Budget: d.Epochs, Bracket: d.Bracket, RetryOf: -1,
		})
		s.due[n] = s.clock + s.duration()
	case Continue:
		t := s.trial(d.Trial)
		if t.State != dltune.Paused {
			s.t.Fatalf("Continue of trial %d, which is %v", t.Number, t.State)
		}
		if d.Epochs <= len(t.Losses) || d.Epochs > s.max {
			s.t.Fatalf("Continue of trial %d at %d epochs to %d", t.Number, len(t.Losses), d.Epochs)
		}
		t.State, t.Budget = dltune.Running, d.Epochs
		s.due[t.Number] = s.clock + s.duration()
	case Stop:
		t := s.trial(d.Trial)
		if t.State != dltune.Paused {
			s.t.Fatalf("Stop of trial %d, which is %v", t.Number, t.State)
		}
		t.State = dltune.Pruned
	case Done:
		if s.trialInFlight() != 0 {
			s.t.Fatalf("Done with %d trials in flight", s.trialInFlight())
		}
		for _, t := range s.h.Trials {
			if t.State == dltune.Paused {
				t.State = dltune.Pruned
			}
		}
		s.done = true
	default:
		s.t.Fatalf("unknown action %d", d.Action)
	}
}

// advance trains the in-flight trial whose epoch ends first by one epoch.
func (s *simLoop) advance() {
	s.t.Helper()
	n, at := -1, math.Inf(1)
	for m, when := range s.due {
		if when < at || when == at && m < n {
			n, at = m, when
		}
	}
	if n < 0 {
		s.t.Fatalf("no trial in flight and the study is not done")
	}
	s.clock = at
	t := s.trial(n)
	o := s.outcome(t.Params["id"].Int())
	e := len(t.Losses) + 1
	if e == o.failAt {
		t.State = dltune.Failed
		delete(s.due, n)
		return
	}
	t.Losses = append(t.Losses, o.loss[e-1])
	switch {
	case e == o.stopAt || e == s.max:
		t.State = dltune.Complete
	case e == t.Budget:
		t.State = dltune.Paused
	default:
		s.due[n] = s.clock + s.duration()
		return
	}
	delete(s.due, n)
}

// kill stops the simulated process: running trials become Interrupted, and
// the study goes on with a new strategy that has only the stored trials.
// As the real loop does on resume, the interrupted trials are continued
// before Next is asked.
func (s *simLoop) kill(fresh Strategy) {
	for _, t := range s.h.Trials {
		if t.State == dltune.Running {
			t.State = dltune.Interrupted
		}
	}
	s.h = simCloneHistory(&s.h)
	s.strat = fresh
	for _, t := range s.h.Trials {
		if t.State == dltune.Interrupted {
			t.State = dltune.Running
		}
	}
}

func simCloneHistory(h *History) History {
	c := *h
	c.Trials = make([]*Record, len(h.Trials))
	for i, t := range h.Trials {
		u := *t
		u.Params, u.Losses = t.Params.Clone(), slices.Clone(t.Losses)
		c.Trials[i] = &u
	}
	return c
}

// simSameDecision reports whether a and b ask for the same thing.
func simSameDecision(a, b Decision) bool {
	return a.Action == b.Action && a.Trial == b.Trial && a.Epochs == b.Epochs &&
		a.Bracket == b.Bracket && a.Params.Equal(b.Params)
}

// decisionString formats d for test messages.
func decisionString(d Decision) string {
	switch d.Action {
	case Start:
		return fmt.Sprintf("start(%v, %d epochs, bracket %d)", d.Params.Key(), d.Epochs, d.Bracket)
	case Continue:
		return fmt.Sprintf("continue(%d to %d)", d.Trial, d.Epochs)
	case Stop:
		return fmt.Sprintf("stop(%d)", d.Trial)
	case Wait:
		return "wait"
	case Done:
		return "done"
	}
	return fmt.Sprintf("action(%d)", d.Action)
}

// rungCurve returns a 9-epoch curve through v1 at epoch 1, v3 at epoch 3
// and v9 at epoch 9, straight in between: decreasing when v1 > v3 > v9, so
// its best loss by rung 1, 3 and 9 is v1, v3 and v9.
func rungCurve(v1, v3, v9 float64) []float64 {
	c := make([]float64, 9)
	for e := 1; e <= 9; e++ {
		switch {
		case e <= 3:
			c[e-1] = v1 + (v3-v1)*float64(e-1)/2
		default:
			c[e-1] = v3 + (v9-v3)*float64(e-3)/6
		}
	}
	return c
}

// randomOutcomes returns outcomes of crossing power-law curves; some
// configurations fail and some stop early, as real ones do.
func randomOutcomes(seed uint64, maxEpochs int, failP, stopP float64) func(int) simOutcome {
	return func(id int) simOutcome {
		r := rand.New(rand.NewPCG(seed, uint64(id)))
		a, b, c := 0.1+r.Float64(), 2*r.Float64(), 0.2+1.5*r.Float64()
		o := simOutcome{loss: make([]float64, maxEpochs)}
		for e := range o.loss {
			o.loss[e] = a + b/math.Pow(float64(e+1), c) + 0.01*r.Float64()
		}
		if r.Float64() < failP {
			o.failAt = 1 + r.IntN(maxEpochs)
		}
		if r.Float64() < stopP {
			o.stopAt = 1 + r.IntN(maxEpochs)
		}
		return o
	}
}

// simFinal is a trial's state and epochs at the end of a study.
type simFinal struct {
	state  dltune.State
	epochs int
}

func simFinals(h *History) map[int]simFinal {
	m := make(map[int]simFinal, len(h.Trials))
	for _, t := range h.Trials {
		m[t.Number] = simFinal{t.State, len(t.Losses)}
	}
	return m
}

func continues(steps []simStep) []Decision {
	var out []Decision
	for _, s := range steps {
		if s.d.Action == Continue {
			out = append(out, s.d)
		}
	}
	return out
}

func stops(steps []simStep) []int {
	var out []int
	for _, s := range steps {
		if s.d.Action == Stop {
			out = append(out, s.d.Trial)
		}
	}
	return out
}

// checkNoRetraining checks what the strategy controls of "a promoted
// trial's epochs equal the largest rung it reached": every trial that
// neither failed nor stopped early ends with exactly its budget, a rung,
// and its curve is the configuration's curve, one epoch per entry.
func checkNoRetraining(t *testing.T, h *History, rungs []int, outcome func(int) simOutcome) {
	t.Helper()
	for _, tr := range h.Trials {
		o := outcome(tr.Params["id"].Int())
		for i, l := range tr.Losses {
			if l != o.loss[i] {
				t.Fatalf("trial %d: epoch %d has loss %v, want %v", tr.Number, i+1, l, o.loss[i])
			}
		}
		if !slices.Contains(rungs, tr.Budget) {
			t.Errorf("trial %d: budget %d is not a rung of %v", tr.Number, tr.Budget, rungs)
		}
		early := tr.State == dltune.Failed || tr.State == dltune.Complete && len(tr.Losses) == o.stopAt
		if !early && len(tr.Losses) != tr.Budget {
			t.Errorf("trial %d (%v): trained %d epochs, budget %d", tr.Number, tr.State, len(tr.Losses), tr.Budget)
		}
		if !tr.State.Finished() {
			t.Errorf("trial %d left %v at the end", tr.Number, tr.State)
		}
	}
}
