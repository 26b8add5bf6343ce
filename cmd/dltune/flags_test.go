package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/dltune/dltune/studyfile"
)

// parse runs dltune with args and the one command that newCmd builds, whose
// runF records the options it is called with instead of running. It returns
// those options (nil if runF was not called), the exit status and standard
// error.
func parse[O any](t *testing.T, newCmd func(*globals, func(context.Context, *O) error) *cobra.Command, args ...string) (*O, int, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	g := &globals{stdout: &stdout, stderr: &stderr}
	root := newRootCmd(g)
	var got *O
	root.AddCommand(newCmd(g, func(_ context.Context, o *O) error {
		got = o
		return nil
	}))
	code := execRoot(context.Background(), root, args)
	if got != nil && code != exitOK {
		t.Errorf("exit %d after runF was called", code)
	}
	if stdout.Len() > 0 {
		t.Errorf("parsing printed %q", stdout.String())
	}
	return got, code, stderr.String()
}

// flagCase is one command line: either the options it parses to (the
// globals left out) or the exit status and the error it fails with.
type flagCase[O any] struct {
	name string
	args []string
	want *O     // nil when it must fail
	code int    // the exit status when want is nil
	err  string // what standard error contains when want is nil
}

// checkFlags runs the cases of one command.
func checkFlags[O any](t *testing.T, newCmd func(*globals, func(context.Context, *O) error) *cobra.Command, clear func(*O), cases []flagCase[O]) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, code, errs := parse(t, newCmd, c.args...)
			if c.want == nil {
				if got != nil || code != c.code || !strings.Contains(errs, c.err) {
					t.Errorf("parsed %+v, exit %d, stderr %q; want exit %d and %q", got, code, errs, c.code, c.err)
				}
				return
			}
			if got == nil {
				t.Fatalf("exit %d: %s", code, errs)
			}
			clear(got)
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("parsed %+v, want %+v", got, c.want)
			}
		})
	}
}

// parallelCases are the --parallel values that run, resume, retry and
// validate share.
func parallelCases[O any](cmd string, args []string, opts func(parallel int) *O) []flagCase[O] {
	max := strconv.Itoa(studyfile.MaxParallel)
	over := strconv.Itoa(studyfile.MaxParallel + 1)
	line := func(extra ...string) []string { return append(append([]string{cmd}, args...), extra...) }
	return []flagCase[O]{
		{name: "parallel default", args: line(), want: opts(0)},
		{name: "parallel 4", args: line("--parallel", "4"), want: opts(4)},
		{name: "p 3", args: line("-p", "3"), want: opts(3)},
		{name: "parallel 0 keeps the study's", args: line("--parallel", "0"), want: opts(0)},
		{name: "parallel at the limit", args: line("--parallel", max), want: opts(studyfile.MaxParallel)},
		{name: "parallel negative", args: line("--parallel", "-5"), code: exitUsage, err: `invalid argument "-5" for "-p, --parallel" flag: want 1 to ` + max},
		{name: "parallel over the limit", args: line("-p", over), code: exitUsage, err: `invalid argument "` + over + `"`},
		{name: "parallel not a number", args: line("--parallel", "x"), code: exitUsage, err: `invalid argument "x"`},
	}
}

