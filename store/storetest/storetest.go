// Package storetest is the conformance suite of study.Store: every store
// runs it, so that the loop can rely on the contract stated on the
// interface whatever store it is given, as testing/fstest.TestFS does for
// file systems.
//
// A store's test calls Run with a function that opens a new, empty store:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) study.Store {
//			db, err := store.Open(filepath.Join(t.TempDir(), "dltune.db"), nil)
//			...
//			t.Cleanup(func() { db.Close() })
//			return db
//		})
//	}
package storetest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/study"
)

// Run runs the conformance suite as subtests of t. open must return a new,
// empty store each time it is called, and close it in t.Cleanup.
func Run(t *testing.T, open func(t *testing.T) study.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, st study.Store)
	}{
		{"Study", testStudy},
		{"CreateTrial", testCreateTrial},
		{"RoundTrip", testRoundTrip},
		{"UpdateTrial", testUpdateTrial},
		{"Checkpoint", testCheckpoint},
		{"Weights", testWeights},
		{"NotFound", testNotFound},
		{"Copies", testCopies},
		{"Context", testContext},
		{"Concurrent", testConcurrent},
		{"Revision", testRevision},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, open(t))
		})
	}
}

var ctx = context.Background()

// newStudy stores a study named name in st.
func newStudy(t *testing.T, st study.Store, name string) *dltune.Study {
	t.Helper()
	s := &dltune.Study{Name: name, File: "/studies/" + name + ".yaml", Spec: []byte("name: " + name + "\n"), Created: time.Date(2026, 3, 4, 5, 6, 7, 890123456, time.UTC)}
	if err := st.CreateStudy(ctx, s); err != nil {
		t.Fatalf("CreateStudy(%q): %v", name, err)
	}
	return s
}

// fullTrial returns a trial with every field set, non-finite losses
// included.
func fullTrial() *dltune.Trial {
	at := time.Date(2026, 5, 6, 7, 8, 9, 123456789, time.UTC)
	return &dltune.Trial{
		Number: -1,
		Params: dltune.Params{
			"lr":     dltune.Float(0.0123),
			"hidden": dltune.Int(64),
			"act":    dltune.String("relu"),
			"bn":     dltune.Bool(true),
		},
		State:   dltune.Running,
		Budget:  9,
		Bracket: 2,
		RetryOf: 3,
		Error:   "",
		Created: at,
		Started: at.Add(time.Second),
		Curve: []dltune.Epoch{
			{Epoch: 1, TrainLoss: 1.5, ValLoss: 1.25, ValAccuracy: 0.5, HasAccuracy: true, LearningRate: 0.01, Seconds: 0.75,
				Layers: []dltune.LayerStats{{Name: "dense0", WeightNorm: 2, GradRMS: 0.1, GradMax: 0.5, DeadFraction: 0.25, GradHist: []int{1, 2, 3}, HistLow: -9}}},
			{Epoch: 2, TrainLoss: math.Inf(1), ValLoss: math.NaN(), LearningRate: 0.005, Seconds: 0.5},
			{Epoch: 3, TrainLoss: math.Inf(-1), ValLoss: 0.5, Seconds: 0.25},
		},
		Events: []dltune.Event{{Time: at, What: "created"}, {Time: at.Add(2 * time.Second), Epoch: 2, What: "diverging"}},
		Filters: &dltune.Filters{Shape: [4]int{2, 1, 1, 2}, Epoch: 3,
			Data: []float32{0.1, float32(math.Copysign(0, -1)), math.SmallestNonzeroFloat32, -math.MaxFloat32}},
	}
}

// show formats a trial for comparison: %+v prints NaN, the infinities and
// maps (sorted) faithfully, and times are put in UTC, since a store may
// return them in another location.
func show(t *dltune.Trial) string {
	c := t.Clone()
	c.Created, c.Started, c.Finished = c.Created.UTC(), c.Started.UTC(), c.Finished.UTC()
	for i := range c.Events {
		c.Events[i].Time = c.Events[i].Time.UTC()
	}
	f := c.Filters
	c.Filters = nil
	s := fmt.Sprintf("%+v", *c)
	if f != nil {
		// By value, and the weights by their bits: they must be exact.
		bits := make([]uint32, len(f.Data))
		for i, v := range f.Data {
			bits[i] = math.Float32bits(v)
		}
		s += fmt.Sprintf(" Filters:{Shape:%v Epoch:%d Data:%#x nil:%v}", f.Shape, f.Epoch, bits, f.Data == nil)
	}
	return s
}

