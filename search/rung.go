package search

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/dltune/dltune"
)

// Rungs returns the epoch budgets at which successive halving compares
// trials: minEpochs*eta^i for i = 0, 1, 2, ... while below maxEpochs, and
// then maxEpochs itself, the top rung.
//
// For example, with minEpochs 1, maxEpochs 9 and eta 3 the rungs are
// 1, 3, 9: every configuration trains 1 epoch, the best third of those
// continue to 3 epochs, and the best third of those to 9. With maxEpochs 10
// the rungs are 1, 3, 9, 10 (the cap adds a last, short rung), and with
// minEpochs 2, maxEpochs 9 they are 2, 6, 9. Choosing
// maxEpochs = minEpochs*eta^k gives the textbook ladder.
//
// Rungs panics if minEpochs < 1, maxEpochs < minEpochs or eta < 2.
func Rungs(minEpochs, maxEpochs, eta int) []int {
	if minEpochs < 1 || maxEpochs < minEpochs || eta < 2 {
		panic(fmt.Sprintf("search.Rungs(%d, %d, %d): need 1 <= min <= max and eta >= 2", minEpochs, maxEpochs, eta))
	}
	var rungs []int
	for r := minEpochs; r < maxEpochs; r *= eta {
		rungs = append(rungs, r)
		if r > maxEpochs/eta {
			break
		}
	}
	return append(rungs, maxEpochs)
}

// HalvingOptions configure SuccessiveHalving, ASHA and Hyperband.
type HalvingOptions struct {
	// MinEpochs is the bottom rung: the epochs every new configuration
	// trains before it is first compared. It must be at least 1.
	MinEpochs int
	// MaxEpochs is the top rung, the study's full budget per trial. It must
	// be at least MinEpochs.
	MaxEpochs int
	// Eta is the reduction factor: each rung keeps the best 1/Eta of the
	// trials that reached it and trains them about Eta times longer.
	// 0 means 3; otherwise it must be at least 2.
	Eta int
	// Sampler proposes the parameters of new configurations; it is
	// required. In the style of BOHB it is fitted on one rung: the highest
	// that has at least MinObservations results, or the bottom rung when
	// none has that many. Its observations are every trial's result at
	// that rung (best validation loss over the rung's epochs; +Inf for a
	// trial that failed or was pruned before reaching it; the final loss
	// of one whose early stopping fired first), its pending parameters are
	// those of the unfinished trials without a result there, and it is
	// asked for trial number History.Next. Observations and pending
	// parameters share the trials' Params maps: the sampler must not
	// modify them.
	Sampler Sampler
	// MinObservations is the number of results a rung needs before the
	// sampler is fitted on it. 0 means the number of parameters in the
	// space plus one.
	MinObservations int
}

// ladder is what the successive-halving strategies share: the rungs, the
// reduction factor and the sampler with its fitting rule.
type ladder struct {
	rungs   []int
	eta     int
	sampler Sampler
	minObs  int
}

// newLadder checks opt and builds the ladder of the strategy called name.
func newLadder(name string, space *Space, opt HalvingOptions) (ladder, error) {
	if space == nil {
		return ladder{}, fmt.Errorf("%s: no search space", name)
	}
	if opt.MinEpochs < 1 {
		return ladder{}, fmt.Errorf("%s: min epochs %d: must be at least 1", name, opt.MinEpochs)
	}
	if opt.MaxEpochs < opt.MinEpochs {
		return ladder{}, fmt.Errorf("%s: max epochs %d: must be at least min epochs (%d)", name, opt.MaxEpochs, opt.MinEpochs)
	}
	eta := opt.Eta
	if eta == 0 {
		eta = 3
	}
	if eta < 2 {
		return ladder{}, fmt.Errorf("%s: eta %d: must be at least 2", name, opt.Eta)
	}
	if opt.Sampler == nil {
		return ladder{}, fmt.Errorf("%s: no sampler", name)
	}
	minObs := opt.MinObservations
	if minObs < 0 {
		return ladder{}, fmt.Errorf("%s: min observations %d: must not be negative", name, minObs)
	}
	if minObs == 0 {
		minObs = len(space.Params) + 1
	}
	return ladder{
		rungs:   Rungs(opt.MinEpochs, opt.MaxEpochs, eta),
		eta:     eta,
		sampler: opt.Sampler,
		minObs:  minObs,
	}, nil
}

