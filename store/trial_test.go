package store

import (
	"bytes"
	"errors"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/dltune/dltune"
)

func TestTrialRoundTrip(t *testing.T) {
	at := time.Date(2025, 3, 1, 12, 0, 0, 123456789, time.FixedZone("CET", 3600))
	tests := []struct {
		name  string
		trial *dltune.Trial
	}{
		{"new", &dltune.Trial{State: dltune.Running, RetryOf: -1, Created: at}},
		{"running", testTrial(3)},
		{"every kind of param", &dltune.Trial{
			Params: dltune.Params{
				"lr": dltune.Float(1e-4), "one": dltune.Float(1), "neg": dltune.Float(-2.5e-300),
				"width": dltune.Int(512), "big": dltune.Int(min(1<<53, math.MaxInt)), "act": dltune.String("tanh"),
				"quoted": dltune.String(`"{}\n`), "empty": dltune.String(""), "bn": dltune.Bool(true), "nobn": dltune.Bool(false),
			},
			State: dltune.Paused, Budget: 9, Bracket: 2, RetryOf: -1, Created: at,
		}},
		{"diverged", &dltune.Trial{
			Params: dltune.Params{"lr": dltune.Float(10)},
			State:  dltune.Failed, Budget: 10, RetryOf: 4, Error: "diverged: loss is NaN at epoch 2",
			Curve: []dltune.Epoch{
				{Epoch: 1, TrainLoss: 1e30, ValLoss: inf, LearningRate: 10, Seconds: 0.1},
				{Epoch: 2, TrainLoss: nan, ValLoss: nan, ValAccuracy: nan, HasAccuracy: true, LearningRate: 10, Seconds: 0.1,
					Layers: []dltune.LayerStats{{Name: "dense1", WeightNorm: inf, GradRMS: nan, GradMax: -inf, DeadFraction: 1}}},
			},
			Created: at, Started: at.Add(time.Second), Finished: at.Add(2 * time.Second),
			Events: []dltune.Event{{Time: at, Epoch: 0, What: "started"}, {Time: at.Add(2 * time.Second), Epoch: 2, What: "failed: diverged"}},
		}},
		{"diagnostics", &dltune.Trial{
			State: dltune.Complete, Budget: 1, RetryOf: -1, Created: at,
			Curve: []dltune.Epoch{{Epoch: 1, TrainLoss: 0.5, ValLoss: 0.6, ValAccuracy: 0.9, HasAccuracy: true, LearningRate: 1e-3, Seconds: 2,
				Layers: []dltune.LayerStats{
					{Name: "dense1", WeightNorm: 3.5, GradRMS: 1e-3, GradMax: 0.1, DeadFraction: 0.25, GradHist: []int{0, 3, 10, 2}, HistLow: -8},
					{Name: "out", WeightNorm: 1, GradRMS: 1e-2, GradMax: 0.2},
				}}},
		}},
		{"cnn filters", &dltune.Trial{
			State: dltune.Pruned, Budget: 3, RetryOf: -1, Created: at, Curve: testTrial(2).Curve,
			Filters: &dltune.Filters{Shape: [4]int{2, 1, 1, 3}, Epoch: 2,
				Data: []float32{0.1, float32(math.Copysign(0, -1)), math.SmallestNonzeroFloat32, -math.MaxFloat32, 1.0000001, -3}},
		}},
		{"filters too large to keep", &dltune.Trial{
			State: dltune.Complete, Budget: 1, RetryOf: -1, Created: at, Curve: testTrial(1).Curve,
			Filters: &dltune.Filters{Shape: [4]int{64, 3, 11, 11}, Epoch: 1},
		}},
	}
	db := openTest(t)
	if err := db.CreateStudy(bg, testStudy("s")); err != nil {
		t.Fatal(err)
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.trial.Number = 99 // CreateTrial sets it
			if err := db.CreateTrial(bg, "s", tt.trial); err != nil {
				t.Fatal(err)
			}
			if tt.trial.Number != i {
				t.Errorf("Number = %d, want %d", tt.trial.Number, i)
			}
			got, err := db.Trial(bg, "s", i)
			if err != nil {
				t.Fatal(err)
			}
			if canon(got) != canon(tt.trial) {
				t.Errorf("Trial:\ngot  %s\nwant %s", canon(got), canon(tt.trial))
			}
			// UpdateTrial round-trips the same way.
			up := tt.trial.Clone()
			up.Budget += 5
			up.Events = append(up.Events, dltune.Event{Time: at, Epoch: up.Epochs(), What: "promoted"})
			if err := db.UpdateTrial(bg, "s", up); err != nil {
				t.Fatal(err)
			}
			got, err = db.Trial(bg, "s", i)
			if err != nil {
				t.Fatal(err)
			}
			if canon(got) != canon(up) {
				t.Errorf("after UpdateTrial:\ngot  %s\nwant %s", canon(got), canon(up))
			}
		})
	}
	trials, err := db.Trials(bg, "s")
	if err != nil {
		t.Fatal(err)
	}
	if len(trials) != len(tests) {
		t.Fatalf("Trials returned %d trials, want %d", len(trials), len(tests))
	}
	for i, tr := range trials {
		if tr.Number != i {
			t.Errorf("Trials()[%d].Number = %d", i, tr.Number)
		}
	}
	// TrialSummaries reads the same trials without diagnostics, events,
	// errors and filters.
	sums, err := db.TrialSummaries(bg, "s")
	if err != nil {
		t.Fatal(err)
	}
	if len(sums) != len(trials) {
		t.Fatalf("TrialSummaries returned %d trials, want %d", len(sums), len(trials))
	}
	stripped := 0
	for i, tr := range trials {
		if want := summaryOf(tr); canon(sums[i]) != canon(want) {
			t.Errorf("TrialSummaries()[%d]:\ngot  %s\nwant %s", i, canon(sums[i]), canon(want))
		}
		if canon(sums[i]) != canon(tr) {
			stripped++
		}
	}
	if stripped != len(trials) {
		t.Errorf("TrialSummaries stripped %d of %d trials, want all: each has events", stripped, len(trials))
	}
	if _, err := db.TrialSummaries(bg, "nope"); !errors.Is(err, dltune.ErrNotFound) {
		t.Errorf("TrialSummaries of a missing study: %v, want ErrNotFound", err)
	}
}