func TestRunFlags(t *testing.T) {
	t.Setenv("DLTUNE_DATA_ROOT", "")
	t.Setenv("DLTUNE_TOKEN", "")
	cases := parallelCases("run", []string{"s.yaml"}, func(p int) *runOptions { return &runOptions{File: "s.yaml", Parallel: p} })
	cases = append(cases,
		flagCase[runOptions]{name: "no file", args: []string{"run"}, code: exitUsage, err: "accepts 1 arg"},
		flagCase[runOptions]{name: "two files", args: []string{"run", "a.yaml", "b.yaml"}, code: exitUsage, err: "accepts 1 arg"},
		flagCase[runOptions]{name: "unknown flag", args: []string{"run", "a.yaml", "--trials", "3"}, code: exitUsage, err: "unknown flag: --trials"},
		flagCase[runOptions]{name: "serve", args: []string{"run", "a.yaml", "--serve", "127.0.0.1:9000"}, want: &runOptions{File: "a.yaml", Serve: "127.0.0.1:9000"}},
		flagCase[runOptions]{name: "serve with token", args: []string{"run", "a.yaml", "--serve", "0.0.0.0:9000", "--token", "t"}, want: &runOptions{File: "a.yaml", Serve: "0.0.0.0:9000", Token: "t"}},
		flagCase[runOptions]{name: "serve off loopback", args: []string{"run", "a.yaml", "--serve", ":9000"}, code: exitUsage, err: "--serve :9000 is not a loopback address"},
		flagCase[runOptions]{name: "serve bad addr", args: []string{"run", "a.yaml", "--serve", "9000"}, code: exitUsage, err: `--serve "9000"`},
		flagCase[runOptions]{name: "data root", args: []string{"run", "a.yaml", "--data-root", "d"}, want: &runOptions{File: "a.yaml", DataRoot: "d"}},
	)
	checkFlags(t, newRunCmd, func(o *runOptions) { o.globals = nil }, cases)
	t.Run("token from the environment", func(t *testing.T) {
		t.Setenv("DLTUNE_TOKEN", "envtok")
		got, code, errs := parse(t, newRunCmd, "run", "a.yaml", "--serve", "192.0.2.1:80")
		if got == nil || got.Token != "envtok" {
			t.Fatalf("exit %d, %s: parsed %+v, want the token of $DLTUNE_TOKEN", code, errs, got)
		}
	})
}

func TestResumeFlags(t *testing.T) {
	t.Setenv("DLTUNE_DATA_ROOT", "")
	t.Setenv("DLTUNE_TOKEN", "")
	cases := parallelCases("resume", []string{"tiny"}, func(p int) *resumeOptions { return &resumeOptions{Name: "tiny", Parallel: p} })
	cases = append(cases,
		flagCase[resumeOptions]{name: "no name", args: []string{"resume"}, code: exitUsage, err: "accepts 1 arg"},
		flagCase[resumeOptions]{name: "data root", args: []string{"resume", "tiny", "--data-root=d"}, want: &resumeOptions{Name: "tiny", DataRoot: "d"}},
		flagCase[resumeOptions]{name: "serve", args: []string{"resume", "tiny", "--serve", "127.0.0.1:9000"}, want: &resumeOptions{Name: "tiny", Serve: "127.0.0.1:9000"}},
		flagCase[resumeOptions]{name: "serve with token", args: []string{"resume", "tiny", "--serve", "0.0.0.0:9000", "--token", "t"}, want: &resumeOptions{Name: "tiny", Serve: "0.0.0.0:9000", Token: "t"}},
		flagCase[resumeOptions]{name: "serve off loopback", args: []string{"resume", "tiny", "--serve", ":9000"}, code: exitUsage, err: "--serve :9000 is not a loopback address"},
		flagCase[resumeOptions]{name: "serve bad addr", args: []string{"resume", "tiny", "--serve", "9000"}, code: exitUsage, err: `--serve "9000"`},
	)
	checkFlags(t, newResumeCmd, func(o *resumeOptions) { o.globals = nil }, cases)
}

