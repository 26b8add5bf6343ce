package store

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dltune/dltune"
)

// crashEpochs is how many epochs each trial of the crash writer trains.
const crashEpochs = 4

func init() {
	// crash-writer opens the store at args[0] and records trials from
	// three goroutines until it is killed: first it resumes the
	// unfinished trials from their checkpoints, then it creates new ones.
	// Even epochs save a checkpoint ("number/epochs" and padding, up to 64
	// KiB), odd ones only update the record.
	helpers["crash-writer"] = func(args []string) int {
		db, err := Open(args[0], &Options{Timeout: 5 * time.Second})
		if err != nil {
			fmt.Println("error:", err)
			return 1
		}
		if err := db.CreateStudy(bg, testStudy("s")); err != nil && !errors.Is(err, dltune.ErrExists) {
			fmt.Println("error:", err)
			return 1
		}
		trials, err := db.Trials(bg, "s")
		if err != nil {
			fmt.Println("error:", err)
			return 1
		}
		todo := make(chan *dltune.Trial, len(trials))
		for _, tr := range trials {
			if tr.State.Finished() {
				continue
			}
			// Resume from the checkpoint: drop the epochs after it.
			tr.Curve = tr.Curve[:0]
			if c, err := db.Checkpoint(bg, "s", tr.Number); err == nil {
				k, _ := strconv.Atoi(string(bytes.SplitN(bytes.SplitN(c, []byte("/"), 2)[1], []byte(" "), 2)[0]))
				for range k {
					addEpoch(tr)
				}
			}
			todo <- tr
		}
		close(todo)
		fmt.Println("ready")
		seed, _ := strconv.ParseUint(args[1], 10, 64)
		var wg sync.WaitGroup
		for w := range 3 {
			rng := rand.New(rand.NewPCG(seed, uint64(w)))
			wg.Go(func() {
				for {
					tr, ok := <-todo
					if !ok {
						tr = testTrial(0)
						if err := db.CreateTrial(bg, "s", tr); err != nil {
							panic(err)
						}
					}
					for tr.Epochs() < crashEpochs {
						addEpoch(tr)
						var err error
						if tr.Epochs()%2 == 1 {
							err = db.UpdateTrial(bg, "s", tr)
						} else {
							ckpt := fmt.Appendf(nil, "%d/%d ", tr.Number, tr.Epochs())
							ckpt = append(ckpt, bytes.Repeat([]byte{'w'}, rng.IntN(64<<10))...)
							err = db.SaveCheckpoint(bg, "s", tr, ckpt)
						}
						if err != nil {
							panic(err)
						}
					}
					tr.State = dltune.Complete
					if err := db.UpdateTrial(bg, "s", tr); err != nil {
						panic(err)
					}
				}
			})
		}
		wg.Wait()
		return 0
	}
}

// TestCrash kills a process that records trials with SIGKILL at random
// moments, and checks after each kill that the store opens, is intact,
// and kept every finished trial unchanged. DLTUNE_STRESS=1 kills it 200
// times instead of 8.
func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("kills subprocesses; skipped in -short mode")
	}
	kills := 8
	if os.Getenv("DLTUNE_STRESS") != "" {
		kills = 200
	}
	path := filepath.Join(t.TempDir(), "dltune.db")
	rng := rand.New(rand.NewPCG(1, 2))
	finished := map[int]string{} // number -> canonical record
	for kill := range kills {
		cmd := helperCmd(t, "crash-writer", path, strconv.Itoa(kill))
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		line := make([]byte, 6)
		if _, err := stdout.Read(line); err != nil || string(line) != "ready\n" {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("kill %d: writer said %q (%v)", kill, line, err)
		}
		time.Sleep(time.Duration(5+rng.IntN(100)) * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
		checkIntegrity(t, path)
		checkCrashed(t, path, finished)
	}
	if len(finished) == 0 {
		t.Fatalf("no trial finished in %d runs", kills)
	}
	t.Logf("%d trials finished across %d kills", len(finished), kills)
}

// checkCrashed checks the store the crash writer left, and adds its
// finished trials to finished, which holds those of earlier runs.
func checkCrashed(t *testing.T, path string, finished map[int]string) {
	t.Helper()
	db, err := Open(path, &Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("open after kill: %v", err)
	}
	defer db.Close()
	trials, err := db.Trials(bg, "s")
	if err != nil {
		t.Fatal(err)
	}
	for i, tr := range trials {
		if tr.Number != i {
			t.Fatalf("trial numbers are not consecutive: trial %d at %d", tr.Number, i)
		}
		for e, ep := range tr.Curve {
			if ep.Epoch != e+1 {
				t.Errorf("trial %d: curve is not continuous: epoch %d at %d", i, ep.Epoch, e)
			}
		}
		c, err := db.Checkpoint(bg, "s", i)
		if tr.State.Finished() {
			if !errors.Is(err, dltune.ErrNotFound) {
				t.Errorf("finished trial %d has a checkpoint (%v)", i, err)
			}
			if tr.Epochs() != crashEpochs {
				t.Errorf("finished trial %d trained %d epochs", i, tr.Epochs())
			}
			continue
		}
		if errors.Is(err, dltune.ErrNotFound) {
			continue
		} else if err != nil {
			t.Fatal(err)
		}
		prefix := fmt.Sprintf("%d/", i)
		var k int
		if _, err := fmt.Sscanf(string(c), prefix+"%d ", &k); err != nil || k > tr.Epochs() || k < tr.Epochs()-1 {
			t.Errorf("trial %d: checkpoint %.20q does not agree with its %d-epoch curve", i, c, tr.Epochs())
		}
	}
	for n, was := range finished {
		if n >= len(trials) || canon(trials[n]) != was {
			t.Errorf("finished trial %d was lost or changed", n)
		}
	}
	for _, tr := range trials {
		if tr.State.Finished() {
			finished[tr.Number] = canon(tr)
		}
	}
}
