package study

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/store"
	"github.com/dltune/dltune/studyfile"
)

// smallStudy trains two tiny models on synthetic spirals.
const smallStudy = `name: small
seed: 5
data: {kind: synthetic, synthetic: {generator: spirals, samples: 60}}
model: {hidden: [$width], activation: $act}
train: {epochs: 2, batch_size: 16, learning_rate: $lr}
space:
  lr:    {float: [1e-3, 1e-1], log: true}
  width: {int: [2, 8]}
  act:   {choice: [relu, tanh]}
search: {strategy: random, trials: 2}
`

func parse(t *testing.T, src string) *studyfile.Spec {
	t.Helper()
	spec, err := studyfile.Parse("small.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

// TestPreparedRun runs a small study with the real objective, runs it again
// to find its budget spent, and refuses a changed or reordered space.
func TestPreparedRun(t *testing.T) {
	ctx := context.Background()
	st := newMemStore()
	p, err := Prepare(ctx, parse(t, smallStudy), PrepareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if train, val := p.Data(); train.Len()+val.Len() != 60 {
		t.Fatalf("data: %d + %d samples, want 60 in all", train.Len(), val.Len())
	}
	sum, err := p.Run(ctx, st, Options{})
	if err != nil {
		t.Fatal(err)
	}
	trials := checkStudy(t, st, "small", 2, 2)
	if sum.Finished != 2 || trials[0].State != dltune.Complete || len(trials[0].Curve) != 2 {
		t.Fatalf("summary %+v, trial 0 %s with %d epochs; want 2 finished, trial 0 complete after 2", sum, trials[0].State, len(trials[0].Curve))
	}
	for _, tr := range trials {
		if tr.Filters != nil {
			t.Errorf("MLP trial %d has filters %+v", tr.Number, tr.Filters)
		}
	}
	if _, err := p.Run(ctx, st, Options{}); err != nil {
		t.Fatalf("second run: %v", err)
	}
	checkStudy(t, st, "small", 2, 2)

	changed := parse(t, strings.Replace(smallStudy, "width: {int: [2, 8]}", "width: {int: [2, 9]}", 1))
	p, err = Prepare(ctx, changed, PrepareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Run(ctx, st, Options{}); !errors.Is(err, ErrChanged) || !strings.Contains(err.Error(), "space.width") {
		t.Fatalf("run of a changed space: %v, want ErrChanged naming space.width", err)
	}
	checkStudy(t, st, "small", 2, 2)

	// Reordered parameters give trials other values: refused too.
	reordered := parse(t, strings.Replace(smallStudy, "  lr:    {float: [1e-3, 1e-1], log: true}\n  width: {int: [2, 8]}\n", "  width: {int: [2, 8]}\n  lr:    {float: [1e-3, 1e-1], log: true}\n", 1))
	if reordered.Space.Params[0].Name != "width" {
		t.Fatalf("reordered space begins with %s, want width", reordered.Space.Params[0].Name)
	}
	p, err = Prepare(ctx, reordered, PrepareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Run(ctx, st, Options{}); !errors.Is(err, ErrChanged) || !strings.Contains(err.Error(), "space: order") {
		t.Fatalf("run of a reordered space: %v, want ErrChanged naming the order", err)
	}
}

// TestPrepareValidates checks that a spec that parses but fails for some
// trials is refused before it runs, also when it comes from the store (the
// resume path): a store written by an older dltune may hold one.
func TestPrepareValidates(t *testing.T) {
	src := strings.Replace(smallStudy, "learning_rate: $lr}", "learning_rate: $lr, schedule: {kind: cosine, min_lr: 0.01}}", 1)
	spec := parse(t, src)
	ctx := context.Background()
	var errs studyfile.ErrorList
	if _, err := Prepare(ctx, spec, PrepareOptions{}); !errors.As(err, &errs) || !strings.Contains(err.Error(), "min_lr") {
		t.Fatalf("Prepare = %v, want an ErrorList naming min_lr", err)
	}

	st := newMemStore()
	if err := st.CreateStudy(ctx, &dltune.Study{Name: spec.Name, File: spec.File, Spec: spec.Source, Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	stored, err := Load(ctx, st, spec.Name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Prepare(ctx, stored, PrepareOptions{}); !errors.As(err, &errs) {
		t.Fatalf("Prepare of the stored spec = %v, want an ErrorList", err)
	}
}

// TestLoadMissing checks that a missing study is named once: the store's
// error already names it.
func TestLoadMissing(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "s.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, err = Load(context.Background(), db, "gone")
	if !errors.Is(err, dltune.ErrNotFound) {
		t.Fatalf("Load(missing) = %v, want an error matching ErrNotFound", err)
	}
	if n := strings.Count(err.Error(), "gone"); n != 1 {
		t.Errorf("Load(missing) = %q: names the study %d times, want once", err, n)
	}
}

// TestPrepareStatedClasses checks that data.classes reaches the loaders:
// IDX labels {0, 2} are refused without it and give 3 classes with it.
func TestPrepareStatedClasses(t *testing.T) {
	dir := t.TempDir()
	const n = 8
	images := append([]byte{0, 0, 8, 3, 0, 0, 0, n, 0, 0, 0, 1, 0, 0, 0, 2}, make([]byte, 2*n)...)
	labels := []byte{0, 0, 8, 1, 0, 0, 0, n}
	for i := range n {
		images[16+2*i] = byte(i)
		labels = append(labels, byte(2*(i%2)))
	}
	for name, b := range map[string][]byte{"img": images, "lbl": labels} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	const src = `name: c
data: {kind: idx, train: {images: img, labels: lbl}%s}
model: {hidden: [2]}
train: {epochs: 1, batch_size: 4, learning_rate: 0.1}
search: {strategy: random, trials: 1}
`
	ctx := context.Background()
	file := filepath.Join(dir, "c.yaml")
	spec, err := studyfile.Parse(file, []byte(fmt.Sprintf(src, "")))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Prepare(ctx, spec, PrepareOptions{}); err == nil || !strings.Contains(err.Error(), "implies 3 classes") {
		t.Fatalf("Prepare without data.classes = %v, want the labels refused", err)
	}
	spec, err = studyfile.Parse(file, []byte(fmt.Sprintf(src, ", classes: 3")))
	if err != nil {
		t.Fatal(err)
	}
	p, err := Prepare(ctx, spec, PrepareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if train, val := p.Data(); train.Classes != 3 || val.Classes != 3 {
		t.Errorf("classes %d and %d, want 3", train.Classes, val.Classes)
	}
}
