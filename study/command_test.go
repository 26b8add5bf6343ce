package study

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/store"
	"github.com/dltune/dltune/studyfile"
)

// buildTrainer builds the fake training program of testdata/trainer.
func buildTrainer(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "trainer")
	cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", bin, "./testdata/trainer")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the fake trainer: %v\n%s", err, out)
	}
	return bin
}

// TestCommandStudy runs a command study with ASHA, two trials at once:
// every trial ends, promotions continue from the program's checkpoint
// without training an epoch twice, the curves are the program's, a trial
// whose program crashes fails with its stderr, and no trial directory is
// left.
func TestCommandStudy(t *testing.T) {
	bin := buildTrainer(t)
	dir := t.TempDir()
	log := filepath.Join(dir, "log")
	src := fmt.Sprintf(`name: cmd
seed: 3
command:
  argv: [%q, --lr, $lr]
  env: {TRAINER_LOG: %q, TRAINER_CRASH_ABOVE: "0.5"}
  epochs: 9
space:
  lr: {float: [0.01, 0.6]}
search: {strategy: asha, trials: 12, parallel: 2, min_epochs: 1, eta: 3}
`, bin, log)
	spec, err := studyfile.Parse(filepath.Join(dir, "cmd.yaml"), []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	prep, err := Prepare(ctx, spec, PrepareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(filepath.Join(dir, "s.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	work := filepath.Join(dir, "work")
	sum, err := prep.Run(ctx, db, Options{WorkDir: work})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Finished != 12 {
		t.Errorf("%d trials finished, want 12", sum.Finished)
	}
	trials, err := db.Trials(ctx, "cmd")
	if err != nil {
		t.Fatal(err)
	}
	trained := logLines(t, log)
	promoted, failed := 0, 0
	for _, tr := range trials {
		lr := tr.Params["lr"].Num
		if tr.State == dltune.Failed {
			failed++
			if lr <= 0.5 || !strings.Contains(tr.Error, "exit status 1") || !strings.Contains(tr.Error, "RuntimeError: lr") {
				t.Errorf("trial %d (lr %v) failed: %s", tr.Number, lr, tr.Error)
			}
			if want := fmt.Sprintf("Traceback (most recent call last):\nRuntimeError: lr %v is too large", lr); tr.Stderr != want {
				t.Errorf("trial %d kept stderr %q, want %q", tr.Number, tr.Stderr, want)
			}
			continue
		}
		if lr > 0.5 {
			t.Errorf("trial %d (lr %v) is %s; its program crashes", tr.Number, lr, tr.State)
		}
		if tr.Epochs() > 1 {
			promoted++
		}
		// Its last run's, however the trial ended.
		if want := fmt.Sprintf("trainer: trained to epoch %d", tr.Epochs()); tr.Stderr != want {
			t.Errorf("trial %d (%s after %d epochs) kept stderr %q, want %q", tr.Number, tr.State, tr.Epochs(), tr.Stderr, want)
		}
		for i, e := range tr.Curve {
			n := i + 1
			if want := (1+lr)/float64(n) + lr/10; e.ValLoss != want {
				t.Errorf("trial %d epoch %d: val_loss %v, want %v", tr.Number, n, e.ValLoss, want)
			}
			if want := map[string]float64{"steps": float64(100 * n)}; !reflect.DeepEqual(e.Metrics, want) {
				t.Errorf("trial %d epoch %d: metrics %v, want %v", tr.Number, n, e.Metrics, want)
			}
			if k := trained[fmt.Sprintf("trial %d epoch %d", tr.Number, n)]; k != 1 {
				t.Errorf("trial %d trained epoch %d %d times", tr.Number, n, k)
			}
		}
	}
	if promoted == 0 || failed == 0 {
		t.Errorf("%d trials promoted and %d failed; the test wants some of each", promoted, failed)
	}
	if _, err := os.Stat(filepath.Join(work, "cmd")); !os.IsNotExist(err) {
		ents, _ := os.ReadDir(filepath.Join(work, "cmd"))
		t.Errorf("trial directories left after the study: %v (%v)", ents, err)
	}
}

func logLines(t *testing.T, log string) map[string]int {
	t.Helper()
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	lines := map[string]int{}
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		lines[l]++
	}
	return lines
}

// TestCommandStudyResumes interrupts a command study and resumes it: the
// trials continue from their programs' checkpoints.
func TestCommandStudyResumes(t *testing.T) {
	bin := buildTrainer(t)
	dir := t.TempDir()
	log := filepath.Join(dir, "log")
	src := fmt.Sprintf(`name: cmd
command:
  argv: [%q]
  env: {TRAINER_LOG: %q, TRAINER_SLEEP: 30ms}
  epochs: 6
space:
  lr: {float: [0.01, 0.5]}
search: {strategy: random, trials: 2, parallel: 2}
`, bin, log)
	spec, err := studyfile.Parse(filepath.Join(dir, "cmd.yaml"), []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	prep, err := Prepare(context.Background(), spec, PrepareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(filepath.Join(dir, "s.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	work := filepath.Join(dir, "work")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Interrupt once both trials have trained (a loaded machine may start
	// the second long after the first) and four epochs are in.
	epochs := map[int]int{}
	total := 0
	sum, err := prep.Run(ctx, db, Options{WorkDir: work, Progress: func(s Status) {
		for _, e := range s.Epochs {
			epochs[e.Trial]++
			total++
		}
		if len(epochs) == 2 && total >= 4 {
			cancel()
		}
	}})
	if err == nil || !sum.Interrupted {
		t.Fatalf("Run = %+v, %v; want interrupted", sum, err)
	}
	if ents, _ := os.ReadDir(filepath.Join(work, "cmd")); len(ents) != 2 {
		t.Fatalf("%d trial directories after the interruption, want 2", len(ents))
	}
	sum, err = prep.Run(context.Background(), db, Options{WorkDir: work})
	if err != nil || sum.Finished != 2 {
		t.Fatalf("resumed Run = %+v, %v; want 2 trials finished", sum, err)
	}
	lines := logLines(t, log)
	resumed := 0
	for l := range lines {
		if strings.Contains(l, "start at") && !strings.HasSuffix(l, "start at 0") {
			resumed++
		}
	}
	if resumed == 0 {
		t.Errorf("no trial resumed from its checkpoint: %v", lines)
	}
	trials, err := db.Trials(context.Background(), "cmd")
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range trials {
		lr := tr.Params["lr"].Num
		if tr.State != dltune.Complete || tr.Epochs() != 6 {
			t.Errorf("trial %d is %s after %d epochs, want complete after 6", tr.Number, tr.State, tr.Epochs())
		}
		for i, e := range tr.Curve {
			if want := (1+lr)/float64(i+1) + lr/10; e.ValLoss != want {
				t.Errorf("trial %d epoch %d: val_loss %v, want %v", tr.Number, i+1, e.ValLoss, want)
			}
		}
	}
}
