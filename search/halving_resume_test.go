package search

import (
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/dltune/dltune"
)

// halvingStrategies builds each successive-halving strategy with a fresh
// sampler.
var halvingStrategies = []struct {
	name string
	new  func(HalvingOptions) (Strategy, error)
}{
	{"successive halving", func(o HalvingOptions) (Strategy, error) { return NewSuccessiveHalving(&idSpace, o) }},
	{"asha", func(o HalvingOptions) (Strategy, error) { return NewASHA(&idSpace, o) }},
	{"hyperband", func(o HalvingOptions) (Strategy, error) { return NewHyperband(&idSpace, o) }},
}

func mustHalving(t *testing.T, build func(HalvingOptions) (Strategy, error), opt HalvingOptions) Strategy {
	t.Helper()
	opt.Sampler = &idSampler{}
	s, err := build(opt)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestHalvingResumeDecisions cuts simulated studies at random points and
// asks a newly built strategy, which has only the stored trials, what to do:
// it must answer what the original answered, also when the running trials
// show as Interrupted (a killed study before the loop continues them).
func TestHalvingResumeDecisions(t *testing.T) {
	for _, st := range halvingStrategies {
		t.Run(st.name, func(t *testing.T) {
			for seed := range uint64(12) {
				r := rand.New(rand.NewPCG(seed, 7))
				opt := randomLadder(r)
				budget := 1 + r.IntN(50)
				outcome := randomOutcomes(seed, opt.MaxEpochs, 0.1, 0.2)
				sim := newSim(t, mustHalving(t, st.new, opt), budget, opt.MaxEpochs, 1+r.IntN(4), rand.New(rand.NewPCG(seed, 8)), outcome)
				sim.record = true
				sim.run(100000)
				for range 25 {
					step := sim.steps[r.IntN(len(sim.steps))]
					for _, interrupted := range []bool{false, true} {
						h := simCloneHistory(&step.h)
						if interrupted {
							for _, tr := range h.Trials {
								if tr.State == dltune.Running {
									tr.State = dltune.Interrupted
								}
							}
						}
						d, err := mustHalving(t, st.new, opt).Next(&h)
						if err != nil {
							t.Fatal(err)
						}
						if !simSameDecision(d, step.d) {
							t.Fatalf("seed %d, interrupted %v: resumed strategy says %s, original said %s", seed, interrupted, decisionString(d), decisionString(step.d))
						}
					}
				}
			}
		})
	}
}

// TestHalvingKillResume kills simulated studies mid-run and resumes them
// with a new strategy: every trial must end exactly as in the run that was
// never killed.
func TestHalvingKillResume(t *testing.T) {
	for _, st := range halvingStrategies {
		t.Run(st.name, func(t *testing.T) {
			for seed := range uint64(10) {
				r := rand.New(rand.NewPCG(seed, 9))
				opt := randomLadder(r)
				budget := 1 + r.IntN(50)
				workers := 1 + r.IntN(4)
				outcome := randomOutcomes(seed, opt.MaxEpochs, 0.1, 0.2)
				whole := newSim(t, mustHalving(t, st.new, opt), budget, opt.MaxEpochs, workers, rand.New(rand.NewPCG(seed, 10)), outcome)
				whole.record = true
				whole.run(100000)
				events := 0
				for _, tr := range whole.h.Trials {
					events += len(tr.Losses) + 1
				}
				killed := newSim(t, mustHalving(t, st.new, opt), budget, opt.MaxEpochs, workers, rand.New(rand.NewPCG(seed, 10)), outcome)
				killed.killAt = 1 + r.IntN(events)
				killed.fresh = func() Strategy { return mustHalving(t, st.new, opt) }
				killed.run(100000)
				if !reflect.DeepEqual(killed.h.Trials, whole.h.Trials) {
					t.Fatalf("seed %d, killed at event %d: trials differ from the run never killed:\n got %v\nwant %v",
						seed, killed.killAt, simFinals(&killed.h), simFinals(&whole.h))
				}
			}
		})
	}
}