func sameTrial(t *testing.T, what string, got, want *dltune.Trial) {
	t.Helper()
	if g, w := show(got), show(want); g != w {
		t.Errorf("%s:\n got %s\nwant %s", what, g, w)
	}
}

// trials returns the study's trials, whole, failing the test on error:
// TrialSummaries lists them, Trial reads each. It checks that each
// summary is its trial without events, error, filters and diagnostics, or
// whole.
func trials(t *testing.T, st study.Store, name string) []*dltune.Trial {
	t.Helper()
	sums, err := st.TrialSummaries(ctx, name)
	if err != nil {
		t.Fatalf("TrialSummaries(%q): %v", name, err)
	}
	ts := make([]*dltune.Trial, len(sums))
	for i, sum := range sums {
		if ts[i], err = st.Trial(ctx, name, sum.Number); err != nil {
			t.Fatalf("Trial(%q, %d) of a trial TrialSummaries lists: %v", name, sum.Number, err)
		}
		if got, whole, want := show(sum), show(ts[i]), show(summary(ts[i])); got != whole && got != want {
			t.Errorf("TrialSummaries lists trial %d as\n %s\nwant\n %s\nor the whole trial", sum.Number, got, want)
		}
	}
	return ts
}

// summary returns t without what TrialSummaries may leave out.
func summary(t *dltune.Trial) *dltune.Trial {
	c := t.Clone()
	for i := range c.Curve {
		c.Curve[i].Layers = nil
	}
	c.Events, c.Error, c.Filters = nil, "", nil
	return c
}

func testStudy(t *testing.T, st study.Store) {
	s := newStudy(t, st, "alpha")
	got, err := st.Study(ctx, "alpha")
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != s.Name || got.File != s.File || string(got.Spec) != string(s.Spec) || !got.Created.Equal(s.Created) {
		t.Errorf("Study = %+v, want %+v", got, s)
	}
	dup := &dltune.Study{Name: "alpha", Spec: []byte("other")}
	if err := st.CreateStudy(ctx, dup); !errors.Is(err, dltune.ErrExists) {
		t.Errorf("CreateStudy of a taken name: %v, want ErrExists", err)
	}
	if got, _ := st.Study(ctx, "alpha"); string(got.Spec) != string(s.Spec) {
		t.Errorf("a refused CreateStudy changed the study's spec to %q", got.Spec)
	}
	s.Spec = []byte("name: alpha\nsearch: {trials: 9}\n")
	if err := st.UpdateStudy(ctx, s); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.Study(ctx, "alpha"); string(got.Spec) != string(s.Spec) {
		t.Errorf("after UpdateStudy, spec %q, want %q", got.Spec, s.Spec)
	}
	newStudy(t, st, "beta")
	if got, err := st.Study(ctx, "beta"); err != nil || got.Name != "beta" {
		t.Errorf("Study(beta) = %v, %v", got, err)
	}
}

func testCreateTrial(t *testing.T, st study.Store) {
	newStudy(t, st, "a")
	newStudy(t, st, "b")
	last := -1
	for i := range 5 {
		tr := &dltune.Trial{Number: -7, State: dltune.Running, Budget: 3, RetryOf: -1, Params: dltune.Params{"i": dltune.Int(i)}}
		if err := st.CreateTrial(ctx, "a", tr); err != nil {
			t.Fatal(err)
		}
		if tr.Number <= last {
			t.Errorf("trial %d created after trial %d has number %d: numbers must increase", i, last, tr.Number)
		}
		last = tr.Number
	}
	ts := trials(t, st, "a")
	if len(ts) != 5 {
		t.Fatalf("%d trials, want 5", len(ts))
	}
	for i, tr := range ts {
		if got := tr.Params["i"].Int(); got != i {
			t.Errorf("trials[%d] has i=%d: TrialSummaries must list by ascending number", i, got)
		}
		if i > 0 && tr.Number <= ts[i-1].Number {
			t.Errorf("trials[%d].Number %d after %d", i, tr.Number, ts[i-1].Number)
		}
	}
	if ts := trials(t, st, "b"); len(ts) != 0 {
		t.Errorf("study b has %d trials, want 0: trials of a leaked into it", len(ts))
	}
}

