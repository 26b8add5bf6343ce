package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/core"
	"github.com/dltune/dltune/store"
	"github.com/dltune/dltune/study"
	"github.com/dltune/dltune/studyfile"
)

// process is dltune running as a child process: the test binary re-executed
// with DLTUNE_AS_MAIN set (see TestMain).
type process struct {
	cmd   *exec.Cmd
	lines chan string // stderr, line by line; closed at EOF
	done  chan struct{}
	err   error
	log   strings.Builder
}

func start(t *testing.T, args ...string) *process {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"--"}, args...)...)
	cmd.Env = append(os.Environ(), "DLTUNE_AS_MAIN=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, lines: make(chan string, 1000), done: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.log.WriteString(sc.Text() + "\n")
			select {
			case p.lines <- sc.Text():
			default:
			}
		}
		close(p.lines)
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p
}

// wait waits for the process to exit and returns its status.
func (p *process) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(2 * time.Minute):
		p.cmd.Process.Kill()
		t.Fatalf("dltune did not exit; its log:\n%s", p.log.String())
	}
	var ee *exec.ExitError
	switch {
	case p.err == nil:
		return 0
	case errors.As(p.err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ee.ExitCode()
	}
	t.Fatal(p.err)
	return -1
}

// waitFor waits for a stderr line containing s; false if the process ended.
func (p *process) waitFor(s string) bool {
	for l := range p.lines {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

// crashStudy writes the crash tests' study file into dir: eight trials
// long enough to be killed mid-epoch, and returns its path.
func crashStudy(t *testing.T, dir string, trials int) string {
	t.Helper()
	src, err := os.ReadFile("testdata/crash.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if raceEnabled {
		src = []byte(strings.Replace(string(src), "samples: 30000", "samples: 6000", 1))
	}
	src = []byte(strings.Replace(string(src), "trials: 8", fmt.Sprintf("trials: %d", trials), 1))
	path := filepath.Join(dir, "crash.yaml")
	if err := os.WriteFile(path, src, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// snapshot reads every trial of study from the store at path.
func snapshot(t *testing.T, path, study string) []*dltune.Trial {
	t.Helper()
	db, err := store.Open(path, nil)
	if err != nil {
		t.Fatalf("open store after the process ended: %v", err)
	}
	defer db.Close()
	trials, err := db.Trials(context.Background(), study)
	if err != nil && !errors.Is(err, dltune.ErrNotFound) {
		t.Fatal(err)
	}
	checkWeights(t, db, study, trials)
	return trials
}

// checkWeights checks that the weights the store keeps are those of the
// best epochs of the stored curves, whenever the process stopped: of at
// most the study's keep_weights (the default) finished trials, which
// include the leaderboard's first (so export --best finds them), and of
// unfinished trials that may still join them. It returns how many trials
// have weights. A study whose trials make no model (a command study)
// keeps none.
func checkWeights(t *testing.T, db *store.DB, name string, trials []*dltune.Trial) int {
	t.Helper()
	n, finished, unfinished := 0, 0, 0
	held := map[int]bool{}
	for _, tr := range trials {
		if !tr.State.Finished() {
			unfinished++
		}
		w, err := db.Weights(context.Background(), name, tr.Number)
		if errors.Is(err, dltune.ErrNotFound) {
			continue
		} else if err != nil {
			t.Fatal(err)
		}
		n++
		held[tr.Number] = true
		if tr.State.Finished() {
			finished++
		}
		m, err := core.LoadModel(bytes.NewReader(w.Model))
		if err != nil {
			t.Errorf("trial %d: stored weights: %v", tr.Number, err)
			continue
		}
		if !w.Match(tr) || m.Info.Trial != tr.Number || m.Info.Epochs != w.Epoch || m.Info.ValLoss != w.Loss {
			t.Errorf("trial %d: stored weights of epoch %d (val_loss %v, model of trial %d epoch %d), not of its stored best epoch %d",
				tr.Number, w.Epoch, w.Loss, m.Info.Trial, m.Info.Epochs, study.BestEpoch(tr))
		}
	}
	if keep := studyfile.DefaultKeepWeights; finished > keep || n > keep+unfinished {
		t.Errorf("%d trials keep weights, %d of them finished; want at most keep_weights %d finished, and %d unfinished", n, finished, keep, unfinished)
	}
	if n == 0 {
		return 0 // a command study's trials make no model
	}
	for _, r := range study.Leaderboard(trials, math.MaxInt, false)[:min(studyfile.DefaultKeepWeights, finishedWithLoss(trials))] {
		if !held[r.Trial] {
			t.Errorf("trial %d, %d on the leaderboard, keeps no weights", r.Trial, r.Rank)
		}
	}
	return n
}

// finishedWithLoss counts the trials that are complete or pruned with a
// validation loss: those a leaderboard ranks before failed ones.
func finishedWithLoss(trials []*dltune.Trial) int {
	n := 0
	for _, tr := range trials {
		if (tr.State == dltune.Complete || tr.State == dltune.Pruned) && len(tr.Curve) > 0 {
			n++
		}
	}
	return n
}

// checkInvariants checks what no interruption may break, against the
// trials seen before it.
func checkInvariants(t *testing.T, before, after []*dltune.Trial) {
	t.Helper()
	seen := map[int]bool{}
	for i, tr := range after {
		if seen[tr.Number] {
			t.Errorf("trial number %d used twice", tr.Number)
		}
		seen[tr.Number] = true
		if tr.Number != i {
			t.Errorf("trial %d stored at position %d: numbers have a gap", tr.Number, i)
		}
		for k, e := range tr.Curve {
			if e.Epoch != k+1 {
				t.Errorf("trial %d: curve entry %d is epoch %d: the curve is not continuous", tr.Number, k, e.Epoch)
			}
		}
	}
	if len(after) < len(before) {
		t.Fatalf("trials lost: %d before, %d after", len(before), len(after))
	}
	for i, b := range before {
		a := after[i]
		if b.State.Finished() {
			if a.State != b.State || a.Epochs() != b.Epochs() || a.Loss() != b.Loss() || !a.Params.Equal(b.Params) {
				t.Errorf("finished trial %d changed: %s after %d epochs (loss %v), was %s after %d (loss %v)",
					b.Number, a.State, a.Epochs(), a.Loss(), b.State, b.Epochs(), b.Loss())
			}
			continue
		}
		if a.Epochs() < b.Epochs() {
			t.Errorf("trial %d lost epochs: %d, was %d", b.Number, a.Epochs(), b.Epochs())
		}
	}
}

// epochLines counts the epochs a log reports (dltune -v), by trial and epoch.
func epochLines(log string, into map[[2]int]int) {
	for _, l := range strings.Split(log, "\n") {
		var trial, epoch, budget int
		if n, _ := fmt.Sscanf(l, "trial %d epoch %d/%d:", &trial, &epoch, &budget); n == 3 {
			into[[2]int{trial, epoch}]++
		}
	}
}

// retrained returns how many epochs were reported more than once.
func retrained(counts map[[2]int]int) int {
	n := 0
	for _, c := range counts {
		n += c - 1
	}
	return n
}

// checkResumes checks that every resumption of a trial continued from the
// epochs it had stored: no trained epoch that was recorded is trained
// twice.
func checkResumes(t *testing.T, trials []*dltune.Trial) {
	t.Helper()
	for _, tr := range trials {
		last := 0
		for _, e := range tr.Events {
			if strings.HasPrefix(e.What, "restarted") && e.Epoch > 0 {
				t.Errorf("trial %d restarted from scratch after %d epochs: %q", tr.Number, e.Epoch, e.What)
			}
			if e.Epoch < last && !strings.HasPrefix(e.What, "restarted") {
				t.Errorf("trial %d: event %q at epoch %d after one at epoch %d", tr.Number, e.What, e.Epoch, last)
			}
			last = e.Epoch
		}
	}
}

func TestInterruptWithSignal(t *testing.T) {
	dir := t.TempDir()
	storage := filepath.Join(dir, "int.db")
	p := start(t, "run", "-v", crashStudy(t, dir, 8), "--storage", storage)
	if !p.waitFor(" complete after ") {
		t.Fatalf("no trial completed; log:\n%s", p.log.String())
	}
	time.Sleep(30 * time.Millisecond)
	p.cmd.Process.Signal(os.Interrupt)
	if code := p.wait(t); code != exitInterrupted {
		t.Fatalf("exit %d after SIGINT, want %d; log:\n%s", code, exitInterrupted, p.log.String())
	}
	if !strings.Contains(p.log.String(), "resume with: dltune resume crash --storage "+storage) {
		t.Errorf("no resume hint in:\n%s", p.log.String())
	}
	before := snapshot(t, storage, "crash")
	var interrupted []int
	for _, tr := range before {
		switch {
		case tr.State == dltune.Interrupted:
			interrupted = append(interrupted, tr.Number)
		case !tr.State.Finished():
			t.Errorf("trial %d is %s after a clean stop", tr.Number, tr.State)
		}
	}
	if len(interrupted) == 0 {
		t.Fatalf("no trial was interrupted; log:\n%s", p.log.String())
	}

	code, _, errs := cli(t, context.Background(), "resume", "-v", "crash", "--storage", storage)
	if code != 0 {
		t.Fatalf("resume: exit %d: %s", code, errs)
	}
	// Interrupted trials continued where they stopped, mid-epoch: every
	// epoch was trained once.
	counts := map[[2]int]int{}
	epochLines(p.log.String(), counts)
	epochLines(errs, counts)
	if len(counts) != 8*5 || retrained(counts) != 0 {
		t.Errorf("%d distinct epochs reported, %d of them twice; want 40, none twice", len(counts), retrained(counts))
	}
	after := snapshot(t, storage, "crash")
	checkInvariants(t, before, after)
	checkResumes(t, after)
	if len(after) != 8 {
		t.Errorf("%d trials after resume, want 8", len(after))
	}
	for _, tr := range after {
		if tr.State != dltune.Complete || tr.Epochs() != 5 {
			t.Errorf("trial %d: %s after %d epochs, want complete after 5", tr.Number, tr.State, tr.Epochs())
		}
	}
	for _, n := range interrupted {
		var resumed bool
		for _, e := range after[n].Events {
			resumed = resumed || strings.HasPrefix(e.What, "resumed from its checkpoint after epoch")
		}
		if !resumed {
			t.Errorf("interrupted trial %d was not resumed from its checkpoint: %+v", n, after[n].Events)
		}
	}
}

// TestKillAnywhere kills dltune with SIGKILL at random moments of a study
// and resumes it each time. DLTUNE_STRESS=1 kills a longer study 25 times
// instead of 4.
func TestKillAnywhere(t *testing.T) {
	kills, trials, wait := 4, 8, 600
	if os.Getenv("DLTUNE_STRESS") == "1" {
		kills, trials, wait = 25, 24, 300
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("DLTUNE_STRESS_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("seed %d (DLTUNE_STRESS_SEED reruns it)", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	dir := t.TempDir()
	storage := filepath.Join(dir, "kill.db")
	file := crashStudy(t, dir, trials)
	var before []*dltune.Trial
	killed, midTrial := 0, 0
	counts := map[[2]int]int{}
	for killed < kills {
		p := start(t, "run", "-v", file, "--storage", storage)
		switch {
		case killed == 0:
			// The first kill lands mid-trial: a trial just reported an epoch.
			p.waitFor(" epoch ")
		case rng.IntN(2) == 0:
			// Right after a trial ended or started: its records were just written.
			p.waitFor("trial ")
			fallthrough
		default:
			select {
			case <-p.done:
			case <-time.After(time.Duration(rng.IntN(wait)) * time.Millisecond):
			}
		}
		p.cmd.Process.Kill()
		code := p.wait(t)
		epochLines(p.log.String(), counts)
		after := snapshot(t, storage, "crash")
		checkInvariants(t, before, after)
		if t.Failed() {
			t.Fatalf("after kill %d; log:\n%s", killed, p.log.String())
		}
		before = after
		if code == 0 {
			t.Fatalf("the study finished after %d of %d planned kills: it is too short to test them", killed, kills)
		}
		killed++
		// A trial the store still calls running was cut off by the kill.
		for _, tr := range after {
			if tr.State == dltune.Running {
				midTrial++
				break
			}
		}
	}
	if midTrial == 0 {
		t.Fatalf("none of the %d kills landed while a trial was running", killed)
	}
	code, _, errs := cli(t, context.Background(), "run", "-v", file, "--storage", storage)
	if code != 0 {
		t.Fatalf("final run: exit %d: %s", code, errs)
	}
	// Each kill may cost the epoch each of the 2 running trials was in;
	// epochs reported (and so recorded) are never trained again, but for a
	// trial's last epoch, recorded with its end. (A process killed between
	// recording an epoch and logging it leaves it out of the log.)
	epochLines(errs, counts)
	if len(counts) > trials*5 {
		t.Errorf("%d distinct epochs reported, want at most %d", len(counts), trials*5)
	}
	if n := retrained(counts); n > 2*killed {
		t.Errorf("%d epochs reported twice after %d kills, want at most %d", n, killed, 2*killed)
	}
	after := snapshot(t, storage, "crash")
	checkInvariants(t, before, after)
	checkResumes(t, after)
	db, err := store.Open(storage, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := checkWeights(t, db, "crash", after); n != studyfile.DefaultKeepWeights {
		t.Errorf("%d trials keep weights at the end, want keep_weights %d", n, studyfile.DefaultKeepWeights)
	}
	db.Close()
	if len(after) != trials {
		t.Fatalf("%d trials, want exactly %d", len(after), trials)
	}
	for _, tr := range after {
		if tr.State == dltune.Failed && strings.Contains(tr.Error, "died 3 times without finishing an epoch") {
			// Killed three times in a row before it finished an epoch: a
			// trial that kills its process every time must not stop the
			// study.
			t.Logf("trial %d failed: %s", tr.Number, tr.Error)
			continue
		}
		if tr.State != dltune.Complete || tr.Epochs() != 5 {
			t.Errorf("trial %d: %s after %d epochs, want complete after 5", tr.Number, tr.State, tr.Epochs())
		}
	}
	t.Logf("killed %d times, %d of them mid-trial", killed, midTrial)
}

// TestReadWhileRunning reads the leaderboard of a study that another
// process is running: from the snapshot that process keeps.
func TestReadWhileRunning(t *testing.T) {
	dir := t.TempDir()
	storage := filepath.Join(dir, "live.db")
	p := start(t, "run", crashStudy(t, dir, 40), "--storage", storage)
	defer func() {
		p.cmd.Process.Kill()
		p.wait(t)
	}()
	if !p.waitFor(" complete after ") {
		t.Fatalf("no trial completed; log:\n%s", p.log.String())
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, out, errs := cli(t, context.Background(), "leaderboard", "--storage", storage, "--format", "json")
		if code == 0 && strings.Contains(errs, "a study is running on") && strings.Contains(out, `"state": "complete"`) {
			return
		}
		select {
		case <-p.done:
			t.Skip("the study ended before it could be read while running")
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("leaderboard while running: exit %d, %q %q", code, out, errs)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestCorruptCheckpoint resumes a study one of whose interrupted trials
// has a damaged checkpoint: that trial fails with an error that says so,
// the others continue, and no finished trial changes.
func TestCorruptCheckpoint(t *testing.T) {
	dir := t.TempDir()
	storage := filepath.Join(dir, "ck.db")
	p := start(t, "run", "-v", crashStudy(t, dir, 6), "--storage", storage)
	if !p.waitFor(" epoch 2/5") {
		t.Fatalf("no trial reached epoch 2; log:\n%s", p.log.String())
	}
	p.cmd.Process.Signal(os.Interrupt)
	if code := p.wait(t); code != exitInterrupted {
		t.Fatalf("exit %d after SIGINT, want %d; log:\n%s", code, exitInterrupted, p.log.String())
	}
	before := snapshot(t, storage, "crash")
	victim := -1
	for _, tr := range before {
		if tr.State == dltune.Interrupted {
			victim = tr.Number
			break
		}
	}
	if victim < 0 {
		t.Fatalf("no trial was interrupted; log:\n%s", p.log.String())
	}
	db, err := store.Open(storage, nil)
	if err != nil {
		t.Fatal(err)
	}
	ck, err := db.Checkpoint(context.Background(), "crash", victim)
	if err != nil {
		t.Fatal(err)
	}
	ck[len(ck)/2] ^= 0xff
	ck = ck[:len(ck)-7]
	if err := db.SaveCheckpoint(context.Background(), "crash", before[victim], ck); err != nil {
		t.Fatal(err)
	}
	db.Close()

	code, _, errs := cli(t, context.Background(), "resume", "crash", "--storage", storage)
	if code != 0 {
		t.Fatalf("resume: exit %d: %s", code, errs)
	}
	after := snapshot(t, storage, "crash")
	checkInvariants(t, before, after)
	if len(after) != 6 {
		t.Errorf("%d trials, want 6", len(after))
	}
	for _, tr := range after {
		switch {
		case tr.Number == victim:
			if tr.State != dltune.Failed || !strings.Contains(tr.Error, "checkpoint") {
				t.Errorf("trial %d with the damaged checkpoint: %s, error %q; want failed, naming the checkpoint", tr.Number, tr.State, tr.Error)
			}
			if tr.Epochs() < before[victim].Epochs() {
				t.Errorf("trial %d lost its curve: %d epochs, had %d", tr.Number, tr.Epochs(), before[victim].Epochs())
			}
		case tr.State != dltune.Complete:
			t.Errorf("trial %d: %s, want complete", tr.Number, tr.State)
		}
	}
}
