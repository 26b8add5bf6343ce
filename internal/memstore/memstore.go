// Package memstore is an in-memory study.Store for tests: the loop's
// tests run on it, and it passes the same conformance suite
// (store/storetest) as the stores that persist.
//
// It imports no package of ours but the root, so that the tests of
// package study itself can use it.
package memstore

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"github.com/dltune/dltune"
)

// Mem keeps studies, trials and checkpoints in maps. It is safe for
// concurrent use. The zero Mem is not usable; call New.
type Mem struct {
	mu      sync.Mutex
	studies map[string]*study
	// The tests' hooks; see SetFail, SetBefore and SetGuard.
	fail   func(op string, t *dltune.Trial) error
	before func(t *dltune.Trial)
	guard  func(old, t *dltune.Trial) error
}

// SetFail makes the store ask f before every trial change (op is
// "create", "update", "checkpoint" or "weights") and return the error f returns, if
// any, instead of making the change: tests make the store fail with it.
// Nil removes it.
func (m *Mem) SetFail(f func(op string, t *dltune.Trial) error) {
	m.mu.Lock()
	m.fail = f
	m.mu.Unlock()
}

// SetBefore makes UpdateTrial call f before it takes the store's lock, so
// that f may block while other changes go on. Nil removes it.
func (m *Mem) SetBefore(f func(t *dltune.Trial)) {
	m.mu.Lock()
	m.before = f
	m.mu.Unlock()
}

// SetGuard makes UpdateTrial, SaveCheckpoint and SaveWeights refuse, with f's error, a
// record t that f finds wrong to write over the stored record old. Nil
// removes it.
func (m *Mem) SetGuard(f func(old, t *dltune.Trial) error) {
	m.mu.Lock()
	m.guard = f
	m.mu.Unlock()
}

// Change calls f with the stored record of trial number, under the
// store's lock, as another process changing the study would.
func (m *Mem) Change(name string, number int, f func(t *dltune.Trial)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f(m.studies[name].trials[number])
}

type study struct {
	rec     dltune.Study
	rev     uint64          // raised by every change; see Revision
	trials  []*dltune.Trial // by number; trials[i].Number == i
	ckpts   map[int][]byte
	weights map[int]*dltune.Weights
}

// New returns an empty store.
func New() *Mem {
	return &Mem{studies: map[string]*study{}}
}

// check asks the hooks about a change of t. Called with mu held.
func (m *Mem) check(op string, s *study, t *dltune.Trial) error {
	if m.fail != nil {
		if err := m.fail(op, t); err != nil {
			return err
		}
	}
	if m.guard != nil && op != "create" {
		return m.guard(s.trials[t.Number], t)
	}
	return nil
}

// find returns the named study. Called with mu held.
func (m *Mem) find(name string) (*study, error) {
	s, ok := m.studies[name]
	if !ok {
		return nil, fmt.Errorf("study %q: %w", name, dltune.ErrNotFound)
	}
	return s, nil
}

// trial returns the study and checks that it has trial number. Called
// with mu held.
func (m *Mem) trial(name string, number int) (*study, error) {
	s, err := m.find(name)
	if err != nil {
		return nil, err
	}
	if number < 0 || number >= len(s.trials) {
		return nil, fmt.Errorf("study %q trial %d: %w", name, number, dltune.ErrNotFound)
	}
	return s, nil
}

// CreateStudy stores a copy of s.
func (m *Mem) CreateStudy(ctx context.Context, s *dltune.Study) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if s.Name == "" {
		return fmt.Errorf("study has no name")
	}
	if _, ok := m.studies[s.Name]; ok {
		return fmt.Errorf("study %q: %w", s.Name, dltune.ErrExists)
	}
	m.studies[s.Name] = &study{rec: cloneStudy(s), ckpts: map[int][]byte{}, weights: map[int]*dltune.Weights{}}
	return nil
}