func testRoundTrip(t *testing.T, st study.Store) {
	newStudy(t, st, "s")
	want := fullTrial()
	if err := st.CreateTrial(ctx, "s", want); err != nil {
		t.Fatal(err)
	}
	ts := trials(t, st, "s")
	if len(ts) != 1 {
		t.Fatalf("%d trials, want 1", len(ts))
	}
	sameTrial(t, "Trial after CreateTrial", ts[0], want)

	want.State = dltune.Failed
	want.Error = "diverged at epoch 2: NaN in loss"
	want.Finished = want.Started.Add(time.Minute)
	if err := st.UpdateTrial(ctx, "s", want); err != nil {
		t.Fatal(err)
	}
	sameTrial(t, "Trial after UpdateTrial", trials(t, st, "s")[0], want)
	if _, err := st.Trial(ctx, "s", want.Number+1); !errors.Is(err, dltune.ErrNotFound) {
		t.Errorf("Trial of a missing number: %v, want ErrNotFound", err)
	}
	if _, err := st.Trial(ctx, "nope", 0); !errors.Is(err, dltune.ErrNotFound) {
		t.Errorf("Trial of a missing study: %v, want ErrNotFound", err)
	}
}

func testUpdateTrial(t *testing.T, st study.Store) {
	newStudy(t, st, "s")
	a := &dltune.Trial{State: dltune.Running, Budget: 3, RetryOf: -1}
	b := &dltune.Trial{State: dltune.Running, Budget: 3, RetryOf: -1}
	for _, tr := range []*dltune.Trial{a, b} {
		if err := st.CreateTrial(ctx, "s", tr); err != nil {
			t.Fatal(err)
		}
	}
	a.Curve = []dltune.Epoch{{Epoch: 1, ValLoss: 0.5}}
	a.State = dltune.Paused
	if err := st.SaveCheckpoint(ctx, "s", a, []byte("a1")); err != nil {
		t.Fatal(err)
	}
	b.State = dltune.Interrupted
	if err := st.SaveCheckpoint(ctx, "s", b, []byte("b1")); err != nil {
		t.Fatal(err)
	}
	// An unfinished trial keeps its checkpoint through an update.
	a.Budget = 9
	a.State = dltune.Running
	if err := st.UpdateTrial(ctx, "s", a); err != nil {
		t.Fatal(err)
	}
	if c, err := st.Checkpoint(ctx, "s", a.Number); err != nil || string(c) != "a1" {
		t.Errorf("checkpoint after updating a running trial = %q, %v; want a1", c, err)
	}
	// A finished one loses it in the same change.
	a.State = dltune.Complete
	a.Finished = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := st.UpdateTrial(ctx, "s", a); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Checkpoint(ctx, "s", a.Number); !errors.Is(err, dltune.ErrNotFound) {
		t.Errorf("checkpoint of a complete trial: %v, want ErrNotFound", err)
	}
	ts := trials(t, st, "s")
	sameTrial(t, "updated trial", ts[0], a)
	sameTrial(t, "other trial", ts[1], b)
	if c, err := st.Checkpoint(ctx, "s", b.Number); err != nil || string(c) != "b1" {
		t.Errorf("other trial's checkpoint = %q, %v; want b1", c, err)
	}
}

func testCheckpoint(t *testing.T, st study.Store) {
	newStudy(t, st, "s")
	tr := &dltune.Trial{State: dltune.Running, Budget: 5, RetryOf: -1}
	if err := st.CreateTrial(ctx, "s", tr); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Checkpoint(ctx, "s", tr.Number); !errors.Is(err, dltune.ErrNotFound) {
		t.Errorf("checkpoint of a new trial: %v, want ErrNotFound", err)
	}
	big := make([]byte, 3<<20)
	for i := range big {
		big[i] = byte(i * 7)
	}
	for e, ck := range [][]byte{[]byte("one"), big, {}} {
		tr.Curve = append(tr.Curve, dltune.Epoch{Epoch: e + 1, ValLoss: float64(e)})
		if err := st.SaveCheckpoint(ctx, "s", tr, ck); err != nil {
			t.Fatalf("SaveCheckpoint after epoch %d: %v", e+1, err)
		}
		got, err := st.Checkpoint(ctx, "s", tr.Number)
		if err != nil {
			t.Fatalf("Checkpoint after epoch %d: %v", e+1, err)
		}
		if string(got) != string(ck) {
			t.Errorf("checkpoint after epoch %d has %d bytes, want the %d saved", e+1, len(got), len(ck))
		}
		if n := trials(t, st, "s")[0].Epochs(); n != e+1 {
			t.Errorf("record saved with the checkpoint of epoch %d has %d epochs", e+1, n)
		}
	}
	// A finished trial keeps no checkpoint, so saving one is refused
	// and changes nothing.
	done := tr.Clone()
	done.State = dltune.Complete
	done.Curve = append(done.Curve, dltune.Epoch{Epoch: 4})
	if err := st.SaveCheckpoint(ctx, "s", done, []byte("late")); err == nil {
		t.Error("SaveCheckpoint of a complete trial succeeded")
	}
	if got := trials(t, st, "s")[0]; got.State != dltune.Running || got.Epochs() != 3 {
		t.Errorf("a refused SaveCheckpoint changed the trial to %s after %d epochs", got.State, got.Epochs())
	}
}