func TestRetryFlags(t *testing.T) {
	t.Setenv("DLTUNE_DATA_ROOT", "")
	t.Setenv("DLTUNE_TOKEN", "")
	cases := parallelCases("retry", []string{"--failed"}, func(p int) *retryOptions { return &retryOptions{Failed: true, Parallel: p} })
	cases = append(cases, []flagCase[retryOptions]{
		{name: "trials", args: []string{"retry", "7", "2", "--study", "s"}, want: &retryOptions{Study: "s", Trials: []int{7, 2}}},
		{name: "trial and failed", args: []string{"retry", "7", "--failed"}, want: &retryOptions{Trials: []int{7}, Failed: true}},
		{name: "data root", args: []string{"retry", "7", "--data-root", "d"}, want: &retryOptions{Trials: []int{7}, DataRoot: "d"}},
		{name: "nothing to retry", args: []string{"retry"}, code: exitUsage, err: "name the trials to retry, or pass --failed"},
		{name: "not a number", args: []string{"retry", "x"}, code: exitUsage, err: `trial "x" is not a trial number`},
		{name: "negative", args: []string{"retry", "--", "-1"}, code: exitUsage, err: `trial "-1" is not a trial number`},
		{name: "negative without --", args: []string{"retry", "3", "-1"}, code: exitUsage, err: `dltune: trial "-1" is not a trial number: trials are numbered from 0` + "\n"},
		{name: "serve", args: []string{"retry", "--failed", "--serve", "127.0.0.1:9000"}, want: &retryOptions{Failed: true, Serve: "127.0.0.1:9000"}},
		{name: "serve with token", args: []string{"retry", "--failed", "--serve", "0.0.0.0:9000", "--token", "t"}, want: &retryOptions{Failed: true, Serve: "0.0.0.0:9000", Token: "t"}},
		{name: "serve off loopback", args: []string{"retry", "--failed", "--serve", ":9000"}, code: exitUsage, err: "--serve :9000 is not a loopback address"},
	}...)
	checkFlags(t, newRetryCmd, func(o *retryOptions) { o.globals = nil }, cases)
}

func TestShowFlags(t *testing.T) {
	checkFlags(t, newShowCmd, func(o *showOptions) { o.globals = nil }, []flagCase[showOptions]{
		{name: "trial", args: []string{"show", "4"}, want: &showOptions{Trial: 4, Format: formatTable}},
		{name: "json", args: []string{"show", "0", "--study", "s", "--format", "json"}, want: &showOptions{Study: "s", Trial: 0, Format: formatJSON}},
		{name: "no csv", args: []string{"show", "4", "--format", "csv"}, code: exitUsage, err: "unknown format (want table or json)"},
		{name: "not a number", args: []string{"show", "x"}, code: exitUsage, err: `trial "x" is not a trial number`},
		{name: "no trial", args: []string{"show"}, code: exitUsage, err: "accepts 1 arg"},
		{name: "negative", args: []string{"show", "-1"}, code: exitUsage, err: `dltune: trial "-1" is not a trial number: trials are numbered from 0` + "\n"},
	})
}

func TestLeaderboardFlags(t *testing.T) {
	checkFlags(t, newLeaderboardCmd, func(o *leaderboardOptions) { o.globals = nil }, []flagCase[leaderboardOptions]{
		{name: "defaults", args: []string{"leaderboard"}, want: &leaderboardOptions{Format: formatTable}},
		{name: "all set", args: []string{"leaderboard", "--study", "s", "--top", "5", "--format", "csv", "--all"},
			want: &leaderboardOptions{Study: "s", Top: 5, Format: formatCSV, All: true}},
		{name: "json", args: []string{"leaderboard", "--format=json"}, want: &leaderboardOptions{Format: formatJSON}},
		{name: "bad format", args: []string{"leaderboard", "--format", "xml"}, code: exitUsage, err: `invalid argument "xml" for "--format" flag: unknown format (want table, json or csv)`},
		{name: "bad top", args: []string{"leaderboard", "--top", "many"}, code: exitUsage, err: `invalid argument "many" for "--top" flag: want a whole number` + "\n"},
		{name: "negative argument", args: []string{"leaderboard", "-5"}, code: exitUsage, err: "dltune: -5 is not a flag of dltune leaderboard, which takes no negative number\n"},
		{name: "negative top", args: []string{"leaderboard", "--top", "-3"}, code: exitUsage, err: "--top -3 is negative (0 shows all)"},
		{name: "argument", args: []string{"leaderboard", "s"}, code: exitUsage, err: "accepts 0 arg"},
	})
}

func TestStudiesFlags(t *testing.T) {
	checkFlags(t, newStudiesCmd, func(o *studiesOptions) { o.globals = nil }, []flagCase[studiesOptions]{
		{name: "defaults", args: []string{"studies"}, want: &studiesOptions{Format: formatTable}},
		{name: "csv", args: []string{"studies", "--format", "csv"}, want: &studiesOptions{Format: formatCSV}},
		{name: "bad format", args: []string{"studies", "--format", "yaml"}, code: exitUsage, err: "unknown format"},
	})
}

