package study

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/core"
	"github.com/dltune/dltune/search"
	"github.com/dltune/dltune/trial"
)

// TestRunKeepsBestWeights runs a study that keeps the weights of its two
// best trials and checks that the store holds exactly those, each the
// model after its trial's best epoch, and that Export returns them with
// no training, even for a stored curve no replay could reproduce.
func TestRunKeepsBestWeights(t *testing.T) {
	ctx := context.Background()
	st := newMemStore()
	src := strings.Replace(exportStudy, "search: {strategy: random, trials: 3}", "search: {strategy: random, trials: 5, keep_weights: 2}", 1)
	spec := parse(t, src)
	if spec.Search.KeepWeights != 2 {
		t.Fatalf("keep_weights %d, want 2", spec.Search.KeepWeights)
	}
	p, err := Prepare(ctx, spec, PrepareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Run(ctx, st, Options{}); err != nil {
		t.Fatal(err)
	}
	trials, err := st.Trials(ctx, "exp")
	if err != nil {
		t.Fatal(err)
	}
	byLoss := slices.Clone(trials)
	sort.SliceStable(byLoss, func(i, j int) bool { return byLoss[i].Loss() < byLoss[j].Loss() })
	want := []int{byLoss[0].Number, byLoss[1].Number}
	slices.Sort(want)
	if got := st.WeightsKept("exp"); !slices.Equal(got, want) {
		t.Fatalf("weights kept of trials %v, want %v: the 2 of lowest loss", got, want)
	}
	raw := *spec
	raw.Data.Normalize = core.NormalizeNone
	_, val, err := loadData(ctx, &raw, MemoryLimit{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range want {
		tr := trials[n]
		w, err := st.Weights(ctx, "exp", n)
		if err != nil {
			t.Fatal(err)
		}
		be := BestEpoch(tr)
		if !w.Match(tr) || w.Epoch != be {
			t.Errorf("trial %d: weights of epoch %d (val_loss %v), best epoch %d", n, w.Epoch, w.Loss, be)
		}
		m, err := core.LoadModel(bytes.NewReader(w.Model))
		if err != nil {
			t.Fatalf("trial %d: %v", n, err)
		}
		// The model scores, on the raw validation data, the loss the
		// trial stored for its best epoch, bit for bit.
		e, err := m.Evaluate(val)
		if err != nil {
			t.Fatal(err)
		}
		if e.Loss != tr.Curve[be-1].ValLoss || m.Info.Trial != n || m.Info.Epochs != be || m.Info.Study != "exp" || len(m.Info.Params) != 2 {
			t.Errorf("trial %d: stored model scores %v, info %+v; the trial stored %v at epoch %d", n, e.Loss, m.Info, tr.Curve[be-1].ValLoss, be)
		}

		// Export returns that model without training, even when the
		// stored curve cannot be replayed (another CPU ran the trial).
		bent := tr.Clone()
		bent.Curve[0].ValLoss += 1e-9
		if be == 1 {
			bent.Curve[len(bent.Curve)-1].ValLoss += 1e-9
		}
		trained := 0
		x, err := Export(ctx, spec, bent, ExportOptions{Weights: w, Progress: func(core.EpochStats, int) { trained++ }})
		if err != nil {
			t.Fatalf("trial %d: export from stored weights: %v", n, err)
		}
		b, err := x.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if trained != 0 || !bytes.Equal(b, w.Model) {
			t.Errorf("trial %d: export trained %d epochs and gave %d bytes, want the %d stored, untrained", n, trained, len(b), len(w.Model))
		}
		// Weights of another epoch are not the best: Export replays, and
		// the bent curve fails the replay.
		other := w.Clone()
		other.Epoch++
		if _, err := Export(ctx, spec, bent, ExportOptions{Weights: other}); !errors.Is(err, ErrReplay) {
			t.Errorf("trial %d: export with weights of another epoch: %v, want a replay failing with ErrReplay", n, err)
		}
	}
}

// scriptObjective trains trial x on the losses losses[x], one an epoch.
// Its checkpoint is the epoch count and its model file names the trial
// and epoch. It cancels cancel after epoch cancelAt of any job.
type scriptObjective struct {
	losses    [][]float64
	cancelAt  int
	cancel    func()
	failAfter map[int]int // by trial number: the epoch after which it fails
	noModel   bool        // make none, as a command's trial
	models    atomic.Int64
}

func (o *scriptObjective) run(ctx context.Context, job *trial.Job) (trial.Result, error) {
	x := job.Params["x"].Int()
	e := job.Done
	if job.Checkpoint != nil && int(binary.BigEndian.Uint64(job.Checkpoint)) != e {
		return trial.Result{}, fmt.Errorf("checkpoint of another epoch")
	}
	for e < job.Until {
		if err := ctx.Err(); err != nil {
			return trial.Result{Epochs: e, Checkpoint: binary.BigEndian.AppendUint64(nil, uint64(e))}, err
		}
		e++
		s := trial.State{
			Checkpoint: func() ([]byte, error) { return binary.BigEndian.AppendUint64(nil, uint64(e)), nil },
			Model:      func() ([]byte, error) { o.models.Add(1); return modelOf(job.Number, e), nil },
		}
		if o.noModel {
			s.Model = nil
		}
		stop, err := job.Report(dltune.Epoch{ValLoss: o.losses[x][e-1]}, s)
		if err != nil {
			return trial.Result{Epochs: e}, err
		}
		if e == o.cancelAt && o.cancel != nil {
			o.cancel()
		}
		if n, ok := o.failAfter[job.Number]; ok && e == n {
			return trial.Result{Epochs: e}, errors.New("diverged")
		}
		if stop {
			return trial.Result{Epochs: e, Pruned: true}, nil
		}
	}
	return trial.Result{Epochs: e}, nil
}

func modelOf(number, epoch int) []byte {
	return fmt.Appendf(nil, "model of trial %d after epoch %d", number, epoch)
}

// TestResumeKeepsBestWeights interrupts a trial after epoch 3 and resumes
// it: it keeps the weights of its best epoch before the interruption
// unless a later epoch beats it, the last one included.
func TestResumeKeepsBestWeights(t *testing.T) {
	tests := []struct {
		name   string
		losses []float64
		before int // the best epoch of the first 3
		after  int // the best epoch of all 5
	}{
		{"not beaten", []float64{0.5, 0.3, 0.4, 0.35, 0.31}, 2, 2},
		{"beaten", []float64{0.5, 0.3, 0.4, 0.2, 0.25}, 2, 4},
		{"beaten last", []float64{0.5, 0.3, 0.4, 0.35, 0.1}, 2, 5},
		{"first", []float64{0.1, 0.3, 0.4, 0.35, 0.2}, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newMemStore()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			obj := &scriptObjective{losses: [][]float64{tt.losses}, cancelAt: 3, cancel: cancel}
			cfg := loopConfig{Strategy: sequence{}, Budget: 1, MaxEpochs: 5, KeepWeights: 3}
			if sum, err := loop(ctx, st, "s", cfg, obj.run); err == nil || !sum.Interrupted {
				t.Fatalf("first run: %v, want interrupted", err)
			}
			check := func(when string, epochs, best int) {
				t.Helper()
				tr, err := st.Trial(context.Background(), "s", 0)
				if err != nil {
					t.Fatal(err)
				}
				w, err := st.Weights(context.Background(), "s", 0)
				if err != nil {
					t.Fatalf("%s: %v", when, err)
				}
				if tr.Epochs() != epochs || w.Epoch != best || !w.Match(tr) || string(w.Model) != string(modelOf(0, best)) {
					t.Errorf("%s: trial at %d epochs, weights of epoch %d (%q); want %d epochs, weights of epoch %d",
						when, tr.Epochs(), w.Epoch, w.Model, epochs, best)
				}
			}
			check("interrupted", 3, tt.before)
			obj.cancel = nil
			if _, err := loop(context.Background(), st, "s", cfg, obj.run); err != nil {
				t.Fatal(err)
			}
			check("resumed", 5, tt.after)
		})
	}
}

// TestRetryKeepsWeights fails a trial after its second epoch and retries
// it: the failed trial keeps the weights of its best epoch, and the retry
// gets its own.
func TestRetryKeepsWeights(t *testing.T) {
	st := newMemStore()
	obj := &scriptObjective{losses: [][]float64{{0.5, 0.3, 0.2}}, failAfter: map[int]int{0: 2}}
	cfg := loopConfig{Strategy: sequence{}, Budget: 1, MaxEpochs: 3, KeepWeights: 3}
	if _, err := loop(context.Background(), st, "s", cfg, obj.run); err != nil {
		t.Fatal(err)
	}
	cfg.Budget, cfg.Retry = 2, []int{0}
	if _, err := loop(context.Background(), st, "s", cfg, obj.run); err != nil {
		t.Fatal(err)
	}
	trials, err := st.Trials(context.Background(), "s")
	if err != nil {
		t.Fatal(err)
	}
	if len(trials) != 2 || trials[0].State != dltune.Failed || trials[1].RetryOf != 0 || trials[1].State != dltune.Complete {
		t.Fatalf("trials %v, want trial 0 failed and trial 1 its complete retry", trials)
	}
	for n, best := range []int{2, 3} {
		w, err := st.Weights(context.Background(), "s", n)
		if err != nil {
			t.Fatalf("trial %d: %v", n, err)
		}
		if w.Epoch != best || !w.Match(trials[n]) || string(w.Model) != string(modelOf(n, best)) {
			t.Errorf("trial %d: weights of epoch %d (%q), want epoch %d", n, w.Epoch, w.Model, best)
		}
	}
}

// TestKeepWeightsZero runs a study that keeps no weights: the store holds
// none, and no model is made.
func TestKeepWeightsZero(t *testing.T) {
	st := newMemStore()
	obj := &scriptObjective{losses: [][]float64{{0.5, 0.3}, {0.4, 0.2}}, noModel: true}
	cfg := loopConfig{Strategy: sequence{}, Budget: 2, MaxEpochs: 2}
	if _, err := loop(context.Background(), st, "s", cfg, obj.run); err != nil {
		t.Fatal(err)
	}
	if got := st.WeightsKept("s"); len(got) != 0 {
		t.Errorf("weights kept of trials %v with keep_weights 0", got)
	}
}

// TestKeepWeightsSkipsModels runs trials in order of falling quality with
// keep_weights 1: once a trial is better than the others can get, they
// make no model at all.
func TestKeepWeightsSkipsModels(t *testing.T) {
	st := newMemStore()
	obj := &scriptObjective{losses: [][]float64{{0.5, 0.1}, {0.6, 0.4}, {0.7, 0.05}}}
	cfg := loopConfig{Strategy: sequence{}, Budget: 3, MaxEpochs: 2, KeepWeights: 1}
	if _, err := loop(context.Background(), st, "s", cfg, obj.run); err != nil {
		t.Fatal(err)
	}
	if got := st.WeightsKept("s"); !slices.Equal(got, []int{2}) {
		t.Errorf("weights kept of trials %v, want [2]", got)
	}
	// Trial 0 makes both epochs' models; trial 1 none (0.1 beats it); trial 2 its second.
	if got := obj.models.Load(); got != 3 {
		t.Errorf("%d models made, want 3", got)
	}
}

// pruneTrials prunes the trials of the given numbers after their first
// epoch.
type pruneTrials map[int]bool

func (p pruneTrials) Prune(_ *search.History, t *search.Record) bool { return p[t.Number] }

// TestKeepWeightsOfTheBest checks that the weights kept are those of the
// trials the leaderboard ranks first, so that export --best needs no
// replay: a trial pruned at a lower loss ranks after every complete one
// and must not take their place, whether it ran before them or after.
func TestKeepWeightsOfTheBest(t *testing.T) {
	for _, c := range []struct {
		name   string
		losses [][]float64
		prune  pruneTrials
		best   int
	}{
		{"pruned first", [][]float64{{0.1, 0.1, 0.1}, {0.5, 0.4, 0.3}}, pruneTrials{0: true}, 1},
		{"pruned after", [][]float64{{0.5, 0.4, 0.3}, {0.1, 0.1, 0.1}}, pruneTrials{1: true}, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := newMemStore()
			obj := &scriptObjective{losses: c.losses}
			cfg := loopConfig{Strategy: sequence{}, Pruner: c.prune, Budget: 2, MaxEpochs: 3, KeepWeights: 1}
			if _, err := loop(context.Background(), st, "s", cfg, obj.run); err != nil {
				t.Fatal(err)
			}
			trials, err := st.Trials(context.Background(), "s")
			if err != nil {
				t.Fatal(err)
			}
			rows := Leaderboard(trials, 3, false)
			if len(rows) != 2 || rows[0].Trial != c.best || rows[0].State != dltune.Complete || rows[1].State != dltune.Pruned {
				t.Fatalf("leaderboard %+v; want trial %d complete first, then one pruned", rows, c.best)
			}
			if got := st.WeightsKept("s"); !slices.Equal(got, []int{c.best}) {
				t.Errorf("weights kept of trials %v, want [%d], the leaderboard's first", got, c.best)
			}
			w, err := st.Weights(context.Background(), "s", c.best)
			if err != nil || !w.Match(trials[c.best]) {
				t.Errorf("weights of trial %d: %+v, %v; want those of its best epoch", c.best, w, err)
			}
		})
	}
}

// budgets starts one trial per entry, each with that many epochs.
type budgets []int

func (b budgets) Next(h *search.History) (search.Decision, error) {
	if h.Started() >= len(b) {
		return search.Decision{Action: search.Done}, nil
	}
	return search.Decision{Action: search.Start, Params: dltune.Params{"x": dltune.Int(h.Next)}, Epochs: b[h.Next]}, nil
}

// TestKeepWeightsOfPausedTrials checks that a trial paused at a low loss,
// which keeps its weights while it may still be promoted, loses them when
// the study ends without promoting it and a complete trial ranks first.
func TestKeepWeightsOfPausedTrials(t *testing.T) {
	st := newMemStore()
	obj := &scriptObjective{losses: [][]float64{{0.1, 0.1, 0.1}, {0.5, 0.4, 0.3}}}
	cfg := loopConfig{Strategy: budgets{1, 3}, Budget: 2, MaxEpochs: 3, KeepWeights: 1}
	if _, err := loop(context.Background(), st, "s", cfg, obj.run); err != nil {
		t.Fatal(err)
	}
	trials, err := st.Trials(context.Background(), "s")
	if err != nil {
		t.Fatal(err)
	}
	if len(trials) != 2 || trials[0].State != dltune.Pruned || trials[0].Epochs() != 1 || trials[1].State != dltune.Complete {
		t.Fatalf("trials %v %d, %v; want trial 0 pruned after 1 epoch, trial 1 complete", trials[0].State, trials[0].Epochs(), trials[1].State)
	}
	if got := st.WeightsKept("s"); !slices.Equal(got, []int{1}) {
		t.Errorf("weights kept of trials %v, want [1], the leaderboard's first", got)
	}
}
