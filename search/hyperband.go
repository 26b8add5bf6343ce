package search

import (
	"fmt"
	"slices"
)

// Hyperband runs brackets of synchronous successive halving that trade the
// number of configurations against their starting budget (Li et al.,
// "Hyperband", JMLR 2018). With the sampler set to a model (TPE, GP) it is
// BOHB (Falkner et al., ICML 2018): the model is fitted on the highest rung
// with enough results.
//
// With K+1 rungs (see Rungs), s_max = K and bracket s, for s = s_max down
// to 0, starts its configurations at rung K-s and halves s times up to
// MaxEpochs. Bracket s is stored in Trial.Bracket as s: bracket s_max is the
// most exploratory, bracket 0 is plain random search at full budget.
//
// The study's trial budget is split over the brackets in proportion to
// Hyperband's bracket sizes w_s = ⌈(s_max+1)·Eta^s/(s+1)⌉, by largest
// remainder: bracket s gets ⌊B·w_s/W⌋ configurations (W = Σ w_s), and the
// trials left over go one each to the brackets with the largest remainders
// of B·w_s/W, ties to the larger s. A budget of W is exactly one Hyperband
// iteration; a larger one scales every bracket up.
//
// Worked example: MinEpochs 1, MaxEpochs 9, Eta 3 give rungs 1, 3, 9,
// s_max = 2 and sizes w = 9, 5, 3 (W = 17). A budget of 17 runs bracket 2
// as 9 configurations at 1 epoch, 3 of them at 3 and 1 at 9; bracket 1 as 5
// at 3 epochs and 1 at 9; bracket 0 as 3 at 9 epochs. A budget of 30 gives
// brackets of 16, 9 and 5 configurations.
//
// Brackets run side by side: new configurations go to the first bracket,
// in the order s_max down to 0, that still has room, so the workers stay
// busy while earlier brackets wait for their rungs. Decisions are taken in
// this order: any Stop of a loser, then any promotion (Continue), bracket
// by bracket from s_max; then a Start; then Wait or Done.
//
// Hyperband keeps no state between calls: every decision derives from the
// History. It is not safe for concurrent use.
type Hyperband struct {
	l ladder
}

var _ Strategy = (*Hyperband)(nil)

// NewHyperband returns Hyperband over space. It returns an error if opt is
// invalid (see HalvingOptions).
func NewHyperband(space *Space, opt HalvingOptions) (*Hyperband, error) {
	l, err := newLadder("hyperband", space, opt)
	if err != nil {
		return nil, err
	}
	return &Hyperband{l: l}, nil
}

// Rungs returns the strategy's rungs, in epochs, bottom first.
func (hb *Hyperband) Rungs() []int { return append([]int(nil), hb.l.rungs...) }

// Plan returns the brackets a study with the given trial budget runs, in
// the order they are filled (s_max first).
func (hb *Hyperband) Plan(budget int) []Bracket {
	sizes := hb.sizes(max(budget, 0))
	smax := len(hb.l.rungs) - 1
	out := make([]Bracket, 0, smax+1)
	for s := smax; s >= 0; s-- {
		out = append(out, hb.l.plan(s, smax-s, sizes[s]))
	}
	return out
}

// sizes returns the number of configurations of each bracket, indexed by
// s, for a trial budget of budget.
func (hb *Hyperband) sizes(budget int) []int {
	smax := len(hb.l.rungs) - 1
	w := make([]int, smax+1)
	total := 0
	pow := 1
	for s := 0; s <= smax; s++ {
		w[s] = ((smax+1)*pow + s) / (s + 1) // ⌈(smax+1)·eta^s/(s+1)⌉
		total += w[s]
		pow *= hb.l.eta
	}
	n := make([]int, smax+1)
	rem := make([]int, smax+1)
	left := budget
	for s := range w {
		n[s] = budget * w[s] / total
		rem[s] = budget * w[s] % total
		left -= n[s]
	}
	order := make([]int, smax+1)
	for s := range order {
		order[s] = smax - s
	}
	slices.SortStableFunc(order, func(a, b int) int { return rem[b] - rem[a] })
	for _, s := range order[:left] {
		n[s]++
	}
	return n
}

// Next returns the next decision (see Hyperband for the order).
func (hb *Hyperband) Next(h *History) (Decision, error) {
	smax := len(hb.l.rungs) - 1
	sizes := hb.sizes(max(h.Budget, 0))
	skip := retriedTrials(h)
	groups := make([][]*Record, smax+1)
	for s := range groups {
		groups[s] = bracketMembers(h, s, skip)
	}
	full := func(s int) bool { return len(groups[s]) >= sizes[s] || h.Started() >= h.Budget }

	var cont *Decision
	for s := smax; s >= 0; s-- {
		if !full(s) {
			continue
		}
		d, ok := hb.l.advance(groups[s], smax-s)
		if !ok {
			continue
		}
		if d.Action == Stop {
			return d, nil
		}
		if cont == nil {
			cont = &d
		}
	}
	if cont != nil {
		return *cont, nil
	}
	for s := smax; s >= 0; s-- {
		if full(s) {
			continue
		}
		p, err := hb.l.sample(h)
		if err != nil {
			return Decision{}, fmt.Errorf("hyperband: %w", err)
		}
		return Decision{Action: Start, Params: p, Epochs: hb.l.rungs[smax-s], Bracket: s}, nil
	}
	if anyTrialInFlight(h) {
		return Decision{Action: Wait}, nil
	}
	return Decision{Action: Done}, nil
}
