package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/internal/pgtest"
	"github.com/dltune/dltune/store/postgres"
	"github.com/dltune/dltune/studyfile"
)

// sharedStudy writes a study for several workers into dir: nine ASHA
// trials whose first rung is two epochs, so that a worker logging a
// trial's first epoch is in the middle of that trial.
func sharedStudy(t *testing.T, dir string) string {
	t.Helper()
	src, err := os.ReadFile("testdata/crash.yaml")
	if err != nil {
		t.Fatal(err)
	}
	samples := "samples: 5000"
	if raceEnabled {
		samples = "samples: 2500"
	}
	s := strings.Replace(string(src), "samples: 30000", samples, 1)
	s = strings.Replace(s, "epochs: 5", "epochs: 6", 1)
	s = strings.Replace(s, "search: {strategy: random, trials: 8, parallel: 2}", "search: {strategy: asha, trials: 9, parallel: 1, min_epochs: 2, eta: 3}", 1)
	path := filepath.Join(dir, "shared.yaml")
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// readTrials reads every trial of study crash from the store at u.
func readTrials(t *testing.T, u string) map[int]*dltune.Trial {
	t.Helper()
	db, err := postgres.Open(context.Background(), u, &postgres.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ts, err := db.Trials(context.Background(), "crash")
	if err != nil {
		t.Fatal(err)
	}
	out := map[int]*dltune.Trial{}
	for _, tr := range ts {
		out[tr.Number] = tr
	}
	return out
}

// checkSharedWeights checks that the workers, killed one included, left
// the weights of keep_weights trials (the default), each of its trial's
// best epoch, and that export on this machine loads them.
func checkSharedWeights(t *testing.T, u string, trials map[int]*dltune.Trial) {
	t.Helper()
	db, err := postgres.Open(context.Background(), u, &postgres.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	n := 0
	for _, tr := range trials {
		w, err := db.Weights(context.Background(), "crash", tr.Number)
		if errors.Is(err, dltune.ErrNotFound) {
			continue
		} else if err != nil {
			t.Fatal(err)
		}
		n++
		if !w.Match(tr) {
			t.Errorf("trial %d: weights of epoch %d (val_loss %v), not of its best epoch", tr.Number, w.Epoch, w.Loss)
		}
	}
	if n != studyfile.DefaultKeepWeights {
		t.Errorf("%d trials keep weights, want keep_weights %d", n, studyfile.DefaultKeepWeights)
	}
	code, _, errs := cli(t, context.Background(), "export", "--best", "-o", filepath.Join(t.TempDir(), "best.dltm"), "--storage", u)
	if code != exitOK || !strings.Contains(errs, "from the store") {
		t.Errorf("export --best from the shared store: exit %d, %q", code, errs)
	}
}

// checkSharedStudy checks a study the workers finished: the budget of
// nine trials, each finished and continuous, each promotion made once,
// and the trials finished in before unchanged.
func checkSharedStudy(t *testing.T, after, before map[int]*dltune.Trial) {
	t.Helper()
	if len(after) != 9 {
		t.Errorf("%d trials, want 9", len(after))
	}
	for n, tr := range after {
		if !tr.State.Finished() {
			t.Errorf("trial %d is %s", n, tr.State)
		}
		for k, e := range tr.Curve {
			if e.Epoch != k+1 {
				t.Errorf("trial %d: curve entry %d is epoch %d", n, k, e.Epoch)
			}
		}
		promoted := 0
		for _, e := range tr.Events {
			if strings.HasPrefix(e.What, "promoted") {
				promoted++
			}
		}
		if promoted > 1 {
			t.Errorf("trial %d promoted %d times: %v", n, promoted, tr.Events)
		}
		if b, ok := before[n]; ok && b.State.Finished() {
			if b.State != tr.State || b.Epochs() != tr.Epochs() || b.Loss() != tr.Loss() || !b.Params.Equal(tr.Params) {
				t.Errorf("finished trial %d changed: %s after %d epochs, was %s after %d", n, tr.State, tr.Epochs(), b.State, b.Epochs())
			}
		}
	}
}

// waitEpoch waits for p to log the first epoch of a trial that trains
// more than one, and returns false if p ended first.
func waitEpoch(p *process) bool {
	for l := range p.lines {
		var trial, epoch, budget int
		if n, _ := fmt.Sscanf(l, "trial %d epoch %d/%d:", &trial, &epoch, &budget); n == 3 && epoch < budget {
			return true
		}
	}
	return false
}

// TestWorkersSurviveSIGKILL runs a study with dltune run and two dltune
// workers on one PostgreSQL database and kills one worker with SIGKILL in
// the middle of a trial: the others finish exactly the budget, another
// worker continues the killed trial from its checkpoint once its hold
// expires, at most one epoch is trained twice, and the trials that had
// finished are unchanged.
func TestWorkersSurviveSIGKILL(t *testing.T) {
	u := pgtest.URL(t)
	file := sharedStudy(t, t.TempDir())
	lease := []string{"--storage", u, "--lease", "2s", "-v"}
	run := start(t, append([]string{"run", file}, lease...)...)
	// The study is stored once the run trains.
	if !waitEpoch(run) {
		t.Fatalf("run ended early:\n%s", run.log.String())
	}
	w1 := start(t, append([]string{"worker", "--study", "crash"}, lease...)...)
	w2 := start(t, append([]string{"worker", "--study", "crash"}, lease...)...)
	if !waitEpoch(w1) {
		t.Fatalf("worker ended before training:\n%s", w1.log.String())
	}
	w1.cmd.Process.Signal(syscall.SIGKILL)
	if code := w1.wait(t); code != 128+int(syscall.SIGKILL) {
		t.Fatalf("killed worker exit %d", code)
	}
	before := readTrials(t, u)
	for _, p := range []*process{run, w2} {
		if code := p.wait(t); code != 0 {
			t.Fatalf("exit %d:\n%s", code, p.log.String())
		}
	}
	after := readTrials(t, u)
	checkSharedStudy(t, after, before)
	checkSharedWeights(t, u, after)

	taken := 0
	for n, tr := range after {
		var expired, resumed bool
		for _, e := range tr.Events {
			expired = expired || strings.Contains(e.What, "stopped renewing its hold")
			resumed = resumed || strings.HasPrefix(e.What, "resumed from its checkpoint after epoch")
		}
		if expired {
			taken++
			for _, e := range tr.Events {
				t.Logf("trial %d at epoch %d: %s", n, e.Epoch, e.What)
			}
			if !resumed {
				t.Errorf("trial %d was taken from the killed worker but not resumed from its checkpoint: %v", n, tr.Events)
			}
		}
	}
	if taken != 1 {
		t.Errorf("%d trials taken over from the killed worker, want 1", taken)
	}
	counts := map[[2]int]int{}
	for _, p := range []*process{run, w1, w2} {
		epochLines(p.log.String(), counts)
	}
	if n := retrained(counts); n > 1 {
		t.Errorf("%d epochs trained twice, want at most the one the kill interrupted", n)
	}
}

// TestWorkersSurviveRestart restarts the database server in the middle of
// a study that dltune run and two workers share: they reconnect and
// finish it.
func TestWorkersSurviveRestart(t *testing.T) {
	c := pgtest.NewCluster(t)
	file := sharedStudy(t, t.TempDir())
	lease := []string{"--storage", c.URL, "--lease", "2s", "-v"}
	run := start(t, append([]string{"run", file}, lease...)...)
	// The study is stored once the run trains.
	if !waitEpoch(run) {
		t.Fatalf("run ended early:\n%s", run.log.String())
	}
	w1 := start(t, append([]string{"worker", "--study", "crash"}, lease...)...)
	w2 := start(t, append([]string{"worker", "--study", "crash"}, lease...)...)
	// Both workers must have reached the database before the restart: a
	// worker whose first connection fails gives up at once, by design (its
	// URL may be wrong), and a loaded machine may start one late.
	for _, w := range []*process{w1, w2} {
		if !waitEpoch(w) {
			t.Fatalf("worker ended before training:\n%s", w.log.String())
		}
	}
	before := readTrials(t, c.URL)
	c.Restart(t, time.Second)
	reconnected := false
	for _, p := range []*process{run, w1, w2} {
		if code := p.wait(t); code != 0 {
			t.Fatalf("exit %d:\n%s", code, p.log.String())
		}
		for _, l := range strings.Split(p.log.String(), "\n") {
			if strings.HasPrefix(l, "dltune:") || strings.HasPrefix(l, "reconnecting in") {
				t.Log(l)
				reconnected = true
			}
		}
	}
	if !reconnected {
		t.Error("no process said it reconnected: did the restart happen mid-study?")
	}
	checkSharedStudy(t, readTrials(t, c.URL), before)
}
