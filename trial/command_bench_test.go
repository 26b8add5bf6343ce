package trial

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/dltune/dltune"
)

// BenchmarkCommand measures what dltune adds to a command trial, with the
// fake trainer, which trains nothing. Each size runs the program under
// RunCommand and alone (started directly, its reports to /dev/null): the
// difference is dltune's cost. A run of 1 epoch is mostly the cost of a
// start (a promotion or a resume); the per-epoch metric of 200 epochs is
// mostly the cost of a report and its checkpoint hand-off.
func BenchmarkCommand(b *testing.B) {
	for _, epochs := range []int{1, 200} {
		for _, how := range []string{"dltune", "alone"} {
			b.Run(how+"/epochs="+map[int]string{1: "1", 200: "200"}[epochs], func(b *testing.B) {
				exe, err := os.Executable()
				if err != nil {
					b.Fatal(err)
				}
				c := Command{Argv: []string{exe}, Env: []string{helperEnv + "=1"}, WorkDir: b.TempDir(), Grace: time.Second}
				reports := 0
				job := &Job{Params: dltune.Params{"lr": dltune.Float(0.1)}, Until: epochs,
					Report: func(dltune.Epoch, State) (bool, error) { reports++; return false, nil }}
				alone := func() {
					if err := prepareWorkDir(c.WorkDir, &Job{Params: job.Params, Until: epochs}); err != nil {
						b.Fatal(err)
					}
					null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
					if err != nil {
						b.Fatal(err)
					}
					defer null.Close()
					cmd := exec.Command(exe)
					cmd.Env = commandEnv(c, job)
					cmd.ExtraFiles = []*os.File{null}
					if err := cmd.Run(); err != nil {
						b.Fatal(err)
					}
					reports += epochs
				}
				start := time.Now()
				for b.Loop() {
					if how == "alone" {
						alone()
						continue
					}
					if _, err := RunCommand(context.Background(), c, job); err != nil {
						b.Fatal(err)
					}
				}
				if reports != b.N*epochs {
					b.Fatalf("%d reports in %d runs of %d epochs", reports, b.N, epochs)
				}
				if _, err := os.Stat(filepath.Join(c.WorkDir, checkpointDir, "state")); err != nil {
					b.Fatalf("the program saved no state: %v", err)
				}
				b.ReportMetric(float64(time.Since(start).Microseconds())/float64(reports), "µs/epoch")
			})
		}
	}
}