// resultAt returns t's loss at rung r and whether it has one. A trial that
// trained r epochs has its best validation loss over them, whatever its
// state now (so a trial that fails after passing a rung keeps the result
// the rung was decided on). A trial that finished short of r although its
// budget reached r has a result too: a Complete one (its early stopping
// fired) its final loss, a Failed or Pruned one +Inf.
func resultAt(t *Record, r int) (float64, bool) {
	switch {
	case len(t.Losses) >= r:
		return t.LossAt(r), true
	case !t.State.Finished() || t.Budget < r:
		return 0, false
	case t.State == dltune.Complete:
		return t.Loss(), true
	}
	return math.Inf(1), true
}

// memberResult is resultAt for a trial known to belong to rung r of a
// synchronous bracket: it won at every rung below. Such a trial may have
// finished before r although no budget reached r. Its early stopping fired
// exactly at a rung, or it failed or was pruned right at one. It then keeps
// its final loss (Complete) or +Inf (Failed, Pruned) at every higher rung.
func memberResult(t *Record, r int) (float64, bool) {
	if l, ok := resultAt(t, r); ok || !t.State.Finished() {
		return l, ok
	}
	if t.State == dltune.Complete {
		return t.Loss(), true
	}
	return math.Inf(1), true
}

// trialInFlight reports whether t is being trained: Running, or Interrupted and
// about to be continued.
func trialInFlight(t *Record) bool {
	return t.State == dltune.Running || t.State == dltune.Interrupted
}

// anyTrialInFlight reports whether some trial of h is being trained.
func anyTrialInFlight(h *History) bool {
	return slices.ContainsFunc(h.Trials, trialInFlight)
}

// rungRank is a trial and its loss at a rung.
type rungRank struct {
	t    *Record
	loss float64
}

// rankAt returns the trials of ts that have a result at rung r by res
// (resultAt or memberResult), best first: by loss, ties by trial number.
func rankAt(ts []*Record, r int, res func(*Record, int) (float64, bool)) []rungRank {
	var rs []rungRank
	for _, t := range ts {
		if l, ok := res(t, r); ok {
			rs = append(rs, rungRank{t, l})
		}
	}
	slices.SortFunc(rs, func(a, b rungRank) int {
		if c := cmp.Compare(a.loss, b.loss); c != 0 {
			return c
		}
		return cmp.Compare(a.t.Number, b.t.Number)
	})
	return rs
}

// retriedTrials returns the numbers of the Failed trials of h that a later trial
// retries (same parameters, RetryOf naming it). The retry takes the failed
// trial's place in its bracket.
func retriedTrials(h *History) map[int]bool {
	var byNum map[int]*Record
	var out map[int]bool
	for _, t := range h.Trials {
		if t.RetryOf < 0 || t.RetryOf >= t.Number {
			continue
		}
		if byNum == nil {
			byNum = make(map[int]*Record, len(h.Trials))
			for _, u := range h.Trials {
				byNum[u.Number] = u
			}
			out = make(map[int]bool)
		}
		if f := byNum[t.RetryOf]; f != nil && f.State == dltune.Failed && f.Params.Equal(t.Params) {
			out[f.Number] = true
		}
	}
	return out
}

// bracketMembers returns the trials of h in bracket b, by number, leaving out
// failed trials that were retried.
func bracketMembers(h *History, b int, skip map[int]bool) []*Record {
	var ts []*Record
	for _, t := range h.Trials {
		if t.Bracket == b && !skip[t.Number] {
			ts = append(ts, t)
		}
	}
	return ts
}

// sample asks the sampler for the parameters of trial h.Next, BOHB-style:
// the observations are every trial's loss at the highest rung with at least
// minObs results (or at the bottom rung when none has that many), and the
// pending parameters are those of unfinished trials without such a result.
func (l *ladder) sample(h *History) (dltune.Params, error) {
	skip := retriedTrials(h)
	r := l.fitRung(h, skip)
	var obs []Observation
	var pending []dltune.Params
	for _, t := range h.Trials {
		if skip[t.Number] {
			continue
		}
		if loss, ok := resultAt(t, r); ok {
			obs = append(obs, Observation{Params: t.Params, Loss: loss})
		} else if !t.State.Finished() {
			pending = append(pending, t.Params)
		}
	}
	p, err := l.sampler.Sample(obs, pending, h.Next)
	if err != nil {
		return nil, fmt.Errorf("sample trial %d: %w", h.Next, err)
	}
	return p, nil
}

// fitRung returns the rung the sampler is fitted on: the highest with at
// least minObs results, else the bottom rung.
func (l *ladder) fitRung(h *History, skip map[int]bool) int {
	for i := len(l.rungs) - 1; i > 0; i-- {
		n := 0
		for _, t := range h.Trials {
			if _, ok := resultAt(t, l.rungs[i]); ok && !skip[t.Number] {
				n++
			}
		}
		if n >= l.minObs {
			return l.rungs[i]
		}
	}
	return l.rungs[0]
}
