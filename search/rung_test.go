package search

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/dltune/dltune"
)

func TestRungs(t *testing.T) {
	tests := []struct {
		min, max, eta int
		want          []int
	}{
		{1, 9, 3, []int{1, 3, 9}},
		{1, 10, 3, []int{1, 3, 9, 10}},
		{2, 9, 3, []int{2, 6, 9}},
		{1, 27, 3, []int{1, 3, 9, 27}},
		{1, 16, 2, []int{1, 2, 4, 8, 16}},
		{3, 3, 3, []int{3}},
		{1, 2, 4, []int{1, 2}},
		{5, 100, 10, []int{5, 50, 100}},
		{1, math.MaxInt, math.MaxInt / 2, []int{1, math.MaxInt / 2, math.MaxInt}},
	}
	for _, tt := range tests {
		if got := Rungs(tt.min, tt.max, tt.eta); !slices.Equal(got, tt.want) {
			t.Errorf("Rungs(%d, %d, %d) = %v, want %v", tt.min, tt.max, tt.eta, got, tt.want)
		}
	}
}

func TestRungsPanics(t *testing.T) {
	for _, args := range [][3]int{{0, 9, 3}, {3, 2, 3}, {1, 9, 1}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Rungs%v did not panic", args)
				}
			}()
			Rungs(args[0], args[1], args[2])
		}()
	}
}

func TestHalvingOptionsErrors(t *testing.T) {
	s := &idSampler{}
	tests := []struct {
		name  string
		space *Space
		opt   HalvingOptions
		want  string // in the error; "" for none
	}{
		{"valid", &idSpace, HalvingOptions{MinEpochs: 1, MaxEpochs: 9, Sampler: s}, ""},
		{"valid eta 2", &idSpace, HalvingOptions{MinEpochs: 1, MaxEpochs: 9, Eta: 2, Sampler: s}, ""},
		{"no space", nil, HalvingOptions{MinEpochs: 1, MaxEpochs: 9, Sampler: s}, "no search space"},
		{"min 0", &idSpace, HalvingOptions{MaxEpochs: 9, Sampler: s}, "min epochs 0"},
		{"max below min", &idSpace, HalvingOptions{MinEpochs: 3, MaxEpochs: 2, Sampler: s}, "max epochs 2"},
		{"eta 1", &idSpace, HalvingOptions{MinEpochs: 1, MaxEpochs: 9, Eta: 1, Sampler: s}, "eta 1"},
		{"eta negative", &idSpace, HalvingOptions{MinEpochs: 1, MaxEpochs: 9, Eta: -3, Sampler: s}, "eta -3"},
		{"no sampler", &idSpace, HalvingOptions{MinEpochs: 1, MaxEpochs: 9}, "no sampler"},
		{"min observations", &idSpace, HalvingOptions{MinEpochs: 1, MaxEpochs: 9, Sampler: s, MinObservations: -1}, "min observations -1"},
	}
	for _, tt := range tests {
		for _, st := range halvingStrategies {
			t.Run(tt.name+"/"+st.name, func(t *testing.T) {
				var err error
				switch st.name {
				case "successive halving":
					_, err = NewSuccessiveHalving(tt.space, tt.opt)
				case "asha":
					_, err = NewASHA(tt.space, tt.opt)
				case "hyperband":
					_, err = NewHyperband(tt.space, tt.opt)
				}
				switch {
				case tt.want == "" && err != nil:
					t.Fatalf("unexpected error: %v", err)
				case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), st.name)):
					t.Fatalf("error %v, want one starting %q that mentions %q", err, st.name, tt.want)
				}
			})
		}
	}
}

