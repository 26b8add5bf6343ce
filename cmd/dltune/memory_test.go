package main

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dltune/dltune/internal/sysmem"
)

// TestTooBigForMemoryIsRefused runs a study none of whose trials can fit:
// it must fail with exit 1 and the estimate before a store exists, with
// the limit of the machine, of the variable, or of the flag.
func TestTooBigForMemoryIsRefused(t *testing.T) {
	file := "../../study/testdata/memory/huge.yaml"
	for _, c := range []struct {
		name, env string
		flags     []string
		limit     string // where the limit comes from, as the error says
	}{
		{name: "available memory", limit: " from /proc/meminfo MemAvailable, less "},
		{name: "variable", env: "20GiB", limit: "(20.0 GiB from $DLTUNE_MAX_MEMORY, less "},
		{name: "flag over variable", env: "20GiB", flags: []string{"--max-memory", "512MiB"}, limit: "(512.0 MiB from --max-memory, less "},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.env == "" && len(c.flags) == 0 {
				m, err := sysmem.Available()
				if err != nil || m.Bytes > 100<<30 || !strings.Contains(m.Source, "MemAvailable") {
					t.Skipf("the available memory is %v (%v): the test wants MemAvailable below 100 GiB", m, err)
				}
			}
			t.Setenv(maxMemoryEnv, c.env)
			storage := filepath.Join(t.TempDir(), "s.db")
			args := append([]string{"run", file, "--storage", storage}, c.flags...)
			code, out, errs := cli(t, context.Background(), args...)
			if code != exitFailure {
				t.Errorf("exit %d, want %d", code, exitFailure)
			}
			for _, want := range []string{"dltune: " + file + ": every trial needs an estimated ", " GiB (parameters 16.",
				"optimizer state 32.", "a trial may use ", c.limit, " of data; set --max-memory or DLTUNE_MAX_MEMORY)"} {
				if !strings.Contains(errs, want) {
					t.Errorf("stderr lacks %q:\n%s", want, errs)
				}
			}
			if strings.Count(errs, "\n") != 1 || out != "" {
				t.Errorf("want one line on stderr and nothing on stdout, got %q and %q", errs, out)
			}
			if _, err := os.Stat(storage); !os.IsNotExist(err) {
				t.Errorf("the refused study left a store: %v", err)
			}
		})
	}
}

// TestTrialTooBigForMemoryFails runs a study whose widest trial cannot
// fit in --max-memory: that trial fails with the estimate, the others
// complete, and the command succeeds.
func TestTrialTooBigForMemoryFails(t *testing.T) {
	file := "../../study/testdata/memory/wide.yaml"
	storage := filepath.Join(t.TempDir(), "s.db")
	code, out, errs := cli(t, context.Background(), "run", file, "--storage", storage, "--max-memory", "256MiB")
	if code != exitOK || !strings.Contains(out, "study wide: 3 trials finished (1 failed)") {
		t.Fatalf("exit %d, stdout %q, stderr:\n%s", code, out, errs)
	}
	rows := leaderboard(t, storage)
	if len(rows) != 3 {
		t.Fatalf("%d rows, want 3", len(rows))
	}
	for _, r := range rows {
		width := r.Params["width"].(float64)
		tr := showTrial(t, storage, r.Trial)
		switch {
		case width == 65536:
			if r.State != "failed" || r.Epochs != 0 || !strings.HasPrefix(tr.Error, "training needs an estimated 3.") ||
				!strings.Contains(tr.Error, "more than the 255.") || !strings.Contains(tr.Error, "(256.0 MiB from --max-memory, less ") {
				t.Errorf("trial %d (width 65536): %s after %d epochs, error %q; want failed with the estimate and the limit", r.Trial, r.State, r.Epochs, tr.Error)
			}
		case r.State != "complete":
			t.Errorf("trial %d (width %v): %s, %q; want complete", r.Trial, width, r.State, tr.Error)
		}
	}
}

func TestBadMemoryVariable(t *testing.T) {
	t.Setenv(maxMemoryEnv, "8G")
	storage := filepath.Join(t.TempDir(), "s.db")
	code, _, errs := cli(t, context.Background(), "run", "testdata/tiny.yaml", "--storage", storage)
	if code != exitUsage || !strings.Contains(errs, `$DLTUNE_MAX_MEMORY: size "8G": unknown unit "G"`) {
		t.Errorf("exit %d, stderr %q; want %d naming the variable and the unit", code, errs, exitUsage)
	}
	if _, err := os.Stat(storage); !os.IsNotExist(err) {
		t.Errorf("a bad variable left a store: %v", err)
	}
}

