package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dltune/dltune"
)

// slowStudy is one trial whose first epoch takes seconds.
const slowStudy = `name: slow
seed: 2
data: {kind: synthetic, synthetic: {generator: spirals, samples: 100000, noise: 0.1}}
model: {hidden: [256, 256]}
train: {epochs: 2, batch_size: 4, learning_rate: 0.001}
search: {strategy: random, trials: 1}
`

// TestTrialKilledThreeTimesFails kills dltune (SIGKILL) three times while
// its one trial trains its first epoch, as the kernel kills a process out
// of memory. The next run fails the trial instead of resuming it once
// more, and the study ends.
func TestTrialKilledThreeTimesFails(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "slow.yaml")
	if err := os.WriteFile(file, []byte(slowStudy), 0o644); err != nil {
		t.Fatal(err)
	}
	storage := filepath.Join(dir, "slow.db")
	for kill := 1; kill <= 3; kill++ {
		p := start(t, "run", "-v", file, "--storage", storage)
		if !p.waitFor("study slow: ") {
			t.Fatalf("run %d ended before it started the study; log:\n%s", kill, p.log.String())
		}
		time.Sleep(300 * time.Millisecond)
		p.cmd.Process.Kill()
		p.wait(t)
		trials := snapshot(t, storage, "slow")
		if len(trials) != 1 || trials[0].State != dltune.Running || trials[0].Epochs() != 0 {
			t.Fatalf("after kill %d the store holds %d trials, want trial 0 running with no epoch; log:\n%s", kill, len(trials), p.log.String())
		}
	}
	code, out, errs := cli(t, context.Background(), "run", "-v", file, "--storage", storage)
	if code != exitOK || !strings.Contains(out, "study slow: 1 trial finished (1 failed)") {
		t.Fatalf("run after 3 kills: exit %d, stdout %q, stderr:\n%s", code, out, errs)
	}
	const reason = "the process running it died 3 times without finishing an epoch (last at epoch 0): out of memory?"
	if !strings.Contains(errs, "trial 0 failed after 0 epochs: "+reason) {
		t.Errorf("the run does not say why trial 0 failed:\n%s", errs)
	}
	tr := showTrial(t, storage, 0)
	if tr.State != dltune.Failed || tr.Error != reason {
		t.Errorf("trial 0: %s, error %q; want failed, %q", tr.State, tr.Error, reason)
	}
	if n := strings.Count(showText(t, storage), "interrupted: its process stopped while it ran"); n != 3 {
		t.Errorf("trial 0's history tells %d deaths, want 3", n)
	}
}

func showText(t *testing.T, storage string) string {
	t.Helper()
	code, out, errs := cli(t, context.Background(), "show", "0", "--storage", storage)
	if code != 0 {
		t.Fatalf("show: exit %d: %s", code, errs)
	}
	return out
}