// TestSamplerObservations checks what the sampler is given: the results
// at the highest rung with enough of them, and the unfinished rest as
// pending.
func TestSamplerObservations(t *testing.T) {
	tr := func(n int, s dltune.State, budget int, losses ...float64) *Record {
		x := lossTrial(n, s, losses...)
		x.Budget = budget
		x.Params = dltune.Params{"id": dltune.Int(n)}
		return x
	}
	inf := math.Inf(1)
	trials := []*Record{
		tr(0, dltune.Complete, 9, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1), // 9 epochs
		tr(1, dltune.Paused, 3, 0.5, 0.4, 0.35),                                // at rung 3
		tr(2, dltune.Pruned, 1, 0.95),                                          // lost at rung 1
		tr(3, dltune.Running, 3, 0.6),                                          // on its way to 3
		tr(4, dltune.Failed, 3, 0.7),                                           // failed before 3
		tr(5, dltune.Complete, 9, 0.5, 0.45),                                   // stopped early
		tr(6, dltune.Paused, 1, 0.3),                                           // waits at rung 1
		tr(7, dltune.Running, 1),                                               // no epoch yet
	}
	// Results at rung 9: 0 (.1), 5 (.45, stopped early) → 2.
	// Results at rung 3: 0 (.7), 1 (.35), 4 (+Inf), 5 (.45) → 4.
	// Results at rung 1: all but 7 → 7.
	tests := []struct {
		minObs  int
		obs     map[int]float64
		pending []int
	}{
		{2, map[int]float64{0: 0.1, 5: 0.45}, []int{1, 3, 6, 7}},
		{3, map[int]float64{0: 0.7, 1: 0.35, 4: inf, 5: 0.45}, []int{3, 6, 7}},
		{5, map[int]float64{0: 0.9, 1: 0.5, 2: 0.95, 3: 0.6, 4: 0.7, 5: 0.5, 6: 0.3}, []int{7}},
		{100, map[int]float64{0: 0.9, 1: 0.5, 2: 0.95, 3: 0.6, 4: 0.7, 5: 0.5, 6: 0.3}, []int{7}},
	}
	for _, tt := range tests {
		s := &idSampler{}
		a, err := NewSuccessiveHalving(&idSpace, HalvingOptions{MinEpochs: 1, MaxEpochs: 9, Sampler: s, MinObservations: tt.minObs})
		if err != nil {
			t.Fatal(err)
		}
		h := &History{Trials: trials, Next: 8, Budget: 20}
		d, err := a.Next(h)
		if err != nil {
			t.Fatal(err)
		}
		if d.Action != Start || len(s.calls) != 1 {
			t.Fatalf("min obs %d: Next = %s after %d samples, want one start", tt.minObs, decisionString(d), len(s.calls))
		}
		c := s.calls[0]
		if c.number != 8 {
			t.Errorf("min obs %d: sampled for trial %d, want 8", tt.minObs, c.number)
		}
		got := make(map[int]float64)
		for _, o := range c.obs {
			got[o.Params["id"].Int()] = o.Loss
		}
		if !mapsEqual(got, tt.obs) {
			t.Errorf("min obs %d: observations %v, want %v", tt.minObs, got, tt.obs)
		}
		var pend []int
		for _, p := range c.pending {
			pend = append(pend, p["id"].Int())
		}
		if !slices.Equal(pend, tt.pending) {
			t.Errorf("min obs %d: pending %v, want %v", tt.minObs, pend, tt.pending)
		}
	}
}

func mapsEqual(a, b map[int]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || v != w {
			return false
		}
	}
	return true
}

type halvingErrSampler struct{}

var errHalvingSampler = errors.New("no idea")

func (halvingErrSampler) Sample([]Observation, []dltune.Params, int) (dltune.Params, error) {
	return nil, errHalvingSampler
}

func TestSamplerErrorWrapped(t *testing.T) {
	for _, st := range halvingStrategies {
		s, err := st.new(HalvingOptions{MinEpochs: 1, MaxEpochs: 9, Sampler: halvingErrSampler{}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.Next(&History{Budget: 5, Next: 3})
		if !errors.Is(err, errHalvingSampler) || !strings.Contains(err.Error(), "trial 3") || !strings.HasPrefix(err.Error(), st.name) {
			t.Errorf("%s: error %v, want it to wrap the sampler's and name trial 3", st.name, err)
		}
	}
}

// TestRetriedTrialReplaced checks that a failed trial retried with the same
// parameters gives its place in the bracket to the retry.
func TestRetriedTrialReplaced(t *testing.T) {
	sh, err := NewSuccessiveHalving(&idSpace, HalvingOptions{MinEpochs: 1, MaxEpochs: 3, Sampler: &idSampler{}})
	if err != nil {
		t.Fatal(err)
	}
	p := func(id int) dltune.Params { return dltune.Params{"id": dltune.Int(id)} }
	h := &History{Next: 4, Budget: 4, Trials: []*Record{
		{Number: 0, Params: p(0), State: dltune.Paused, Budget: 1, RetryOf: -1, Losses: []float64{0.5}},
		{Number: 1, Params: p(1), State: dltune.Failed, Budget: 1, RetryOf: -1},
		{Number: 2, Params: p(2), State: dltune.Paused, Budget: 1, RetryOf: -1, Losses: []float64{0.6}},
		{Number: 3, Params: p(1), State: dltune.Paused, Budget: 1, RetryOf: 1, Losses: []float64{0.1}},
	}}
	// Rung 1 holds 0, 2, 3 (1 was retried by 3): keep ⌊3/3⌋ = 1, the
	// retry; stop 0 first.
	d, err := sh.Next(h)
	if err != nil {
		t.Fatal(err)
	}
	if d.Action != Stop || d.Trial != 0 {
		t.Fatalf("Next = %s, want stop(0)", decisionString(d))
	}
	h.Trials[0].State = dltune.Pruned
	h.Trials[2].State = dltune.Pruned
	d, err = sh.Next(h)
	if err != nil {
		t.Fatal(err)
	}
	if !simSameDecision(d, promo(3, 3)) {
		t.Fatalf("Next = %s, want continue(3 to 3)", decisionString(d))
	}
}