func TestParseSize(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64  // 0 when it must fail
		err  string // what the error contains
	}{
		{in: "8GiB", want: 8 << 30},
		{in: "512MiB", want: 512 << 20},
		{in: "1.5GiB", want: 3 << 29},
		{in: "2 GB", want: 2e9},
		{in: "100KB", want: 1e5},
		{in: "64KiB", want: 64 << 10},
		{in: "1TiB", want: 1 << 40},
		{in: "3TB", want: 3e12},
		{in: "1B", want: 1},
		{in: "0.5KiB", want: 512},
		{in: "1.0009B", want: 1},
		{in: "8388607TiB", want: 8388607 << 40},
		{in: "9223372036854775807B", want: math.MaxInt64},
		{in: "8", err: "want a positive number and a unit, e.g. 8GiB"},
		{in: "", err: "want a positive number and a unit"},
		{in: "GiB", err: "want a positive number and a unit"},
		{in: "8G", err: `unknown unit "G" (want B, KB, MB, GB, TB, KiB, MiB, GiB or TiB)`},
		{in: "8gib", err: `unknown unit "gib"`},
		{in: "8 GiB ", err: `unknown unit "GiB "`},
		{in: "8  GiB", err: `unknown unit " GiB"`},
		{in: " 8GiB", err: "want a positive number and a unit"},
		{in: "-1GiB", err: "want a positive number and a unit"},
		{in: "+1GiB", err: "want a positive number and a unit"},
		{in: "0GiB", err: "less than a byte"},
		{in: "0.5B", err: "less than a byte"},
		{in: "1.GiB", err: "want a positive number and a unit"},
		{in: ".5GiB", err: "want a positive number and a unit"},
		{in: "1.2.3GiB", err: "want a positive number and a unit"},
		{in: "1e3MiB", err: `unknown unit "e3MiB"`},
		{in: "0x10MiB", err: `unknown unit "x10MiB"`},
		{in: "8388608TiB", err: "too large"},
		{in: "9223372036854775808B", err: "too large"},
		{in: "99999999999999999999999TiB", err: "too large"},
	} {
		got, err := parseSize(c.in)
		switch {
		case c.want != 0 && (err != nil || got != c.want):
			t.Errorf("parseSize(%q) = %d, %v; want %d", c.in, got, err, c.want)
		case c.want == 0 && (err == nil || !strings.Contains(err.Error(), c.err) || !strings.Contains(err.Error(), `"`+c.in+`"`)):
			t.Errorf("parseSize(%q) = %d, %v; want an error quoting it and containing %q", c.in, got, err, c.err)
		}
	}
}

func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"8GiB", "1.5 GB", "0B", "9223372036854775807B", "1e3MiB", ".5KiB", "8388608TiB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parseSize(s)
		if err != nil {
			if n != 0 || !strings.Contains(err.Error(), "size ") {
				t.Errorf("parseSize(%q) = %d, %v", s, n, err)
			}
			return
		}
		if n < 1 {
			t.Errorf("parseSize(%q) = %d, want at least 1", s, n)
		}
		// The value printed back parses to itself.
		if m, err := parseSize(sizeValue{&n}.String()); err != nil || m != n {
			t.Errorf("parseSize(%q) = %d, which prints as %q and parses to %d, %v", s, n, sizeValue{&n}.String(), m, err)
		}
	})
}

// memoryCases are the --max-memory values that run, resume and retry
// share; opts returns the options a line parses to.
func memoryCases[O any](cmd string, args []string, opts func(maxMemory int64) *O) []flagCase[O] {
	line := func(extra ...string) []string { return append(append([]string{cmd}, args...), extra...) }
	return []flagCase[O]{
		{name: "max-memory default", args: line(), want: opts(0)},
		{name: "max-memory 8GiB", args: line("--max-memory", "8GiB"), want: opts(8 << 30)},
		{name: "max-memory=512MiB", args: line("--max-memory=512MiB"), want: opts(512 << 20)},
		{name: "max-memory 1.5GB", args: line("--max-memory", "1.5GB"), want: opts(1.5e9)},
		{name: "max-memory without a unit", args: line("--max-memory", "8"), code: exitUsage,
			err: `invalid argument "8" for "--max-memory" flag: size "8": want a positive number and a unit`},
		{name: "max-memory bad unit", args: line("--max-memory", "8G"), code: exitUsage, err: `unknown unit "G"`},
		{name: "max-memory zero", args: line("--max-memory", "0MiB"), code: exitUsage, err: "less than a byte"},
		{name: "max-memory negative", args: line("--max-memory", "-1GiB"), code: exitUsage, err: `invalid argument "-1GiB"`},
	}
}