func TestValidateFlags(t *testing.T) {
	t.Setenv("DLTUNE_DATA_ROOT", "")
	checkFlags(t, newValidateCmd, func(o *validateOptions) { o.globals = nil }, []flagCase[validateOptions]{
		{name: "files", args: []string{"validate", "a.yaml", "b.yaml"}, want: &validateOptions{Files: []string{"a.yaml", "b.yaml"}}},
		{name: "data root", args: []string{"validate", "--data-root", "d", "a.yaml"}, want: &validateOptions{Files: []string{"a.yaml"}, DataRoot: "d"}},
		{name: "no file", args: []string{"validate"}, code: exitUsage, err: "name at least one study file"},
	})
	clear := func(o *validateOptions) { o.globals = nil }
	checkFlags(t, newValidateCmd, clear,
		parallelCases("validate", []string{"a.yaml"}, func(p int) *validateOptions { return &validateOptions{Files: []string{"a.yaml"}, Parallel: p} }))
	checkFlags(t, newValidateCmd, clear,
		memoryCases("validate", []string{"a.yaml"}, func(n int64) *validateOptions { return &validateOptions{Files: []string{"a.yaml"}, MaxMemory: n} }))
}

func TestBenchSearchFlags(t *testing.T) {
	type opts struct {
		Strategies, Functions []string
		Trials, Seeds         int
		Format                format
	}
	clear := func(o *benchSearchOptions) {
		var names []string
		for _, f := range o.fns {
			names = append(names, f.Name)
		}
		if !slices.Equal(names, o.Functions) {
			t.Errorf("looked up functions %v, want %v", names, o.Functions)
		}
		*o = benchSearchOptions{Strategies: o.Strategies, Functions: o.Functions, Trials: o.Trials, Seeds: o.Seeds, Format: o.Format}
	}
	want := func(o opts) *benchSearchOptions {
		return &benchSearchOptions{Strategies: o.Strategies, Functions: o.Functions, Trials: o.Trials, Seeds: o.Seeds, Format: o.Format}
	}
	checkFlags(t, newBenchSearchCmd, clear, []flagCase[benchSearchOptions]{
		{name: "set", args: []string{"search", "--strategies", "random,gp", "--functions", "branin", "--trials", "30", "--seeds", "3", "--format", "json"},
			want: want(opts{[]string{"random", "gp"}, []string{"branin"}, 30, 3, formatJSON})},
		{name: "unknown strategy", args: []string{"search", "--strategies", "magic"}, code: exitUsage, err: `unknown strategy "magic"`},
		{name: "unknown function", args: []string{"search", "--functions", "nope"}, code: exitUsage, err: `unknown function "nope"`},
		{name: "no trials", args: []string{"search", "--trials", "0"}, code: exitUsage, err: "--trials and --seeds must be at least 1"},
		{name: "csv", args: []string{"search", "--format", "csv"}, code: exitUsage, err: "unknown format (want table or json)"},
	})
}

// TestParallelLimit checks that --parallel accepts what a study file's
// search.parallel accepts: studyfile.MaxParallel and no more.
func TestParallelLimit(t *testing.T) {
	src, err := os.ReadFile("testdata/tiny.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, n := range []int{studyfile.MaxParallel, studyfile.MaxParallel + 1} {
		f := filepath.Join(dir, strconv.Itoa(n)+".yaml")
		edited := strings.Replace(string(src), "parallel: 2", "parallel: "+strconv.Itoa(n), 1)
		if edited == string(src) {
			t.Fatal("testdata/tiny.yaml has no parallel: 2 to change")
		}
		if err := os.WriteFile(f, []byte(edited), 0o644); err != nil {
			t.Fatal(err)
		}
		code, _, errs := cli(t, context.Background(), "validate", f)
		if ok := n <= studyfile.MaxParallel; ok != (code == exitOK) {
			t.Errorf("validate with search.parallel %d: exit %d, %s", n, code, errs)
		}
		if n > studyfile.MaxParallel && !strings.Contains(errs, "search.parallel") {
			t.Errorf("validate with search.parallel %d: %q does not name search.parallel", n, errs)
		}
	}
}