// UpdateStudy replaces the record of study s.Name.
func (m *Mem) UpdateStudy(ctx context.Context, s *dltune.Study) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	st, err := m.find(s.Name)
	if err != nil {
		return err
	}
	st.rec = cloneStudy(s)
	st.rev++
	return nil
}

// Study returns a copy of the named study.
func (m *Mem) Study(ctx context.Context, name string) (*dltune.Study, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	s, err := m.find(name)
	if err != nil {
		return nil, err
	}
	c := cloneStudy(&s.rec)
	return &c, nil
}

// Studies returns copies of every study, by name.
func (m *Mem) Studies(_ context.Context) ([]*dltune.Study, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*dltune.Study
	for _, s := range m.studies {
		c := cloneStudy(&s.rec)
		out = append(out, &c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// CreateTrial stores a copy of t under the next number.
func (m *Mem) CreateTrial(ctx context.Context, name string, t *dltune.Trial) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	s, err := m.find(name)
	if err != nil {
		return err
	}
	if err := m.check("create", s, t); err != nil {
		return err
	}
	c := t.Clone()
	c.Number = len(s.trials)
	s.trials = append(s.trials, c)
	s.rev++
	t.Number = c.Number
	return nil
}

// UpdateTrial replaces trial t.Number, dropping its checkpoint if t is
// finished and its weights if it has no epoch.
func (m *Mem) UpdateTrial(ctx context.Context, name string, t *dltune.Trial) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	before := m.before
	m.mu.Unlock()
	if before != nil {
		before(t)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	s, err := m.trial(name, t.Number)
	if err != nil {
		return err
	}
	if err := m.check("update", s, t); err != nil {
		return err
	}
	s.trials[t.Number] = t.Clone()
	s.rev++
	if t.State.Finished() {
		delete(s.ckpts, t.Number)
	}
	if len(t.Curve) == 0 {
		delete(s.weights, t.Number)
	}
	return nil
}

// SaveCheckpoint replaces trial t.Number and its checkpoint.
func (m *Mem) SaveCheckpoint(ctx context.Context, name string, t *dltune.Trial, ckpt []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	s, err := m.trial(name, t.Number)
	if err != nil {
		return err
	}
	if t.State.Finished() {
		return fmt.Errorf("study %q trial %d: save checkpoint: trial is %s", name, t.Number, t.State)
	}
	if err := m.check("checkpoint", s, t); err != nil {
		return err
	}
	s.trials[t.Number] = t.Clone()
	s.ckpts[t.Number] = append([]byte{}, ckpt...)
	s.rev++
	return nil
}

// Revision returns the number of changes made to the study: its record
// updated, trials created, updated or checkpointed.
func (m *Mem) Revision(ctx context.Context, name string) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	s, err := m.find(name)
	if err != nil {
		return 0, err
	}
	return s.rev, nil
}

// Checkpoint returns a copy of trial number's checkpoint.
func (m *Mem) Checkpoint(ctx context.Context, name string, number int) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	s, err := m.trial(name, number)
	if err != nil {
		return nil, err
	}
	c, ok := s.ckpts[number]
	if !ok {
		return nil, fmt.Errorf("study %q trial %d checkpoint: %w", name, number, dltune.ErrNotFound)
	}
	return append([]byte{}, c...), nil
}

// SaveWeights replaces trial t.Number, its checkpoint and its weights,
// then drops the weights dltune.DropWeights drops.
func (m *Mem) SaveWeights(ctx context.Context, name string, t *dltune.Trial, ckpt []byte, w *dltune.Weights, keep int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	s, err := m.trial(name, t.Number)
	if err != nil {
		return err
	}
	switch finished := t.State.Finished(); {
	case finished && ckpt != nil:
		return fmt.Errorf("study %q trial %d: save weights: a checkpoint for a trial that is %s", name, t.Number, t.State)
	case !finished && ckpt == nil:
		return fmt.Errorf("study %q trial %d: save weights: no checkpoint for a trial that is %s", name, t.Number, t.State)
	}
	if w != nil {
		if err := w.Check(); err != nil {
			return fmt.Errorf("study %q trial %d: save %w", name, t.Number, err)
		}
	}
	if err := m.check("weights", s, t); err != nil {
		return err
	}
	s.trials[t.Number] = t.Clone()
	s.rev++
	if ckpt != nil {
		s.ckpts[t.Number] = append([]byte{}, ckpt...)
	} else {
		delete(s.ckpts, t.Number)
	}
	if w != nil {
		s.weights[t.Number] = w.Clone()
	} else {
		delete(s.weights, t.Number)
	}
	var held []dltune.HeldWeights
	for n, w := range s.weights {
		h := dltune.HeldWeights{Trial: n, Loss: w.Loss}
		if t := s.trials[n]; t != nil {
			h.State, h.Epochs = t.State, t.Epochs()
		}
		held = append(held, h)
	}
	for _, n := range dltune.DropWeights(held, keep) {
		delete(s.weights, n)
	}
	return nil
}

