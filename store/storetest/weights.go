package storetest

import (
	"errors"
	"slices"
	"testing"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/study"
)

// weightStore returns st as a study.WeightStore, or skips the test.
func weightStore(t *testing.T, st study.Store) study.WeightStore {
	t.Helper()
	ws, ok := st.(study.WeightStore)
	if !ok {
		t.Skipf("%T keeps no weights", st)
	}
	return ws
}

// model returns model bytes that say whose they are.
func model(number, epoch int) []byte {
	b := make([]byte, 1000+number)
	for i := range b {
		b[i] = byte(i*number + epoch)
	}
	return b
}

// kept returns the numbers of the trials of ts whose weights st holds,
// checking that each holds what was saved last for it (want, by number).
func kept(t *testing.T, st study.WeightStore, name string, ts []*dltune.Trial, want map[int]*dltune.Weights) []int {
	t.Helper()
	var ns []int
	for _, tr := range ts {
		w, err := st.Weights(ctx, name, tr.Number)
		head, herr := st.WeightsHead(ctx, name, tr.Number)
		if errors.Is(err, dltune.ErrNotFound) {
			if !errors.Is(herr, dltune.ErrNotFound) {
				t.Errorf("trial %d: WeightsHead %+v, %v where Weights found none; want an error matching dltune.ErrNotFound", tr.Number, head, herr)
			}
			continue
		} else if err != nil {
			t.Fatalf("Weights(%d): %v", tr.Number, err)
		}
		if herr != nil || head.Epoch != w.Epoch || head.Loss != w.Loss || head.Model != nil {
			t.Errorf("trial %d: WeightsHead %+v, %v; want epoch %d loss %v and no model, as Weights read", tr.Number, head, herr, w.Epoch, w.Loss)
		}
		ns = append(ns, tr.Number)
		if v := want[tr.Number]; v == nil || w.Epoch != v.Epoch || w.Loss != v.Loss || !slices.Equal(w.Model, v.Model) {
			t.Errorf("trial %d weights: epoch %d loss %v, %d bytes; want those last saved, %+v", tr.Number, w.Epoch, w.Loss, len(w.Model), v)
		}
	}
	return ns
}