// TestDataRootEnv checks that $DLTUNE_DATA_ROOT is the default of
// --data-root for every command that reads data, and that the flag wins.
func TestDataRootEnv(t *testing.T) {
	t.Setenv("DLTUNE_DATA_ROOT", "/env")
	for _, tc := range []struct {
		name string
		root func(args ...string) string
		args []string
	}{
		{"run", func(a ...string) string { o, _, _ := parse(t, newRunCmd, a...); return o.DataRoot }, []string{"run", "s.yaml"}},
		{"resume", func(a ...string) string { o, _, _ := parse(t, newResumeCmd, a...); return o.DataRoot }, []string{"resume", "s"}},
		{"retry", func(a ...string) string { o, _, _ := parse(t, newRetryCmd, a...); return o.DataRoot }, []string{"retry", "1"}},
		{"validate", func(a ...string) string { o, _, _ := parse(t, newValidateCmd, a...); return o.DataRoot }, []string{"validate", "s.yaml"}},
		{"export", func(a ...string) string { o, _, _ := parse(t, newExportCmd, a...); return o.DataRoot }, []string{"export", "--best", "-o", "m.dltm"}},
		{"refit", func(a ...string) string { o, _, _ := parse(t, newRefitCmd, a...); return o.DataRoot }, []string{"refit", "-o", "m.dltm"}},
		{"evaluate", func(a ...string) string { o, _, _ := parse(t, newEvaluateCmd, a...); return o.DataRoot }, []string{"evaluate", "--study", "s"}},
	} {
		if got := tc.root(tc.args...); got != "/env" {
			t.Errorf("%s: data root %q, want /env from the environment", tc.name, got)
		}
		if got := tc.root(append(tc.args, "--data-root", "/flag")...); got != "/flag" {
			t.Errorf("%s --data-root /flag: data root %q", tc.name, got)
		}
	}
}

func TestExportFlags(t *testing.T) {
	t.Setenv("DLTUNE_DATA_ROOT", "")
	checkFlags(t, newExportCmd, func(o *exportOptions) { o.globals = nil }, []flagCase[exportOptions]{
		{name: "best", args: []string{"export", "--best", "-o", "m.dltm"}, want: &exportOptions{Trial: -1, Best: true, Output: "m.dltm"}},
		{name: "trial", args: []string{"export", "--study", "s", "--trial", "3", "--output", "m.dltm", "--data-root", "d"},
			want: &exportOptions{Study: "s", Trial: 3, Output: "m.dltm", DataRoot: "d"}},
		{name: "trial 0", args: []string{"export", "--trial", "0", "-o", "m.dltm"}, want: &exportOptions{Trial: 0, Output: "m.dltm"}},
		{name: "neither", args: []string{"export", "-o", "m.dltm"}, code: exitUsage, err: "name the trial with --trial N, or pass --best"},
		{name: "both", args: []string{"export", "--trial", "1", "--best", "-o", "m.dltm"}, code: exitUsage, err: "--trial and --best exclude each other"},
		{name: "negative trial", args: []string{"export", "--trial", "-1", "-o", "m.dltm"}, code: exitUsage, err: `invalid argument "-1" for "--trial" flag: want a trial number, 0 or more`},
		{name: "text trial", args: []string{"export", "--trial", "x", "-o", "m.dltm"}, code: exitUsage, err: `invalid argument "x" for "--trial" flag: want a trial number, 0 or more`},
		{name: "dltm upper", args: []string{"export", "--best", "-o", "m.DLTM"}, want: &exportOptions{Trial: -1, Best: true, Output: "m.DLTM"}},
		{name: "txt", args: []string{"export", "--best", "-o", "model.txt"}, code: exitUsage, err: `-o model.txt: unknown model format ".txt": name a .dltm model file, or .onnx for ONNX`},
		{name: "typo", args: []string{"export", "--best", "-o", "model.onxx"}, code: exitUsage, err: `-o model.onxx: unknown model format ".onxx"`},
		{name: "no extension", args: []string{"export", "--best", "-o", "model"}, code: exitUsage, err: "-o model: name a .dltm model file, or .onnx for ONNX"},
		{name: "missing directory", args: []string{"export", "--best", "-o", filepath.Join("no", "such", "m.dltm")}, code: exitUsage,
			err: "-o " + filepath.Join("no", "such", "m.dltm") + ": the directory " + filepath.Join("no", "such") + " does not exist"},
		{name: "no output", args: []string{"export", "--best"}, code: exitUsage, err: "name the model file with -o"},
		{name: "onnx", args: []string{"export", "--best", "-o", "m.ONNX"}, want: &exportOptions{Trial: -1, Best: true, Output: "m.ONNX"}},
		{name: "no epochs", args: []string{"export", "--best", "-o", "m.dltm", "--epochs", "3"}, code: exitUsage, err: "unknown flag: --epochs"},
		{name: "argument", args: []string{"export", "3"}, code: exitUsage, err: "accepts 0 arg"},
	})
}