func testNotFound(t *testing.T, st study.Store) {
	newStudy(t, st, "s")
	tr := &dltune.Trial{State: dltune.Running, RetryOf: -1}
	if err := st.CreateTrial(ctx, "s", tr); err != nil {
		t.Fatal(err)
	}
	missing := &dltune.Trial{Number: tr.Number + 100, State: dltune.Running, RetryOf: -1}
	other := &dltune.Trial{Number: -5, State: dltune.Running, RetryOf: -1}
	checks := []struct {
		name string
		err  error
	}{
		{"Study", func() error { _, err := st.Study(ctx, "nope"); return err }()},
		{"UpdateStudy", st.UpdateStudy(ctx, &dltune.Study{Name: "nope"})},
		{"CreateTrial", st.CreateTrial(ctx, "nope", other)},
		{"TrialSummaries", func() error { _, err := st.TrialSummaries(ctx, "nope"); return err }()},
		{"Trial", func() error { _, err := st.Trial(ctx, "s", missing.Number); return err }()},
		{"UpdateTrial missing study", st.UpdateTrial(ctx, "nope", tr)},
		{"UpdateTrial missing trial", st.UpdateTrial(ctx, "s", missing)},
		{"SaveCheckpoint missing study", st.SaveCheckpoint(ctx, "nope", tr, []byte("x"))},
		{"SaveCheckpoint missing trial", st.SaveCheckpoint(ctx, "s", missing, []byte("x"))},
		{"Checkpoint missing study", func() error { _, err := st.Checkpoint(ctx, "nope", tr.Number); return err }()},
		{"Checkpoint missing trial", func() error { _, err := st.Checkpoint(ctx, "s", missing.Number); return err }()},
		{"Checkpoint negative", func() error { _, err := st.Checkpoint(ctx, "s", -1); return err }()},
	}
	for _, c := range checks {
		if !errors.Is(c.err, dltune.ErrNotFound) {
			t.Errorf("%s: %v, want an error matching dltune.ErrNotFound", c.name, c.err)
		}
	}
	if other.Number != -5 {
		t.Errorf("a failed CreateTrial set the number to %d", other.Number)
	}
	if ts := trials(t, st, "s"); len(ts) != 1 {
		t.Errorf("%d trials after changes to missing trials, want 1", len(ts))
	}
	if _, err := st.Study(ctx, "nope"); !errors.Is(err, dltune.ErrNotFound) {
		t.Errorf("UpdateStudy of a missing study created it: %v", err)
	}
}

func testCopies(t *testing.T, st study.Store) {
	s := newStudy(t, st, "s")
	s.Spec[0] = 'X'
	if got, _ := st.Study(ctx, "s"); got.Spec[0] != 'n' {
		t.Error("changing the study passed to CreateStudy changed the stored one")
	}
	tr := fullTrial()
	if err := st.CreateTrial(ctx, "s", tr); err != nil {
		t.Fatal(err)
	}
	want := show(tr)
	tr.Params["lr"] = dltune.Float(9)
	tr.Curve[0].ValLoss = 99
	tr.Curve[0].Layers[0].GradHist[0] = 99
	tr.Events[0].What = "changed"
	got := trials(t, st, "s")[0]
	if show(got) != want {
		t.Error("changing the trial passed to CreateTrial changed the stored one")
	}
	got.Curve[0].ValLoss = 77
	got.Params["lr"] = dltune.Float(7)
	if show(trials(t, st, "s")[0]) != want {
		t.Error("changing a trial Trial returned changed the stored one")
	}
	ck := []byte("checkpoint")
	tr = trials(t, st, "s")[0]
	if err := st.SaveCheckpoint(ctx, "s", tr, ck); err != nil {
		t.Fatal(err)
	}
	ck[0] = 'X'
	c, err := st.Checkpoint(ctx, "s", tr.Number)
	if err != nil || string(c) != "checkpoint" {
		t.Fatalf("Checkpoint = %q, %v: changing the bytes passed to SaveCheckpoint changed the stored ones", c, err)
	}
	c[0] = 'Y'
	if c, _ := st.Checkpoint(ctx, "s", tr.Number); string(c) != "checkpoint" {
		t.Error("changing the bytes Checkpoint returned changed the stored ones")
	}
}

