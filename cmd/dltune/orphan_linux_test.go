package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestKillRunLeavesNoOrphan kills dltune with SIGKILL while a command
// trial's program runs: the program must not outlive it, and a resume
// continues the trial from the program's checkpoint.
func TestKillRunLeavesNoOrphan(t *testing.T) {
	dir := t.TempDir()
	pids := filepath.Join(dir, "pids")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "orphan.yaml")
	src := fmt.Sprintf(`name: orphan
seed: 1
command:
  argv: [%q]
  env: {TEST_FAKE_TRAINER: "1", TRAINER_PIDS: %q, TRAINER_SLEEP: 100ms, TRAINER_HANG_AT: "3"}
  epochs: 5
space:
  lr: {float: [0.1, 0.2]}
search: {strategy: random, trials: 1, parallel: 1}
`, exe, pids)
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	storage := filepath.Join(dir, "s.db")
	p := start(t, "run", "-v", file, "--storage", storage)
	// The program hangs in epoch 3 until it is killed.
	if !p.waitFor("trial 0 epoch 2/") {
		p.wait(t)
		t.Fatalf("dltune ended before trial 0's second epoch; its log:\n%s", p.log.String())
	}
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(t); code != 128+int(syscall.SIGKILL) {
		t.Fatalf("dltune exited %d, want killed; its log:\n%s", code, p.log.String())
	}
	started := readPids(t, pids)
	if len(started) != 1 {
		t.Fatalf("the program started %d times before the kill, want once: %v", len(started), started)
	}
	deadline := time.Now().Add(5 * time.Second)
	for alive(started[0]) {
		if time.Now().After(deadline) {
			syscall.Kill(started[0], syscall.SIGKILL)
			t.Fatalf("the program (pid %d) still runs 5s after dltune was killed", started[0])
		}
		time.Sleep(20 * time.Millisecond)
	}

	before := snapshot(t, storage, "orphan")
	if len(before) != 1 || before[0].State.Finished() || before[0].Epochs() != 2 {
		t.Fatalf("after the kill the store holds %d trials, want trial 0 unfinished after 2 epochs", len(before))
	}
	code, _, errs := cli(t, context.Background(), "resume", "-v", "orphan", "--storage", storage)
	if code != 0 {
		t.Fatalf("resume exited %d: %s", code, errs)
	}
	after := snapshot(t, storage, "orphan")
	checkInvariants(t, before, after)
	tr := after[0]
	if tr.State.String() != "complete" || tr.Epochs() != 5 {
		t.Errorf("trial 0 is %s after %d epochs, want complete after 5", tr.State, tr.Epochs())
	}
	// The second run continued from the program's checkpoint: it trained
	// only the epochs dltune had not recorded.
	if want := "fake trainer: from epoch 2 to 5"; tr.Stderr != want {
		t.Errorf("the resumed program said %q, want %q", tr.Stderr, want)
	}
	if n := len(readPids(t, pids)); n != 2 {
		t.Errorf("the program started %d times in all, want twice", n)
	}
}

// readPids reads the pids the fake trainer wrote.
func readPids(t *testing.T, path string) []int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, f := range strings.Fields(string(b)) {
		pid, err := strconv.Atoi(f)
		if err != nil {
			t.Fatal(err)
		}
		pids = append(pids, pid)
	}
	return pids
}

// alive reports whether process pid exists and is not a zombie (an
// orphan's reaper may be slow to reap it).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the command name, which is in parentheses.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}
