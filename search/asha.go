package search

import (
	"fmt"

	"github.com/dltune/dltune"
)

// ASHA is asynchronous successive halving (Li et al., "A System for
// Massively Parallel Hyperparameter Tuning", MLSys 2020). It never waits
// for a rung to fill: whenever a worker is free it promotes a trial that is
// among the best 1/Eta of the results at its rung so far, and otherwise
// starts a new configuration at the bottom rung.
//
// In detail, Next looks at the rungs from the second highest down. At rung
// r with n results (trials that trained r epochs, or finished with a budget
// of at least r), the best ⌊n/Eta⌋ by loss at r (ties by trial number) are
// candidates; the best candidate that is Paused at r and not yet promoted
// is continued to the next rung. A trial is promoted once its budget
// exceeds r, which the study loop records the moment it hands out the
// Continue, so no trial is promoted twice. Without a promotion ASHA starts
// a new configuration while the trial budget lasts, then waits for running
// trials, and is Done when none runs. Trials still Paused at the end are
// pruned by the loop.
//
// With MinEpochs 1, MaxEpochs 9 and Eta 3, the rungs are 1, 3 and 9: the
// third configuration to finish 1 epoch lets the best of the three go on to
// 3 epochs, the sixth lets the best two, and so on; the third trial to
// reach 3 epochs lets the best of those go on to 9.
//
// Each promotion is decided on the results known at the time, so a trial
// promoted early may later fall out of its rung's best 1/Eta: more trials
// than in synchronous halving may be promoted, never fewer. Trials get
// Bracket 0.
//
// ASHA keeps no state between calls: every decision derives from the
// History. It is not safe for concurrent use.
type ASHA struct {
	l ladder
}

var _ Strategy = (*ASHA)(nil)

// NewASHA returns asynchronous successive halving over space. It returns an
// error if opt is invalid (see HalvingOptions).
func NewASHA(space *Space, opt HalvingOptions) (*ASHA, error) {
	l, err := newLadder("asha", space, opt)
	if err != nil {
		return nil, err
	}
	return &ASHA{l: l}, nil
}

// Rungs returns the strategy's rungs, in epochs, bottom first.
func (a *ASHA) Rungs() []int { return append([]int(nil), a.l.rungs...) }

// Next returns the next decision: a promotion (Continue) if some trial has
// earned one, else the Start of a new configuration while the budget
// lasts, else Wait while trials run, else Done. It never returns Stop.
func (a *ASHA) Next(h *History) (Decision, error) {
	if t, to := a.promotion(bracketMembers(h, 0, retriedTrials(h))); t != nil {
		return Decision{Action: Continue, Trial: t.Number, Epochs: to}, nil
	}
	if h.Started() < h.Budget {
		p, err := a.l.sample(h)
		if err != nil {
			return Decision{}, fmt.Errorf("asha: %w", err)
		}
		return Decision{Action: Start, Params: p, Epochs: a.l.rungs[0]}, nil
	}
	if anyTrialInFlight(h) {
		return Decision{Action: Wait}, nil
	}
	return Decision{Action: Done}, nil
}

// promotion returns the trial of ms to promote and the epochs to promote it
// to, or nil.
func (a *ASHA) promotion(ms []*Record) (*Record, int) {
	rungs := a.l.rungs
	for k := len(rungs) - 2; k >= 0; k-- {
		r := rungs[k]
		rs := rankAt(ms, r, resultAt)
		for _, x := range rs[:len(rs)/a.l.eta] {
			if promotable(x.t, r) {
				return x.t, rungs[k+1]
			}
		}
	}
	return nil, 0
}

// promotable reports whether t waits at rung r for a promotion: it is
// Paused there and its budget has not been raised past r.
func promotable(t *Record, r int) bool {
	return t.State == dltune.Paused && t.Budget <= r && len(t.Losses) >= r
}