func TestRefitFlags(t *testing.T) {
	t.Setenv("DLTUNE_DATA_ROOT", "")
	checkFlags(t, newRefitCmd, func(o *exportOptions) { o.globals = nil }, []flagCase[exportOptions]{
		{name: "best by default", args: []string{"refit", "-o", "m.dltm"}, want: &exportOptions{Trial: -1, Best: true, Output: "m.dltm", Refit: true}},
		{name: "trial and epochs", args: []string{"refit", "--trial", "2", "--epochs", "30", "-o", "m.dltm"},
			want: &exportOptions{Trial: 2, Epochs: 30, Output: "m.dltm", Refit: true}},
		{name: "negative epochs", args: []string{"refit", "--epochs", "-1", "-o", "m.dltm"}, code: exitUsage, err: "--epochs -1 is negative"},
		{name: "no output", args: []string{"refit"}, code: exitUsage, err: "name the model file with -o"},
		{name: "txt", args: []string{"refit", "-o", "m.txt"}, code: exitUsage, err: `-o m.txt: unknown model format ".txt"`},
		{name: "onnx", args: []string{"refit", "-o", "m.onnx"}, want: &exportOptions{Trial: -1, Best: true, Output: "m.onnx", Refit: true}},
	})
}

// TestOptionalTrialHelp checks that an optional --trial shows no default
// of -1 in help: -1 is no trial, and nobody should pass it.
func TestOptionalTrialHelp(t *testing.T) {
	for _, c := range []struct {
		name   string
		newCmd func(*globals) *cobra.Command
		want   string
	}{
		{"export", func(g *globals) *cobra.Command { return newExportCmd(g, nil) }, "--trial int         the trial's number\n"},
		{"refit", func(g *globals) *cobra.Command { return newRefitCmd(g, nil) }, "--trial int         the trial's number (default: the best trial)\n"},
		{"plot", func(g *globals) *cobra.Command { return newPlotCmd(g, nil) }, "--trial int        the trial, for gradients and filters\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			cmd := c.newCmd(&globals{stdout: &out, stderr: &out})
			cmd.SetOut(&out)
			if err := cmd.Help(); err != nil {
				t.Fatal(err)
			}
			if help := out.String(); !strings.Contains(help, c.want) || strings.Contains(help, "-1") {
				t.Errorf("help shows --trial as\n%s\nwant %q and no -1", help, c.want)
			}
		})
	}
}