// summaryOf returns what TrialSummaries should read of t.
func summaryOf(t *dltune.Trial) *dltune.Trial {
	s := t.Clone()
	for i := range s.Curve {
		s.Curve[i].Layers, s.Curve[i].Metrics = nil, nil
	}
	s.Events, s.Error, s.Filters, s.Stderr = nil, "", nil, ""
	return s
}

func TestTrialErrors(t *testing.T) {
	db := openTest(t)
	if err := db.CreateStudy(bg, testStudy("s")); err != nil {
		t.Fatal(err)
	}
	tr := testTrial(1)
	if err := db.CreateTrial(bg, "s", tr); err != nil {
		t.Fatal(err)
	}
	missing := testTrial(1)
	missing.Number = 7
	negative := testTrial(1)
	negative.Number = -1
	noState := testTrial(1)
	noState.State = 0
	badParam := testTrial(0)
	badParam.Params["x"] = dltune.Float(nan)
	finished := tr.Clone()
	finished.State = dltune.Complete

	tests := []struct {
		name    string
		op      func() error
		want    error
		message string // a part of the error's message
	}{
		{"create in missing study", func() error { return db.CreateTrial(bg, "x", testTrial(0)) }, dltune.ErrNotFound, `study "x": not found`},
		{"create without state", func() error { return db.CreateTrial(bg, "s", noState) }, errAny, "invalid state 0"},
		{"create with NaN param", func() error { return db.CreateTrial(bg, "s", badParam) }, errAny, "not finite"},
		{"update in missing study", func() error { return db.UpdateTrial(bg, "x", tr) }, dltune.ErrNotFound, `study "x"`},
		{"update missing trial", func() error { return db.UpdateTrial(bg, "s", missing) }, dltune.ErrNotFound, `study "s" trial 7: not found`},
		{"update negative trial", func() error { return db.UpdateTrial(bg, "s", negative) }, dltune.ErrNotFound, "trial -1"},
		{"update without state", func() error { return db.UpdateTrial(bg, "s", noState) }, errAny, "invalid state"},
		{"checkpoint missing trial", func() error { return db.SaveCheckpoint(bg, "s", missing, []byte("c")) }, dltune.ErrNotFound, "trial 7"},
		{"checkpoint finished trial", func() error { return db.SaveCheckpoint(bg, "s", finished, []byte("c")) }, errAny, "trial is complete"},
		{"read checkpoint of trial without one", func() error { _, err := db.Checkpoint(bg, "s", 0); return err }, dltune.ErrNotFound, "trial 0 checkpoint"},
		{"read checkpoint of missing trial", func() error { _, err := db.Checkpoint(bg, "s", 7); return err }, dltune.ErrNotFound, "trial 7"},
		{"read missing trial", func() error { _, err := db.Trial(bg, "s", 7); return err }, dltune.ErrNotFound, `study "s" trial 7`},
		{"read negative trial", func() error { _, err := db.Trial(bg, "s", -3); return err }, dltune.ErrNotFound, "trial -3"},
		{"read trials of missing study", func() error { _, err := db.Trials(bg, "x"); return err }, dltune.ErrNotFound, `study "x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.op()
			if err == nil {
				t.Fatal("succeeded, want an error")
			}
			if tt.want != errAny && !errors.Is(err, tt.want) {
				t.Errorf("error %v does not match %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.message) {
				t.Errorf("error %q does not contain %q", err, tt.message)
			}
		})
	}
	if noState.Number != 0 || badParam.Number != 0 {
		t.Errorf("a failed CreateTrial set Number")
	}
	// The failures used no numbers and changed nothing.
	next := testTrial(0)
	if err := db.CreateTrial(bg, "s", next); err != nil || next.Number != 1 {
		t.Errorf("next trial is number %d (%v), want 1", next.Number, err)
	}
	got, err := db.Trial(bg, "s", 0)
	if err != nil || canon(got) != canon(tr) {
		t.Errorf("trial 0 changed: %v", err)
	}
}

func TestCheckpointLifecycle(t *testing.T) {
	db := openTest(t)
	if err := db.CreateStudy(bg, testStudy("s")); err != nil {
		t.Fatal(err)
	}
	other := testTrial(0)
	tr := testTrial(0)
	for _, x := range []*dltune.Trial{other, tr} {
		if err := db.CreateTrial(bg, "s", x); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.SaveCheckpoint(bg, "s", other, []byte("other")); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name    string
		do      func() error
		want    []byte // the checkpoint afterwards; nil: none
		wantLen int    // the stored curve's length afterwards
	}{
		{"no checkpoint yet", func() error { return nil }, nil, 0},
		{"epoch 1 with checkpoint", func() error {
			addEpoch(tr)
			return db.SaveCheckpoint(bg, "s", tr, []byte("weights@1"))
		}, []byte("weights@1"), 1},
		{"epoch 2 without checkpoint keeps the old one", func() error {
			addEpoch(tr)
			return db.UpdateTrial(bg, "s", tr)
		}, []byte("weights@1"), 2},
		{"epoch 3 replaces the checkpoint", func() error {
			addEpoch(tr)
			return db.SaveCheckpoint(bg, "s", tr, bytes.Repeat([]byte("w3"), 100_000))
		}, bytes.Repeat([]byte("w3"), 100_000), 3},
		{"paused keeps it", func() error {
			tr.State = dltune.Paused
			return db.UpdateTrial(bg, "s", tr)
		}, bytes.Repeat([]byte("w3"), 100_000), 3},
		{"empty checkpoint", func() error {
			tr.State = dltune.Running
			addEpoch(tr)
			return db.SaveCheckpoint(bg, "s", tr, nil)
		}, []byte{}, 4},
		{"finishing deletes it", func() error {
			tr.State = dltune.Pruned
			return db.UpdateTrial(bg, "s", tr)
		}, nil, 4},
	}
	for _, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		got, err := db.Checkpoint(bg, "s", tr.Number)
		switch {
		case st.want == nil && !errors.Is(err, dltune.ErrNotFound):
			t.Errorf("%s: Checkpoint = %d bytes, %v; want ErrNotFound", st.name, len(got), err)
		case st.want != nil && (err != nil || !bytes.Equal(got, st.want)):
			t.Errorf("%s: Checkpoint = %.20q, %v; want %.20q", st.name, got, err, st.want)
		}
		stored, err := db.Trial(bg, "s", tr.Number)
		if err != nil || stored.Epochs() != st.wantLen {
			t.Errorf("%s: stored curve has %d epochs (%v), want %d", st.name, stored.Epochs(), err, st.wantLen)
		}
	}
	// The other trial's checkpoint is untouched, and the caller owns the
	// bytes it gets.
	c, err := db.Checkpoint(bg, "s", other.Number)
	if err != nil || string(c) != "other" {
		t.Fatalf("other checkpoint = %q, %v", c, err)
	}
	c[0] = 'X'
	if c, _ := db.Checkpoint(bg, "s", other.Number); string(c) != "other" {
		t.Errorf("changing a returned checkpoint changed the store: %q", c)
	}
}

// TestFootprint checks that the file stops growing once trials are
// finished: checkpoints are deleted, and bbolt reuses their pages.
func TestFootprint(t *testing.T) {
	db := openTest(t)
	if err := db.CreateStudy(bg, testStudy("s")); err != nil {
		t.Fatal(err)
	}
	ckpt := bytes.Repeat([]byte{1}, 1<<20)
	run := func(trials int) {
		for range trials {
			tr := testTrial(0)
			if err := db.CreateTrial(bg, "s", tr); err != nil {
				t.Fatal(err)
			}
			for range 3 {
				addEpoch(tr)
				if err := db.SaveCheckpoint(bg, "s", tr, ckpt); err != nil {
					t.Fatal(err)
				}
			}
			tr.State = dltune.Complete
			if err := db.UpdateTrial(bg, "s", tr); err != nil {
				t.Fatal(err)
			}
		}
	}
	run(5)
	first := fileSize(t, db.Path())
	run(20)
	if after := fileSize(t, db.Path()); after > first {
		t.Errorf("file grew from %d to %d bytes over 20 more trials with 1 MiB checkpoints", first, after)
	}
	t.Logf("file size %d bytes after 25 trials of 3 x 1 MiB checkpoints", fileSize(t, db.Path()))
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}
