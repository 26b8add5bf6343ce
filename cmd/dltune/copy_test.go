package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/internal/pgtest"
	"github.com/dltune/dltune/store"
	"github.com/dltune/dltune/store/postgres"
	"github.com/dltune/dltune/study"
)

// dump formats every trial of study tiny in st, with its checkpoint, for
// comparison.
func dump(t *testing.T, st study.Store) string {
	t.Helper()
	ctx := context.Background()
	sums, err := st.TrialSummaries(ctx, "tiny")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, sum := range sums {
		tr, err := st.Trial(ctx, "tiny", sum.Number)
		if err != nil {
			t.Fatal(err)
		}
		ck, _ := st.Checkpoint(ctx, "tiny", tr.Number)
		c := tr.Clone()
		c.Created, c.Started, c.Finished = c.Created.UTC(), c.Started.UTC(), c.Finished.UTC()
		for i := range c.Events {
			c.Events[i].Time = c.Events[i].Time.UTC()
		}
		// Filters by value: %+v would print the pointer.
		f := c.Filters
		c.Filters = nil
		var w *dltune.Weights
		if ws, ok := st.(study.WeightStore); ok {
			w, _ = ws.Weights(ctx, "tiny", tr.Number)
		}
		fmt.Fprintf(&b, "%+v filters %+v checkpoint %q weights %+v\n", *c, f, ck, w)
	}
	return b.String()
}

// TestCopy copies a study from a file to PostgreSQL and back: the
// commands show it the same way, and the trials, their numbers (gaps
// included), the checkpoints and the weights arrive unchanged.
func TestCopy(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	file := fixtureStore(t)
	db, err := store.Open(file, nil)
	if err != nil {
		t.Fatal(err)
	}
	paused := &dltune.Trial{Params: dltune.Params{"lr": dltune.Float(0.005), "width": dltune.Int(12), "act": dltune.String("relu")},
		State: dltune.Paused, Budget: 2, RetryOf: -1, Curve: []dltune.Epoch{{Epoch: 1, ValLoss: 0.8}, {Epoch: 2, ValLoss: 0.7}}}
	if err := db.CreateTrial(ctx, "tiny", paused); err != nil {
		t.Fatal(err)
	}
	w := &dltune.Weights{Epoch: 2, Loss: 0.7, Model: []byte("model after epoch 2")}
	if err := db.SaveWeights(ctx, "tiny", paused, []byte("state after epoch 2"), w, 3); err != nil {
		t.Fatal(err)
	}
	want := dump(t, db)
	db.Close()

	u := pgtest.URL(t)
	code, out, errs := cli(t, ctx, "copy", "--from", file, "--to", u)
	if code != 0 || !strings.Contains(out, "copied study tiny (5 trials)") {
		t.Fatalf("copy to PostgreSQL: exit %d, %q, %s", code, out, errs)
	}
	for _, args := range [][]string{{"leaderboard", "--all"}, {"show", "0"}, {"show", "4"}} {
		_, a, _ := cli(t, ctx, append(args, "--storage", file)...)
		_, b, _ := cli(t, ctx, append(args, "--storage", u)...)
		if a != b {
			t.Errorf("%v shows the copy differently:\n%s\nwant\n%s", args, b, a)
		}
	}
	pg, err := postgres.Open(ctx, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := dump(t, pg); got != want {
		t.Errorf("the copy in PostgreSQL:\n%s\nwant\n%s", got, want)
	}
	// A number reserved and never used leaves a gap, which copies keep.
	if _, err := pg.Reserve(ctx, "tiny"); err != nil {
		t.Fatal(err)
	}
	late := &dltune.Trial{Params: paused.Params, State: dltune.Complete, Budget: 4, RetryOf: 4}
	if err := pg.CreateTrial(ctx, "tiny", late); err != nil || late.Number != 6 {
		t.Fatalf("CreateTrial after a reservation: number %d, %v; want 6", late.Number, err)
	}
	want = dump(t, pg)
	pg.Close()

	back := filepath.Join(dir, "back.db")
	if code, _, errs := cli(t, ctx, "copy", "--from", u, "--to", back, "--study", "tiny"); code != 0 {
		t.Fatalf("copy back: exit %d: %s", code, errs)
	}
	db, err = store.Open(back, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := dump(t, db); got != want {
		t.Errorf("the copy back:\n%s\nwant\n%s", got, want)
	}
	next := &dltune.Trial{State: dltune.Running, RetryOf: -1}
	if err := db.CreateTrial(ctx, "tiny", next); err != nil || next.Number != 7 {
		t.Errorf("a new trial after the copy got number %d, %v; want 7", next.Number, err)
	}
	db.Close()

	// A study the destination has is refused, and left as it was.
	code, _, errs = cli(t, ctx, "copy", "--from", file, "--to", u)
	if code != exitFailure || !strings.Contains(errs, "already has a study tiny") {
		t.Errorf("copy onto an existing study: exit %d, %s", code, errs)
	}
	pg, err = postgres.Open(ctx, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	if got := dump(t, pg); got != want {
		t.Errorf("a refused copy changed the study")
	}
}

// TestCopyBadStores checks copy's errors about its flags: they name
// --from and --to, not --storage, and missing flags are usage errors.
func TestCopyBadStores(t *testing.T) {
	dir := t.TempDir()
	file := tinyStore(t, dir)
	nope := filepath.Join(dir, "nope.db")
	empty := filepath.Join(dir, "empty.db")
	db, err := store.Open(empty, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	// The empty store, as studies shows it.
	for format, want := range map[string]string{
		"table": "no study in " + empty + " yet\n",
		"json":  "[]\n",
		"csv":   "study,trials,finished,failed,unfinished,best_val_loss,best_trial,created\n",
	} {
		if code, out, errs := cli(t, context.Background(), "studies", "--storage", empty, "--format", format); code != 0 || out != want {
			t.Errorf("studies --format %s of an empty store: exit %d, %q %q; want %q", format, code, out, errs, want)
		}
	}
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no --to", []string{"--from", file}, exitUsage, `required flag(s) "to" not set`},
		{"no flags", nil, exitUsage, `required flag(s) "from", "to" not set`},
		{"missing source", []string{"--from", nope, "--to", filepath.Join(dir, "b.db")}, exitFailure, "--from " + nope + ": no store there"},
		{"bad scheme from", []string{"--from", "mysql://x/y", "--to", filepath.Join(dir, "b.db")}, exitUsage, `--from mysql://x/y: unknown scheme "mysql"`},
		{"bad scheme to", []string{"--from", file, "--to", "sqlite://x.db"}, exitUsage, `--to sqlite://x.db: unknown scheme "sqlite"`},
		{"missing study", []string{"--from", file, "--to", filepath.Join(dir, "b.db"), "--study", "nope"}, exitFailure, `no study "nope" in ` + file},
		{"empty source", []string{"--from", empty, "--to", filepath.Join(dir, "b.db")}, exitFailure, "no study in " + empty + " to copy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errs := cli(t, context.Background(), append([]string{"copy"}, tt.args...)...)
			if code != tt.code || !strings.Contains(errs, tt.want) {
				t.Errorf("exit %d, %q; want exit %d and %q", code, errs, tt.code, tt.want)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "b.db")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a refused copy created its destination: %v", err)
	}
}
