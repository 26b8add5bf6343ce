package study

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/dltune/dltune/trial"
)

// commandDir returns the directory under which the trials of command
// study name keep theirs: under workDir, or the system's temporary
// directory when workDir is "".
func commandDir(name, workDir string) string {
	if workDir == "" {
		workDir = filepath.Join(os.TempDir(), "dltune-trials")
	}
	return filepath.Join(workDir, name)
}

// runCommand returns the objective of a command study: it runs the
// study's program for each trial in a directory of the trial's own under
// dir, with threads cores. The directory lives while the trial may
// continue (paused or interrupted) and is removed when it ends.
func (p *Prepared) runCommand(dir string, threads int) objective {
	c := p.spec.Command
	return func(ctx context.Context, job *trial.Job) (trial.Result, error) {
		argv, env, err := p.spec.CommandLine(job.Params)
		if err != nil {
			return trial.Result{}, fmt.Errorf("trial %d: %w", job.Number, err)
		}
		wd := filepath.Join(dir, strconv.Itoa(job.Number))
		res, err := trial.RunCommand(ctx, trial.Command{
			Argv: argv, Env: env, Dir: c.Dir, WorkDir: wd,
			Threads: threads, Timeout: c.Timeout, Grace: c.Grace,
		}, job)
		if ctx.Err() == nil && (err != nil || res.Pruned || res.EarlyStopped || res.Epochs >= p.spec.MaxEpochs()) {
			if rerr := os.RemoveAll(wd); rerr != nil && err == nil {
				err = fmt.Errorf("trial %d: remove its directory: %w", job.Number, rerr)
			}
		}
		return res, err
	}
}

// sweep removes the directories under dir of trials of study name that
// have finished since they last ran (a paused trial pruned without
// running), or that the store does not know, and dir itself once empty.
func sweep(ctx context.Context, st Store, name, dir string) error {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("study %s: trial directories: %w", name, err)
	}
	trials, err := st.TrialSummaries(ctx, name)
	if err != nil {
		return fmt.Errorf("study %s: %w", name, err)
	}
	live := map[string]bool{}
	for _, t := range trials {
		if !t.State.Finished() {
			live[strconv.Itoa(t.Number)] = true
		}
	}
	left := 0
	for _, e := range ents {
		if live[e.Name()] {
			left++
			continue
		}
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return fmt.Errorf("study %s: %w", name, err)
		}
	}
	if left == 0 {
		_ = os.Remove(dir) // only if empty
	}
	return nil
}