func testContext(t *testing.T, st study.Store) {
	newStudy(t, st, "s")
	tr := &dltune.Trial{State: dltune.Running, RetryOf: -1}
	if err := st.CreateTrial(ctx, "s", tr); err != nil {
		t.Fatal(err)
	}
	done, cancel := context.WithCancel(ctx)
	cancel()
	changed := tr.Clone()
	changed.Budget = 42
	calls := []struct {
		name string
		err  error
	}{
		{"CreateStudy", st.CreateStudy(done, &dltune.Study{Name: "new"})},
		{"UpdateStudy", st.UpdateStudy(done, &dltune.Study{Name: "s", Spec: []byte("changed")})},
		{"Study", func() error { _, err := st.Study(done, "s"); return err }()},
		{"CreateTrial", st.CreateTrial(done, "s", &dltune.Trial{State: dltune.Running, RetryOf: -1})},
		{"UpdateTrial", st.UpdateTrial(done, "s", changed)},
		{"SaveCheckpoint", st.SaveCheckpoint(done, "s", changed, []byte("x"))},
		{"Checkpoint", func() error { _, err := st.Checkpoint(done, "s", tr.Number); return err }()},
		{"TrialSummaries", func() error { _, err := st.TrialSummaries(done, "s"); return err }()},
		{"Trial", func() error { _, err := st.Trial(done, "s", tr.Number); return err }()},
	}
	for _, c := range calls {
		if !errors.Is(c.err, context.Canceled) {
			t.Errorf("%s with a cancelled context: %v, want context.Canceled", c.name, c.err)
		}
	}
	if _, err := st.Study(ctx, "new"); !errors.Is(err, dltune.ErrNotFound) {
		t.Errorf("CreateStudy with a cancelled context stored the study: %v", err)
	}
	if s, _ := st.Study(ctx, "s"); string(s.Spec) == "changed" {
		t.Error("UpdateStudy with a cancelled context changed the study")
	}
	ts := trials(t, st, "s")
	if len(ts) != 1 || ts[0].Budget != 0 {
		t.Errorf("changes with a cancelled context were made: %d trials, budget %d", len(ts), ts[0].Budget)
	}
}

func testConcurrent(t *testing.T, st study.Store) {
	newStudy(t, st, "s")
	const workers, each = 8, 12
	var wg sync.WaitGroup
	numbers := make([][]int, workers)
	errs := make([]error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				tr := &dltune.Trial{State: dltune.Running, Budget: 2, RetryOf: -1, Params: dltune.Params{"w": dltune.Int(w), "i": dltune.Int(i)}}
				if err := st.CreateTrial(ctx, "s", tr); err != nil {
					errs[w] = err
					return
				}
				tr.Curve = []dltune.Epoch{{Epoch: 1, ValLoss: float64(w)}}
				if err := st.SaveCheckpoint(ctx, "s", tr, []byte{byte(w), byte(i)}); err != nil {
					errs[w] = err
					return
				}
				tr.Curve = append(tr.Curve, dltune.Epoch{Epoch: 2, ValLoss: float64(i)})
				tr.State = dltune.Complete
				if err := st.UpdateTrial(ctx, "s", tr); err != nil {
					errs[w] = err
					return
				}
				numbers[w] = append(numbers[w], tr.Number)
			}
		})
	}
	wg.Wait()
	for w, err := range errs {
		if err != nil {
			t.Fatalf("worker %d: %v", w, err)
		}
	}
	seen := map[int]bool{}
	for w := range workers {
		for _, n := range numbers[w] {
			if seen[n] {
				t.Errorf("number %d given twice", n)
			}
			seen[n] = true
		}
	}
	ts := trials(t, st, "s")
	if len(ts) != workers*each {
		t.Fatalf("%d trials, want %d", len(ts), workers*each)
	}
	if !sort.SliceIsSorted(ts, func(i, j int) bool { return ts[i].Number < ts[j].Number }) {
		t.Error("TrialSummaries not by ascending number")
	}
	for _, tr := range ts {
		if !seen[tr.Number] {
			t.Errorf("trial %d was not created by any worker", tr.Number)
		}
		w, i := tr.Params["w"].Int(), tr.Params["i"].Int()
		if tr.State != dltune.Complete || tr.Epochs() != 2 || tr.Curve[0].ValLoss != float64(w) || tr.Curve[1].ValLoss != float64(i) {
			t.Errorf("trial %d (worker %d, #%d): %s after %d epochs, curve %+v", tr.Number, w, i, tr.State, tr.Epochs(), tr.Curve)
		}
		if _, err := st.Checkpoint(ctx, "s", tr.Number); !errors.Is(err, dltune.ErrNotFound) {
			t.Errorf("complete trial %d kept a checkpoint: %v", tr.Number, err)
		}
	}
}

