package search

import (
	"fmt"

	"github.com/dltune/dltune"
)

// SuccessiveHalving is synchronous successive halving (Jamieson and
// Talwalkar 2016; the inner loop of Hyperband): one bracket whose
// configurations all train to the bottom rung; when every one of them has
// its result there, the best 1/Eta are promoted to the next rung (they
// continue from their checkpoints) and the rest are stopped; and so on up
// to MaxEpochs.
//
// The bracket holds the whole study budget: all h.Budget trials start at
// MinEpochs, and rung i+1 keeps max(1, ⌊n_i/Eta⌋) of the n_i trials of
// rung i, so at least one trial always reaches MaxEpochs. With MinEpochs 1,
// MaxEpochs 9, Eta 3 and a budget of 27 trials, 27 configurations train 1
// epoch, 9 of them go on to 3 epochs and 3 to 9: 63 epochs in all where
// 27 full trainings would take 243.
//
// A rung waits for its slowest trial, so workers idle near the end of each
// rung (Next returns Wait); ASHA does not. Trials get Bracket 0.
//
// SuccessiveHalving keeps no state between calls: every decision derives
// from the History. It is not safe for concurrent use.
type SuccessiveHalving struct {
	l ladder
}

var _ Strategy = (*SuccessiveHalving)(nil)

// NewSuccessiveHalving returns synchronous successive halving over space.
// It returns an error if opt is invalid (see HalvingOptions).
func NewSuccessiveHalving(space *Space, opt HalvingOptions) (*SuccessiveHalving, error) {
	l, err := newLadder("successive halving", space, opt)
	if err != nil {
		return nil, err
	}
	return &SuccessiveHalving{l: l}, nil
}

// Rungs returns the strategy's rungs, in epochs, bottom first.
func (s *SuccessiveHalving) Rungs() []int { return append([]int(nil), s.l.rungs...) }

// Plan returns the bracket a study with the given trial budget runs.
func (s *SuccessiveHalving) Plan(budget int) Bracket {
	return s.l.plan(0, 0, max(budget, 0))
}

// Next returns the next decision: the Start of a new configuration while
// the budget lasts; then, rung by rung, Stop for each Paused trial that lost
// at a decided rung and Continue for each winner; Wait while a rung waits
// for running trials; and Done when the top rung is decided.
func (s *SuccessiveHalving) Next(h *History) (Decision, error) {
	if h.Started() < h.Budget {
		p, err := s.l.sample(h)
		if err != nil {
			return Decision{}, fmt.Errorf("successive halving: %w", err)
		}
		return Decision{Action: Start, Params: p, Epochs: s.l.rungs[0]}, nil
	}
	if d, ok := s.l.advance(bracketMembers(h, 0, retriedTrials(h)), 0); ok {
		return d, nil
	}
	if anyTrialInFlight(h) {
		return Decision{Action: Wait}, nil
	}
	return Decision{Action: Done}, nil
}

// A Bracket is one run of synchronous successive halving in a plan.
type Bracket struct {
	// Number is stored in Trial.Bracket. In Hyperband it is s, the number
	// of halvings the bracket does; SuccessiveHalving uses 0.
	Number int
	// Rungs are the bracket's epoch budgets, bottom first.
	Rungs []int
	// Sizes are the numbers of trials planned at each rung: Sizes[0]
	// configurations start, and Sizes[i+1] = max(1, ⌊Sizes[i]/Eta⌋)
	// (0 for an empty bracket).
	Sizes []int
}

// plan returns the bracket numbered number that starts n configurations
// at rung index first.
func (l *ladder) plan(number, first, n int) Bracket {
	b := Bracket{Number: number, Rungs: append([]int(nil), l.rungs[first:]...)}
	for range b.Rungs {
		b.Sizes = append(b.Sizes, n)
		if n > 0 {
			n = max(1, n/l.eta)
		}
	}
	return b
}

// advance returns the next Stop or Continue of a synchronous bracket whose
// trials are ms (by number) and whose bottom rung is rung index first, or
// false if there is none. The caller only calls it once the bracket has all
// its configurations, or none can be added.
//
// The rungs are replayed from the bottom: when every trial of rung i has
// its result there, the best max(1, ⌊n/eta⌋) form rung i+1 and the others
// lost. Losers that are Paused are stopped first (stopping takes no
// worker), then winners that are Paused short of their new rung are
// continued, best first. Losses at a rung never change once it is decided,
// so the replay gives the same rungs at every call.
func (l *ladder) advance(ms []*Record, first int) (Decision, bool) {
	cur := ms
	var cont *Record
	contTo := 0
	for i := first; i < len(l.rungs) && len(cur) > 0; i++ {
		r := l.rungs[i]
		ready := true
		for _, t := range cur {
			if _, ok := memberResult(t, r); ok {
				continue
			}
			ready = false
			if t.State == dltune.Paused && cont == nil {
				cont, contTo = t, r
			}
		}
		if !ready || i == len(l.rungs)-1 {
			break
		}
		rs := rankAt(cur, r, memberResult)
		keep := max(1, len(rs)/l.eta)
		for _, x := range rs[keep:] {
			if x.t.State == dltune.Paused {
				return Decision{Action: Stop, Trial: x.t.Number}, true
			}
		}
		cur = cur[:0:0]
		for _, x := range rs[:keep] {
			cur = append(cur, x.t)
		}
	}
	if cont != nil {
		return Decision{Action: Continue, Trial: cont.Number, Epochs: contTo}, true
	}
	return Decision{}, false
}
