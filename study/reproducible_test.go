package study

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/studyfile"
	"github.com/dltune/dltune/trial"
)

// TestReproducible pins what the README says is reproducible: with
// parallel trials that finish in a different order from run to run, grid,
// random, and the synchronous halving strategies with the random sampler
// give the same trials with the same curves; ASHA, the model-based samplers
// and the median pruner do so with one trial at a time.
func TestReproducible(t *testing.T) {
	const space = `
space:
  lr: {float: [1e-4, 1e-1], log: true}
  width: {int: [4, 64], log: true}
`
	cases := []struct {
		name     string
		search   string
		parallel int
	}{
		{"grid", "{strategy: grid, points: 3, trials: 9, parallel: 3}", 3},
		{"random", "{strategy: random, trials: 12, parallel: 3}", 3},
		{"successive-halving", "{strategy: successive-halving, trials: 12, parallel: 3, min_epochs: 1, eta: 3}", 3},
		{"hyperband", "{strategy: hyperband, trials: 17, parallel: 3, min_epochs: 1, eta: 3}", 3},
		{"asha/parallel1", "{strategy: asha, trials: 12, parallel: 1, min_epochs: 1, eta: 3}", 1},
		{"tpe/parallel1", "{strategy: bayesian, trials: 12, parallel: 1, startup: 4}", 1},
		{"gp/parallel1", "{strategy: bayesian, method: gp, trials: 8, parallel: 1, startup: 3}", 1},
		{"median/parallel1", "{strategy: random, trials: 12, parallel: 1, pruner: {kind: median, warmup_epochs: 1, min_trials: 2}}", 1},
		{"asha-tpe/parallel1", "{strategy: asha, sampler: tpe, startup: 4, trials: 12, parallel: 1, min_epochs: 1, eta: 3}", 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := fmt.Sprintf(`name: rep
seed: 7
data: {kind: synthetic, synthetic: {generator: moons, samples: 100}}
model: {hidden: [$width]}
train: {epochs: 9, batch_size: 8, learning_rate: $lr}
%s
search: %s
`, space, c.search)
			first := reproRun(t, src, 1)
			for jitter := uint64(2); jitter <= 3; jitter++ {
				if got := reproRun(t, src, jitter); !reflect.DeepEqual(got, first) {
					t.Errorf("jitter %d: the study's trials differ from the first run's:\n%v\nwant\n%v", jitter, got, first)
				}
			}
		})
	}
}

// reproOutcome is what must not change between runs: each trial's
// parameters, final state and validation curve.
type reproOutcome struct {
	Params string
	State  dltune.State
	Curve  []float64
}

// reproRun runs the study with an objective whose epochs take random
// times drawn from jitter, so parallel trials finish in a different order
// from one jitter to another. A trial's losses depend only on its
// parameters.
func reproRun(t *testing.T, src string, jitter uint64) []reproOutcome {
	t.Helper()
	spec, err := studyfile.Parse("rep.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	p, err := Prepare(context.Background(), spec, PrepareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	st := newMemStore()
	p.obj = func(ctx context.Context, job *trial.Job) (trial.Result, error) {
		lr, width := job.Params["lr"].Num, float64(job.Params["width"].Int())
		// A bowl in log lr and log width, lower with more epochs.
		base := math.Pow(math.Log10(lr)+2.5, 2) + math.Pow(math.Log2(width)-4, 2)/4
		rng := rand.New(rand.NewPCG(jitter, uint64(job.Number)))
		e := job.Done
		for e < job.Until {
			time.Sleep(time.Duration(rng.IntN(3000)) * time.Microsecond)
			e++
			ck := trial.State{Checkpoint: func() ([]byte, error) { return []byte{byte(e)}, nil }}
			stop, err := job.Report(dltune.Epoch{ValLoss: base + 1/float64(e)}, ck)
			if err != nil {
				return trial.Result{Epochs: e}, err
			}
			if stop {
				return trial.Result{Epochs: e, Pruned: true}, nil
			}
		}
		return trial.Result{Epochs: e}, nil
	}
	if _, err := p.Run(context.Background(), st, Options{}); err != nil {
		t.Fatal(err)
	}
	trials, _ := st.Trials(context.Background(), spec.Name)
	var out []reproOutcome
	for _, tr := range trials {
		o := reproOutcome{Params: tr.Params.Key(), State: tr.State}
		for _, e := range tr.Curve {
			o.Curve = append(o.Curve, e.ValLoss)
		}
		out = append(out, o)
	}
	if len(out) == 0 {
		t.Fatal("the study ran no trial")
	}
	return out
}