func testWeights(t *testing.T, st study.Store) {
	ws := weightStore(t, st)
	newStudy(t, st, "s")
	var ts []*dltune.Trial
	for range 4 {
		tr := &dltune.Trial{State: dltune.Running, Budget: 5, RetryOf: -1}
		if err := st.CreateTrial(ctx, "s", tr); err != nil {
			t.Fatal(err)
		}
		ts = append(ts, tr)
	}
	if _, err := ws.Weights(ctx, "s", ts[0].Number); !errors.Is(err, dltune.ErrNotFound) {
		t.Errorf("weights of a new trial: %v, want ErrNotFound", err)
	}

	// The record, checkpoint and weights change together.
	saved := map[int]*dltune.Weights{}
	save := func(tr *dltune.Trial, loss float64, keep int) {
		t.Helper()
		tr.Curve = append(tr.Curve, dltune.Epoch{Epoch: tr.Epochs() + 1, ValLoss: loss})
		w := &dltune.Weights{Epoch: tr.Epochs(), Loss: loss, Model: model(tr.Number, tr.Epochs())}
		saved[tr.Number] = w.Clone()
		ck := []byte{byte(tr.Number), byte(tr.Epochs())}
		if err := ws.SaveWeights(ctx, "s", tr, ck, w, keep); err != nil {
			t.Fatalf("SaveWeights(trial %d epoch %d): %v", tr.Number, tr.Epochs(), err)
		}
		w.Model[0]++ // the store keeps a copy
		if got, err := st.Checkpoint(ctx, "s", tr.Number); err != nil || string(got) != string(ck) {
			t.Errorf("trial %d checkpoint after SaveWeights: %x, %v; want %x", tr.Number, got, err, ck)
		}
		if got, err := st.Trial(ctx, "s", tr.Number); err != nil || got.Epochs() != tr.Epochs() {
			t.Errorf("trial %d after SaveWeights of epoch %d: %v epochs, %v", tr.Number, tr.Epochs(), got, err)
		}
	}
	// Losses 0.5, 0.3, 0.4, 0.3, keeping 2: any running trial may still
	// complete at its loss and be among the best, so all four stay.
	for i, loss := range []float64{0.5, 0.3, 0.4, 0.3} {
		save(ts[i], loss, 2)
	}
	if got := kept(t, ws, "s", ts, saved); !slices.Equal(got, []int{0, 1, 2, 3}) {
		t.Errorf("weights kept of running trials %v, want all four", got)
	}
	// finish stores tr as state, with its weights as saved.
	finish := func(tr *dltune.Trial, state dltune.State) {
		t.Helper()
		f := tr.Clone()
		f.State = state
		if err := ws.SaveWeights(ctx, "s", f, nil, saved[f.Number], 2); err != nil {
			t.Fatalf("SaveWeights of a %s trial: %v", state, err)
		}
	}
	// Trial 0 is pruned at 0.5: no complete trial beats it yet, and it
	// stays. Trials 1 and 3 complete at 0.3, the two of lowest loss: a
	// pruned trial ranks after them, and the running trial 2 can no
	// longer be among the best two at 0.4.
	finish(ts[0], dltune.Pruned)
	if got := kept(t, ws, "s", ts, saved); !slices.Equal(got, []int{0, 1, 2, 3}) {
		t.Errorf("weights kept of trials %v after one was pruned, want all four", got)
	}
	finish(ts[1], dltune.Complete)
	finish(ts[3], dltune.Complete)
	if got := kept(t, ws, "s", ts, saved); !slices.Equal(got, []int{ts[1].Number, ts[3].Number}) {
		t.Errorf("weights kept of trials %v, want %v: the 2 complete ones of lowest loss", got, []int{ts[1].Number, ts[3].Number})
	}
	w, err := ws.Weights(ctx, "s", ts[1].Number)
	if err != nil {
		t.Fatal(err)
	}
	w.Model[0]++ // a copy
	// Trial 2 improves to 0.1: it may still complete first, and is kept
	// beside the two complete ones.
	save(ts[2], 0.1, 2)
	if got := kept(t, ws, "s", ts, saved); !slices.Equal(got, []int{ts[1].Number, ts[2].Number, ts[3].Number}) {
		t.Errorf("weights kept of trials %v, want %v", got, []int{ts[1].Number, ts[2].Number, ts[3].Number})
	}
	// A trial that finishes keeps its weights and loses its checkpoint;
	// of the two complete ones tied at 0.3 the lower number stays.
	done := ts[2].Clone()
	done.State = dltune.Complete
	if err := ws.SaveWeights(ctx, "s", done, nil, saved[done.Number], 2); err != nil {
		t.Fatalf("SaveWeights of a complete trial: %v", err)
	}
	if _, err := st.Checkpoint(ctx, "s", done.Number); !errors.Is(err, dltune.ErrNotFound) {
		t.Errorf("checkpoint of a trial SaveWeights finished: %v, want ErrNotFound", err)
	}
	if got := kept(t, ws, "s", ts, saved); !slices.Equal(got, []int{ts[1].Number, ts[2].Number}) {
		t.Errorf("weights kept of trials %v after a trial finished, want %v", got, []int{ts[1].Number, ts[2].Number})
	}

	// Refused: a checkpoint for a finished trial, none for a running one,
	// weights that are not. Each changes nothing.
	late := done.Clone()
	late.Curve = append(late.Curve, dltune.Epoch{Epoch: late.Epochs() + 1, ValLoss: 0.01})
	bad := ts[1].Clone()
	bad.Curve = append(bad.Curve, dltune.Epoch{Epoch: bad.Epochs() + 1, ValLoss: 0.01})
	for _, c := range []struct {
		name string
		tr   *dltune.Trial
		ck   []byte
		w    *dltune.Weights
	}{
		{"checkpoint of a finished trial", late, []byte("x"), &dltune.Weights{Epoch: 2, Loss: 0.01, Model: []byte("m")}},
		{"no checkpoint of a running trial", bad, nil, &dltune.Weights{Epoch: 2, Loss: 0.01, Model: []byte("m")}},
		{"epoch 0", bad, []byte("x"), &dltune.Weights{Epoch: 0, Loss: 0.01, Model: []byte("m")}},
		{"no model", bad, []byte("x"), &dltune.Weights{Epoch: 2, Loss: 0.01}},
	} {
		if err := ws.SaveWeights(ctx, "s", c.tr, c.ck, c.w, 2); err == nil {
			t.Errorf("SaveWeights with %s succeeded", c.name)
		}
		if got, err := st.Trial(ctx, "s", c.tr.Number); err != nil || got.Epochs() != c.tr.Epochs()-1 {
			t.Errorf("SaveWeights with %s changed the trial: %v, %v", c.name, got, err)
		}
	}
	if got := kept(t, ws, "s", ts, saved); !slices.Equal(got, []int{ts[1].Number, ts[2].Number}) {
		t.Errorf("weights kept of trials %v after refused changes, want %v", got, []int{ts[1].Number, ts[2].Number})
	}

	// Nil weights delete the trial's; keep 0 keeps none, this trial's
	// included.
	if err := ws.SaveWeights(ctx, "s", ts[1], []byte("c"), nil, 2); err != nil {
		t.Fatal(err)
	}
	if got := kept(t, ws, "s", ts, saved); !slices.Equal(got, []int{ts[2].Number}) {
		t.Errorf("weights kept of trials %v after nil weights, want %v", got, []int{ts[2].Number})
	}
	// A trial that restarts from scratch, with no epoch, loses its
	// weights; one with epochs keeps them.
	again := ts[2].Clone()
	again.State = dltune.Paused
	if err := st.UpdateTrial(ctx, "s", again); err != nil {
		t.Fatal(err)
	}
	if got := kept(t, ws, "s", ts, saved); !slices.Equal(got, []int{ts[2].Number}) {
		t.Errorf("weights kept of trials %v after a trial with epochs was updated, want %v", got, []int{ts[2].Number})
	}
	fresh := ts[2].Clone()
	fresh.State, fresh.Curve = dltune.Running, nil
	if err := st.UpdateTrial(ctx, "s", fresh); err != nil {
		t.Fatal(err)
	}
	if got := kept(t, ws, "s", ts, saved); len(got) != 0 {
		t.Errorf("weights kept of trials %v after the trial restarted from scratch, want none", got)
	}
	save(ts[1], 0.2, 2)
	save(ts[3], 0.01, 0)
	if got := kept(t, ws, "s", ts, saved); len(got) != 0 {
		t.Errorf("weights kept of trials %v with keep 0, want none", got)
	}

	missing := &dltune.Trial{Number: ts[3].Number + 100, State: dltune.Running, RetryOf: -1}
	w = &dltune.Weights{Epoch: 1, Loss: 1, Model: []byte("m")}
	for _, c := range []struct {
		name string
		err  error
	}{
		{"SaveWeights missing study", ws.SaveWeights(ctx, "nope", ts[0], []byte("c"), w, 2)},
		{"SaveWeights missing trial", ws.SaveWeights(ctx, "s", missing, []byte("c"), w, 2)},
		{"Weights missing study", func() error { _, err := ws.Weights(ctx, "nope", ts[0].Number); return err }()},
		{"Weights missing trial", func() error { _, err := ws.Weights(ctx, "s", missing.Number); return err }()},
		{"Weights negative", func() error { _, err := ws.Weights(ctx, "s", -1); return err }()},
		{"WeightsHead missing study", func() error { _, err := ws.WeightsHead(ctx, "nope", ts[0].Number); return err }()},
		{"WeightsHead missing trial", func() error { _, err := ws.WeightsHead(ctx, "s", missing.Number); return err }()},
		{"WeightsHead negative", func() error { _, err := ws.WeightsHead(ctx, "s", -1); return err }()},
	} {
		if !errors.Is(c.err, dltune.ErrNotFound) {
			t.Errorf("%s: %v, want an error matching dltune.ErrNotFound", c.name, c.err)
		}
	}
	if ts := trials(t, st, "s"); len(ts) != 4 {
		t.Errorf("%d trials after changes to missing trials, want 4", len(ts))
	}
}