func TestEvaluateFlags(t *testing.T) {
	t.Setenv("DLTUNE_DATA_ROOT", "")
	checkFlags(t, newEvaluateCmd, func(o *evaluateOptions) { o.globals = nil }, []flagCase[evaluateOptions]{
		{name: "idx", args: []string{"evaluate", "-m", "m.dltm", "i.gz", "l.gz"}, want: &evaluateOptions{Model: "m.dltm", Data: []string{"i.gz", "l.gz"}, Format: formatTable}},
		{name: "csv json", args: []string{"evaluate", "--model", "m.dltm", "t.csv", "--format", "json"}, want: &evaluateOptions{Model: "m.dltm", Data: []string{"t.csv"}, Format: formatJSON}},
		{name: "no model", args: []string{"evaluate", "t.csv"}, code: exitUsage, err: "name the model file with -m, or the study with --study"},
		{name: "study", args: []string{"evaluate", "--study", "s", "--data-root", "d"}, want: &evaluateOptions{Study: "s", Format: formatTable, DataRoot: "d"}},
		{name: "study and files", args: []string{"evaluate", "--study", "s", "t.csv"}, want: &evaluateOptions{Study: "s", Data: []string{"t.csv"}, Format: formatTable}},
		{name: "model and study", args: []string{"evaluate", "-m", "m.dltm", "--study", "s", "t.csv"}, code: exitUsage, err: "-m and --study exclude each other"},
		{name: "no data", args: []string{"evaluate", "-m", "m.dltm"}, code: exitUsage, err: "name the test data"},
		{name: "three files", args: []string{"evaluate", "-m", "m.dltm", "a", "b", "c"}, code: exitUsage, err: "name the test data"},
		{name: "no csv format", args: []string{"evaluate", "-m", "m.dltm", "t.csv", "--format", "csv"}, code: exitUsage, err: "unknown format (want table or json)"},
	})
}

func TestPredictFlags(t *testing.T) {
	checkFlags(t, newPredictCmd, func(o *predictOptions) { o.globals = nil }, []flagCase[predictOptions]{
		{name: "defaults", args: []string{"predict", "-m", "m.dltm", "in.csv"}, want: &predictOptions{Model: "m.dltm", Input: "in.csv", Format: formatCSV}},
		{name: "json proba", args: []string{"predict", "-m", "m.dltm", "in.idx", "--format", "json", "--proba"},
			want: &predictOptions{Model: "m.dltm", Input: "in.idx", Format: formatJSON, Proba: true}},
		{name: "no model", args: []string{"predict", "in.csv"}, code: exitUsage, err: "name the model file with -m"},
		{name: "no input", args: []string{"predict", "-m", "m.dltm"}, code: exitUsage, err: "accepts 1 arg"},
		{name: "no table", args: []string{"predict", "-m", "m.dltm", "in.csv", "--format", "table"}, code: exitUsage, err: "unknown format (want csv or json)"},
	})
}

func TestServeFlags(t *testing.T) {
	t.Setenv("DLTUNE_TOKEN", "")
	checkFlags(t, newServeCmd, func(o *serveOptions) { o.globals = nil }, []flagCase[serveOptions]{
		{name: "defaults", args: []string{"serve"}, want: &serveOptions{Addr: "127.0.0.1:8080"}},
		{name: "loopback port", args: []string{"serve", "--addr", "127.0.0.1:9000"}, want: &serveOptions{Addr: "127.0.0.1:9000"}},
		{name: "localhost", args: []string{"serve", "--addr", "localhost:9000"}, want: &serveOptions{Addr: "localhost:9000"}},
		{name: "ipv6 loopback", args: []string{"serve", "--addr", "[::1]:9000"}, want: &serveOptions{Addr: "[::1]:9000"}},
		{name: "token off loopback", args: []string{"serve", "--addr", "0.0.0.0:8080", "--token", "t"}, want: &serveOptions{Addr: "0.0.0.0:8080", Token: "t"}},
		{name: "no token off loopback", args: []string{"serve", "--addr", "0.0.0.0:8080"}, code: exitUsage, err: "--addr 0.0.0.0:8080 is not a loopback address"},
		{name: "every interface needs a token", args: []string{"serve", "--addr", ":8080"}, code: exitUsage, err: "not a loopback address"},
		{name: "bad addr", args: []string{"serve", "--addr", "8080"}, code: exitUsage, err: `--addr "8080"`},
		{name: "argument", args: []string{"serve", "x"}, code: exitUsage, err: "accepts 0 arg"},
	})
	t.Run("token from the environment", func(t *testing.T) {
		t.Setenv("DLTUNE_TOKEN", "envtok")
		got, code, errs := parse(t, newServeCmd, "serve", "--addr", "192.0.2.1:80")
		if got == nil || got.Token != "envtok" {
			t.Fatalf("exit %d, %s: parsed %+v, want the token of $DLTUNE_TOKEN", code, errs, got)
		}
	})
}