func TestMaxMemoryFlags(t *testing.T) {
	t.Run("run", func(t *testing.T) {
		checkFlags(t, newRunCmd, func(o *runOptions) { o.globals = nil },
			memoryCases("run", []string{"s.yaml"}, func(n int64) *runOptions { return &runOptions{File: "s.yaml", MaxMemory: n} }))
	})
	t.Run("resume", func(t *testing.T) {
		checkFlags(t, newResumeCmd, func(o *resumeOptions) { o.globals = nil },
			memoryCases("resume", []string{"tiny"}, func(n int64) *resumeOptions { return &resumeOptions{Name: "tiny", MaxMemory: n} }))
	})
	t.Run("retry", func(t *testing.T) {
		checkFlags(t, newRetryCmd, func(o *retryOptions) { o.globals = nil },
			memoryCases("retry", []string{"--failed"}, func(n int64) *retryOptions { return &retryOptions{Failed: true, MaxMemory: n} }))
	})
}

// TestValidateChecksMemory checks that validate refuses what run refuses
// for memory, with run's message and exit status, checks the parallelism
// and limit run would use, and says so when it cannot check.
func TestValidateChecksMemory(t *testing.T) {
	t.Setenv(maxMemoryEnv, "")
	huge := "../../study/testdata/memory/huge.yaml"
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.yaml")
	os.WriteFile(missing, []byte(`name: missing
data: {kind: csv, csv: {path: nowhere.csv, target: y, task: classification}}
model: {hidden: [2]}
train: {epochs: 1, batch_size: 8, learning_rate: 0.1}
search: {strategy: random, trials: 1}
`), 0o644)
	command := filepath.Join(dir, "command.yaml")
	os.WriteFile(command, []byte(`name: command
command: {argv: [sh, -c, 'exit 0'], epochs: 1}
search: {strategy: random, trials: 1}
`), 0o644)
	// Every trial of fixed.yaml needs about 48 MiB, as
	// study.TestCheckCountsParallelTrials measures: 256 MiB hold one at a
	// time, not eight.
	fixed := filepath.Join(dir, "fixed.yaml")
	src, err := os.ReadFile(huge)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(fixed, []byte(strings.Replace(string(src), "[65536, 65536]", "[1024]", 1)), 0o644)
	tiny := "testdata/tiny.yaml"
	tests := []struct {
		name   string
		args   []string
		env    string
		code   int
		stdout []string // lines, in order
		stderr []string // substrings
	}{
		{name: "fits", args: []string{tiny}, code: exitOK,
			stdout: []string{tiny + ": ok: study tiny, 3 parameters, random strategy, 6 trials"}},
		{name: "too big for the flag", args: []string{huge, "--max-memory", "512MiB"}, code: exitFailure,
			stderr: []string{"dltune: " + huge + ": every trial needs an estimated ", "(512.0 MiB from --max-memory, less ", " of data; set --max-memory or DLTUNE_MAX_MEMORY)"}},
		{name: "too big for the variable", args: []string{huge}, env: "20GiB", code: exitFailure,
			stderr: []string{"dltune: " + huge + ": every trial needs an estimated ", "(20.0 GiB from $DLTUNE_MAX_MEMORY, less "}},
		{name: "one at a time", args: []string{fixed, "--max-memory", "256MiB", "--parallel", "1"}, code: exitOK,
			stdout: []string{fixed + ": ok: study huge, 1 parameter, random strategy, 2 trials"}},
		{name: "too many at once", args: []string{fixed, "--max-memory", "256MiB", "--parallel", "8"}, code: exitFailure,
			stderr: []string{"dltune: " + fixed + ": every trial needs an estimated ", "shared by 8 trials at once"}},
		{name: "one of two", args: []string{huge, tiny, "--max-memory", "512MiB"}, code: exitFailure,
			stdout: []string{tiny + ": ok: study tiny, 3 parameters, random strategy, 6 trials"},
			stderr: []string{"dltune: " + huge + ": every trial needs an estimated "}},
		{name: "data not readable", args: []string{missing}, code: exitOK,
			stdout: []string{missing + ": ok: study missing, 0 parameters, random strategy, 1 trial; memory not checked: data: load " +
				filepath.Join(dir, "nowhere.csv") + ": open " + filepath.Join(dir, "nowhere.csv") + ": no such file or directory"}},
		{name: "command study", args: []string{command}, code: exitOK,
			stdout: []string{command + ": ok: study command, 0 parameters, random strategy, 1 trial; memory not checked: its program trains"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(maxMemoryEnv, tt.env)
			code, out, errs := cli(t, context.Background(), append([]string{"validate"}, tt.args...)...)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.code, errs)
			}
			if want := strings.Join(tt.stdout, "\n"); strings.TrimSuffix(out, "\n") != want {
				t.Errorf("stdout:\n%s\nwant\n%s", out, want)
			}
			for _, want := range tt.stderr {
				if !strings.Contains(errs, want) {
					t.Errorf("stderr lacks %q:\n%s", want, errs)
				}
			}
			if len(tt.stderr) == 0 && errs != "" {
				t.Errorf("stderr %q, want none", errs)
			}
		})
	}
}