// Weights returns a copy of trial number's weights.
func (m *Mem) Weights(ctx context.Context, name string, number int) (*dltune.Weights, error) {
	return m.weights(ctx, name, number, (*dltune.Weights).Clone)
}

// WeightsHead returns trial number's weights without their model.
func (m *Mem) WeightsHead(ctx context.Context, name string, number int) (*dltune.Weights, error) {
	return m.weights(ctx, name, number, func(w *dltune.Weights) *dltune.Weights {
		return &dltune.Weights{Epoch: w.Epoch, Loss: w.Loss}
	})
}

// weights returns dup of trial number's weights, made under the lock.
func (m *Mem) weights(ctx context.Context, name string, number int, dup func(*dltune.Weights) *dltune.Weights) (*dltune.Weights, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	s, err := m.trial(name, number)
	if err != nil {
		return nil, err
	}
	w, ok := s.weights[number]
	if !ok {
		return nil, fmt.Errorf("study %q trial %d weights: %w", name, number, dltune.ErrNotFound)
	}
	return dup(w), nil
}

// Trial returns a copy of trial number.
func (m *Mem) Trial(ctx context.Context, name string, number int) (*dltune.Trial, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	s, err := m.trial(name, number)
	if err != nil {
		return nil, err
	}
	return s.trials[number].Clone(), nil
}

// Trials returns copies of the study's trials, by number.
func (m *Mem) Trials(ctx context.Context, name string) ([]*dltune.Trial, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	s, err := m.find(name)
	if err != nil {
		return nil, err
	}
	ts := make([]*dltune.Trial, len(s.trials))
	for i, t := range s.trials {
		ts[i] = t.Clone()
	}
	return ts, nil
}

// TrialSummaries returns copies of the study's trials, by number, without
// their events, errors, filters, stderr, per-layer diagnostics and
// metrics, as the bbolt
// store does, so that a loop that wrote a summary back would lose them.
func (m *Mem) TrialSummaries(ctx context.Context, name string) ([]*dltune.Trial, error) {
	ts, err := m.Trials(ctx, name)
	for _, t := range ts {
		for i := range t.Curve {
			t.Curve[i].Layers, t.Curve[i].Metrics = nil, nil
		}
		t.Events, t.Error, t.Filters, t.Stderr = nil, "", nil, ""
	}
	return ts, err
}

// WeightsKept returns the numbers of the trials whose weights the study
// holds, in order, so that a test can check which the store kept.
func (m *Mem) WeightsKept(name string) []int {
	m.mu.Lock()
	defer m.mu.Unlock()
	var ns []int
	if s, ok := m.studies[name]; ok {
		for n := range s.weights {
			ns = append(ns, n)
		}
	}
	sort.Ints(ns)
	return ns
}

// Checkpoints returns the number of checkpoints the study holds, so that
// a test can check that finished trials left none.
func (m *Mem) Checkpoints(name string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	if s, ok := m.studies[name]; ok {
		return len(s.ckpts)
	}
	return 0
}

func cloneStudy(s *dltune.Study) dltune.Study {
	c := *s
	c.Spec = append([]byte(nil), s.Spec...)
	return c
}