// A revisioner tells cheaply whether a study changed, as a reader that
// polls a study (the dashboard) asks. It is optional; the stores of this
// repository have it, and Run checks it on a store that has it.
type revisioner interface {
	Revision(ctx context.Context, study string) (uint64, error)
}

// testRevision checks that every change of a study raises its revision,
// and that reads and changes of another study leave it as it was. A
// refused change may raise it (PostgreSQL's does): a reader then only
// reads the study again for nothing.
func testRevision(t *testing.T, st study.Store) {
	r, ok := st.(revisioner)
	if !ok {
		t.Skip("the store has no Revision method")
	}
	s := newStudy(t, st, "s")
	newStudy(t, st, "other")
	rev := func() uint64 {
		t.Helper()
		n, err := r.Revision(ctx, "s")
		if err != nil {
			t.Fatalf("Revision: %v", err)
		}
		return n
	}
	last := rev()
	raised := func(what string) {
		t.Helper()
		if n := rev(); n <= last {
			t.Errorf("after %s the revision is %d, was %d: want it raised", what, n, last)
		} else {
			last = n
		}
	}
	same := func(what string) {
		t.Helper()
		if n := rev(); n != last {
			t.Errorf("after %s the revision is %d, was %d: want it unchanged", what, n, last)
			last = n
		}
	}
	same("nothing")

	tr := &dltune.Trial{State: dltune.Running, Budget: 3, RetryOf: -1}
	if err := st.CreateTrial(ctx, "s", tr); err != nil {
		t.Fatal(err)
	}
	raised("CreateTrial")
	tr.Curve = append(tr.Curve, dltune.Epoch{Epoch: 1, ValLoss: 0.5})
	if err := st.SaveCheckpoint(ctx, "s", tr, []byte("c1")); err != nil {
		t.Fatal(err)
	}
	raised("SaveCheckpoint")
	tr.Curve = append(tr.Curve, dltune.Epoch{Epoch: 2, ValLoss: 0.4})
	if err := st.UpdateTrial(ctx, "s", tr); err != nil {
		t.Fatal(err)
	}
	raised("UpdateTrial")
	tr.State = dltune.Complete
	if err := st.UpdateTrial(ctx, "s", tr); err != nil {
		t.Fatal(err)
	}
	raised("UpdateTrial to Complete")
	s.Spec = []byte("name: s\nsearch: {trials: 9}\n")
	if err := st.UpdateStudy(ctx, s); err != nil {
		t.Fatal(err)
	}
	raised("UpdateStudy")
	if ws, ok := st.(study.WeightStore); ok {
		tr.Curve = append(tr.Curve, dltune.Epoch{Epoch: 3, ValLoss: 0.3})
		if err := ws.SaveWeights(ctx, "s", tr, nil, &dltune.Weights{Epoch: 3, Loss: 0.3, Model: []byte("model")}, 1); err != nil {
			t.Fatal(err)
		}
		raised("SaveWeights")
	}
	if imp, ok := st.(study.Importer); ok {
		if err := imp.ImportTrial(ctx, "s", &dltune.Trial{Number: 40, State: dltune.Complete, RetryOf: -1}, nil); err != nil {
			t.Fatal(err)
		}
		raised("ImportTrial")
	}

	if _, err := st.TrialSummaries(ctx, "s"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Trial(ctx, "s", tr.Number); err != nil {
		t.Fatal(err)
	}
	same("reads")
	if err := st.CreateTrial(ctx, "other", &dltune.Trial{State: dltune.Running, RetryOf: -1}); err != nil {
		t.Fatal(err)
	}
	same("a change of another study")
	if _, err := r.Revision(ctx, "nope"); !errors.Is(err, dltune.ErrNotFound) {
		t.Errorf("Revision of a missing study: %v, want an error matching dltune.ErrNotFound", err)
	}
}
