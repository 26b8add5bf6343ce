package trial

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/dltune/dltune"
)

// TestMain runs the test binary as the fake training program of the
// command tests when helperEnv is set: the tests need nothing but Go.
func TestMain(m *testing.M) {
	switch {
	case os.Getenv("HELPER_PARENT") != "":
		os.Exit(fakeDltune())
	case os.Getenv(helperEnv) != "":
		os.Exit(fakeTrainer())
	}
	os.Exit(m.Run())
}

const helperEnv = "DLTUNE_TEST_TRAINER"

// fakeCurve is the fake program's validation loss after epoch n with
// learning rate lr.
func fakeCurve(lr float64, n int) float64 { return (1 + lr) / float64(n) }

// fakeTrainer trains a fake curve by the command protocol. It resumes
// from DLTUNE_CHECKPOINT_DIR/state, logs what it does to HELPER_LOG and
// misbehaves as HELPER_* variables ask. It prints garbage on stdout.
func fakeTrainer() int {
	env := func(k string) string { return os.Getenv(k) }
	atoi := func(k string) int { n, _ := strconv.Atoi(env(k)); return n }
	logf := func(format string, args ...any) {
		if f, err := os.OpenFile(env("HELPER_LOG"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
			fmt.Fprintf(f, format+"\n", args...)
			f.Close()
		}
	}
	if env("HELPER_IGNORE_TERM") != "" {
		signal.Ignore(syscall.SIGTERM)
	}
	if p := env("HELPER_ARGS"); p != "" {
		b, _ := json.Marshal(map[string]any{
			"args": os.Args[1:],
			"omp":  env("OMP_NUM_THREADS"), "mkl": env("MKL_NUM_THREADS"), "threads": env("DLTUNE_THREADS"),
			"trial": env("DLTUNE_TRIAL"), "seed": env("DLTUNE_SEED"),
		})
		os.WriteFile(p, b, 0o644)
	}
	var params map[string]any
	b, err := os.ReadFile(env("DLTUNE_PARAMS"))
	if err != nil || json.Unmarshal(b, &params) != nil {
		fmt.Fprintln(os.Stderr, "fake trainer: no parameters:", err)
		return 2
	}
	lr, _ := params["lr"].(float64)
	state := filepath.Join(env("DLTUNE_CHECKPOINT_DIR"), "state")
	start := 0
	if env("HELPER_NOCKPT") == "" {
		if b, err := os.ReadFile(state); err == nil {
			start, _ = strconv.Atoi(string(b))
		}
	}
	if start > atoi("DLTUNE_EPOCHS_DONE") {
		start = 0 // ahead of dltune's record
	}
	until := atoi("DLTUNE_EPOCHS")
	logf("start pid=%d at=%d done=%s until=%d", os.Getpid(), start, env("DLTUNE_EPOCHS_DONE"), until)
	report := os.NewFile(uintptr(atoi("DLTUNE_REPORT_FD")), "report")
	fmt.Println(`garbage on stdout {"epoch": 99, "val_loss": 0}`)
	fmt.Fprintln(os.Stderr, started)
	switch env("HELPER_BAD") {
	case "noreport":
		return 0
	case "malformed":
		fmt.Fprintln(report, `{"epoch": 1, "val_loss": 0.5`)
	case "nan":
		fmt.Fprintln(report, `{"epoch": 1, "val_loss": NaN}`)
	case "gap":
		fmt.Fprintln(report, `{"epoch": 3, "val_loss": 0.5}`)
	case "noloss":
		fmt.Fprintln(report, `{"epoch": 1, "train_loss": 0.5}`)
	case "long":
		fmt.Fprintf(report, `{"epoch": 1, "val_loss": 0.5, "pad": "%s"}`+"\n", strings.Repeat("x", 70<<10))
	}
	sleep, _ := time.ParseDuration(env("HELPER_SLEEP"))
	for n := start + 1; n <= until || env("HELPER_OVERRUN") != ""; n++ {
		if n == atoi("HELPER_HANG_AT") {
			time.Sleep(time.Hour)
		}
		if n == atoi("HELPER_CRASH_AT") {
			for i := range 30 {
				fmt.Fprintf(os.Stderr, "traceback line %d\n", i)
			}
			fmt.Fprintf(os.Stderr, "boom at epoch %d\n", n)
			return 3
		}
		time.Sleep(sleep)
		logf("epoch %d", n)
		v := fakeCurve(lr, n)
		fmt.Printf("epoch %d done\n", n)
		fmt.Fprintf(report, `{"epoch": %d, "val_loss": %v, "train_loss": %v, "val_accuracy": %v, "extra": 1}`+"\n", n, v, 0.9*v, 1-v/2)
		os.WriteFile(state, []byte(strconv.Itoa(n)), 0o644)
		if n == atoi("HELPER_EARLY") {
			return 0
		}
	}
	return 0
}

// trainer returns a Command that runs the fake trainer with the given
// HELPER_ variables, and the file it logs to.
func trainer(t *testing.T, vars ...string) (Command, string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	log := filepath.Join(dir, "log")
	c := Command{
		Argv:    []string{exe},
		Env:     append([]string{helperEnv + "=1", "HELPER_LOG=" + log}, vars...),
		WorkDir: filepath.Join(dir, "trial"),
		Grace:   5 * time.Second,
	}
	return c, log
}

// logged returns the lines of the fake trainer's log that start with
// prefix.
func logged(t *testing.T, log, prefix string) []string {
	t.Helper()
	b, err := os.ReadFile(log)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return out
}

// recorder returns a Report that records epochs and the last checkpoint
// and asks to stop after epoch stopAt (0: never).
func recorder(epochs *[]dltune.Epoch, mark *[]byte, stopAt int) func(dltune.Epoch, State) (bool, error) {
	return func(e dltune.Epoch, s State) (bool, error) {
		b, err := s.Checkpoint()
		if err != nil {
			return false, err
		}
		*epochs = append(*epochs, e)
		*mark = b
		return e.Epoch == stopAt, nil
	}
}

// started is the fake trainer's first line on stderr.
const started = "fake trainer: starting"

func TestCommandTrains(t *testing.T) {
	c, _ := trainer(t, "MKL_NUM_THREADS=7")
	argsFile := filepath.Join(t.TempDir(), "args.json")
	c.Env = append(c.Env, "HELPER_ARGS="+argsFile)
	args := []string{"a b", "$(touch /tmp/x)", "; echo hi", "'q' \"d\"", "*", ""}
	c.Argv = append(c.Argv, args...)
	c.Threads = 2
	var epochs []dltune.Epoch
	var mark []byte
	params := dltune.Params{"lr": dltune.Float(0.5), "act": dltune.String("relu && ls")}
	job := &Job{Number: 4, Seed: 11, Params: params, Until: 3, Report: recorder(&epochs, &mark, 0)}
	res, err := RunCommand(context.Background(), c, job)
	if err != nil || !reflect.DeepEqual(res, Result{Epochs: 3, Stderr: started}) {
		t.Fatalf("RunCommand = %+v, %v; want 3 epochs", res, err)
	}
	if len(epochs) != 3 {
		t.Fatalf("reported %d epochs, want 3", len(epochs))
	}
	for i, e := range epochs {
		v := fakeCurve(0.5, i+1)
		if e.Epoch != i+1 || e.ValLoss != v || e.TrainLoss != 0.9*v || !e.HasAccuracy || e.ValAccuracy != 1-v/2 || e.Seconds <= 0 ||
			!reflect.DeepEqual(e.Metrics, map[string]float64{"extra": 1}) {
			t.Errorf("epoch %d: %+v, want val_loss %v", i+1, e, v)
		}
	}
	if string(mark) != string(checkpointMark(3)) {
		t.Errorf("last checkpoint %q, want the mark of epoch 3", mark)
	}
	var got struct {
		Args                           []string
		OMP, MKL, Threads, Trial, Seed string
	}
	b, err := os.ReadFile(argsFile)
	if err != nil || json.Unmarshal(b, &got) != nil {
		t.Fatalf("the program recorded no arguments: %v", err)
	}
	if !reflect.DeepEqual(got.Args, args) {
		t.Errorf("the program got arguments %q, want %q verbatim", got.Args, args)
	}
	if got.OMP != "2" || got.MKL != "7" || got.Threads != "2" || got.Trial != "4" || got.Seed != "11" {
		t.Errorf("environment %+v, want OMP 2, MKL 7 (the study's), threads 2, trial 4, seed 11", got)
	}
	b, err = os.ReadFile(filepath.Join(c.WorkDir, paramsFile))
	var back dltune.Params
	if err != nil || json.Unmarshal(b, &back) != nil || !back.Equal(params) {
		t.Errorf("parameters file %s (%v), want %v", b, err, params)
	}
}

// TestCommandContinues pauses a trial at its budget and continues it
// from the program's checkpoint: no epoch is trained twice.
func TestCommandContinues(t *testing.T) {
	c, log := trainer(t)
	params := dltune.Params{"lr": dltune.Float(0.1)}
	var epochs []dltune.Epoch
	var mark []byte
	res, err := RunCommand(context.Background(), c, &Job{Params: params, Until: 2, Report: recorder(&epochs, &mark, 0)})
	if err != nil || !reflect.DeepEqual(res, Result{Epochs: 2, Stderr: started}) {
		t.Fatalf("first run = %+v, %v; want 2 epochs", res, err)
	}
	res, err = RunCommand(context.Background(), c, &Job{Params: params, Done: 2, Checkpoint: mark, Until: 5, Report: recorder(&epochs, &mark, 0)})
	if err != nil || !reflect.DeepEqual(res, Result{Epochs: 5, Stderr: started}) {
		t.Fatalf("continued run = %+v, %v; want 5 epochs", res, err)
	}
	want := []string{"epoch 1", "epoch 2", "epoch 3", "epoch 4", "epoch 5"}
	if got := logged(t, log, "epoch"); !reflect.DeepEqual(got, want) {
		t.Errorf("trained %q, want %q", got, want)
	}
	if s := logged(t, log, "start"); len(s) != 2 || !strings.Contains(s[1], "at=2 done=2 until=5") {
		t.Errorf("starts %q; want the second at epoch 2 with 2 done, until 5", s)
	}
	for i, e := range epochs {
		if e.ValLoss != fakeCurve(0.1, i+1) {
			t.Errorf("epoch %d: val_loss %v, want %v", i+1, e.ValLoss, fakeCurve(0.1, i+1))
		}
	}

	// A job without a checkpoint starts afresh, whatever the directory holds.
	epochs = nil
	if _, err := RunCommand(context.Background(), c, &Job{Params: params, Until: 1, Report: recorder(&epochs, &mark, 0)}); err != nil {
		t.Fatal(err)
	}
	if s := logged(t, log, "start"); len(s) != 3 || !strings.Contains(s[2], "at=0 done=0") {
		t.Errorf("starts %q; want the third from scratch", s)
	}
}

// TestCommandRetrains continues a program that keeps no checkpoint: it
// trains again from the start, and dltune skips the epochs it has.
func TestCommandRetrains(t *testing.T) {
	c, _ := trainer(t, "HELPER_NOCKPT=1")
	var epochs []dltune.Epoch
	job := &Job{Params: dltune.Params{"lr": dltune.Float(0.2)}, Done: 2, Checkpoint: checkpointMark(2), Until: 4}
	job.Report = func(e dltune.Epoch, _ State) (bool, error) {
		epochs = append(epochs, e)
		return false, nil
	}
	res, err := RunCommand(context.Background(), c, job)
	if err != nil || res.Epochs != 4 || len(epochs) != 2 || epochs[0].Epoch != 3 || epochs[1].ValLoss != fakeCurve(0.2, 4) {
		t.Fatalf("RunCommand = %+v, %v, reported %+v; want epochs 3 and 4 only", res, err, epochs)
	}
}

// TestCommandStops prunes a trial (SIGTERM), prunes one that ignores
// SIGTERM (SIGKILL after the grace period), and interrupts one.
func TestCommandStops(t *testing.T) {
	for _, ignore := range []bool{false, true} {
		t.Run(fmt.Sprintf("ignore_term=%v", ignore), func(t *testing.T) {
			c, log := trainer(t, "HELPER_SLEEP=20ms")
			c.Grace = 300 * time.Millisecond
			if ignore {
				c.Env = append(c.Env, "HELPER_IGNORE_TERM=1")
			} else {
				c.Grace = time.Minute // SIGTERM must do
			}
			var epochs []dltune.Epoch
			var mark []byte
			start := time.Now()
			res, err := RunCommand(context.Background(), c, &Job{Params: dltune.Params{}, Until: 1000, Report: recorder(&epochs, &mark, 2)})
			if err != nil || !res.Pruned || res.Epochs != 2 {
				t.Fatalf("RunCommand = %+v, %v; want pruned after 2 epochs", res, err)
			}
			if d := time.Since(start); d > 30*time.Second {
				t.Errorf("took %v to stop", d)
			}
			if n := len(logged(t, log, "epoch")); n > 20 {
				t.Errorf("the program trained %d epochs after it was pruned at 2", n)
			}
		})
	}

	c, _ := trainer(t, "HELPER_SLEEP=20ms")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var epochs []dltune.Epoch
	job := &Job{Params: dltune.Params{}, Until: 1000, Report: func(e dltune.Epoch, _ State) (bool, error) {
		epochs = append(epochs, e)
		cancel()
		return false, nil
	}}
	res, err := RunCommand(ctx, c, job)
	if !errors.Is(err, context.Canceled) || res.Epochs != 1 || string(res.Checkpoint) != string(checkpointMark(1)) {
		t.Errorf("cancelled: RunCommand = %+v, %v; want 1 epoch, its checkpoint mark and context.Canceled", res, err)
	}
}

// TestCommandEnds covers the ways a run ends without failing: stopping
// early, and a program that trains on past its target.
func TestCommandEnds(t *testing.T) {
	c, _ := trainer(t, "HELPER_EARLY=2")
	res, err := RunCommand(context.Background(), c, &Job{Params: dltune.Params{}, Until: 5})
	if err != nil || !reflect.DeepEqual(res, Result{Epochs: 2, EarlyStopped: true, Stderr: started}) {
		t.Errorf("exits 0 after epoch 2 of 5: RunCommand = %+v, %v; want stopped early", res, err)
	}
	c, log := trainer(t, "HELPER_OVERRUN=1", "HELPER_SLEEP=5ms")
	c.Grace = 100 * time.Millisecond
	res, err = RunCommand(context.Background(), c, &Job{Params: dltune.Params{}, Until: 2})
	if err != nil || !reflect.DeepEqual(res, Result{Epochs: 2, Stderr: started}) {
		t.Errorf("trains on past its target: RunCommand = %+v, %v; want 2 epochs", res, err)
	}
	if n := len(logged(t, log, "epoch")); n < 3 {
		t.Errorf("the program logged %d epochs; the test wants it to overrun", n)
	}
}

func TestCommandFails(t *testing.T) {
	for _, tc := range []struct {
		name    string
		vars    []string
		timeout time.Duration
		argv    []string
		want    []string
	}{
		{"crash", []string{"HELPER_CRASH_AT=2"}, 0, nil, []string{"after epoch 1 of 3: exit status 3", "boom at epoch 2", "...\n  traceback line 11\n"}},
		{"no epoch", []string{"HELPER_BAD=noreport"}, 0, nil, []string{"exited without reporting an epoch", "stderr ends:\n  fake trainer: starting"}},
		{"malformed", []string{"HELPER_BAD=malformed"}, 0, nil, []string{`report "{\"epoch\": 1, \"val_loss\": 0.5" is not a JSON object`}},
		{"nan", []string{"HELPER_BAD=nan"}, 0, nil, []string{"a value is not finite"}},
		{"no loss", []string{"HELPER_BAD=noloss"}, 0, nil, []string{"has no val_loss"}},
		{"gap", []string{"HELPER_BAD=gap"}, 0, nil, []string{"reported epoch 3 after epoch 0"}},
		{"long", []string{"HELPER_BAD=long"}, 0, nil, []string{"a report line is longer than 64 KiB"}},
		{"hang", []string{"HELPER_HANG_AT=2"}, 500 * time.Millisecond, nil, []string{"timed out after 500ms, after epoch 1 of 3"}},
		{"missing program", nil, 0, []string{"/nonexistent/train"}, []string{"start /nonexistent/train", "no such file"}},
		{"missing directory", nil, 0, []string{"/nonexistent/dir"}, []string{"command directory: stat /nonexistent/dir: no such file"}},
		{"no parameters file", nil, 0, []string{"sh", "-c", "echo oops >&2; exit 1"}, []string{"sh before its first epoch: exit status 1; stderr ends:\n  oops"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := trainer(t, tc.vars...)
			c.Timeout, c.Grace = tc.timeout, time.Second
			switch {
			case tc.name == "missing directory":
				c.Dir = tc.argv[0]
			case tc.argv != nil:
				c.Argv = tc.argv
			}
			var epochs []dltune.Epoch
			var mark []byte
			res, err := RunCommand(context.Background(), c, &Job{Number: 7, Params: dltune.Params{}, Until: 3, Report: recorder(&epochs, &mark, 0)})
			if err == nil {
				t.Fatalf("RunCommand = %+v, nil; want an error", res)
			}
			if !strings.HasPrefix(err.Error(), "trial 7: ") {
				t.Errorf("error %q does not name the trial", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
			if res.Epochs != len(epochs) {
				t.Errorf("Result.Epochs %d, but %d epochs reported", res.Epochs, len(epochs))
			}
			if tc.name == "crash" {
				// The result keeps the last 20 lines, unquoted.
				if lines := strings.Split(res.Stderr, "\n"); len(lines) != 20 || lines[0] != "traceback line 11" || lines[19] != "boom at epoch 2" {
					t.Errorf("Result.Stderr = %q, want traceback lines 11 to 29 and the boom", res.Stderr)
				}
			}
		})
	}
}

func TestCommandCheckpointMismatch(t *testing.T) {
	c, _ := trainer(t)
	for _, job := range []*Job{
		{Done: 2, Until: 3},
		{Done: 2, Checkpoint: checkpointMark(1), Until: 3},
		{Done: 2, Checkpoint: []byte("core state"), Until: 3},
	} {
		if _, err := RunCommand(context.Background(), c, job); err == nil {
			t.Errorf("done %d, checkpoint %q: no error", job.Done, job.Checkpoint)
		}
	}
}

func TestParseReportMetrics(t *testing.T) {
	many := func(n int) string {
		var sb strings.Builder
		sb.WriteString(`{"epoch": 1, "val_loss": 0.5`)
		for i := range n {
			fmt.Fprintf(&sb, `, "m%d": %d`, i, i)
		}
		return sb.String() + "}"
	}
	for _, tc := range []struct {
		line string
		want map[string]float64
		err  string
	}{
		{`{"epoch": 1, "val_loss": 0.5, "lr": 0.1}`, nil, ""},
		{`{"epoch": 1, "val_loss": 0.5, "f1": 0.75, "_n": -3e2}`, map[string]float64{"f1": 0.75, "_n": -300}, ""},
		{many(32), nil, ""},
		{many(33), nil, "has 33 metrics besides epoch, val_loss, train_loss, val_accuracy and lr; at most 32 are kept"},
		{`{"epoch": 1, "val_loss": 0.5, "phase": "train"}`, nil, "phase is not a number"},
		{`{"epoch": 1, "val_loss": 0.5, "f1": null}`, nil, "f1 is not a number"},
		{`{"epoch": 1, "val_loss": 0.5, "f1": 1e999}`, nil, "f1 is not a number"},
		{`{"epoch": 1, "val_loss": 0.5, "val/f1": 1}`, nil, `metric name "val/f1" is not a letter or underscore`},
		{`{"epoch": 1, "val_loss": 0.5, "1x": 1}`, nil, `metric name "1x"`},
		{`{"epoch": 1, "val_loss": 0.5, "": 1}`, nil, `metric name ""`},
		{`{"epoch": 1, "val_loss": 0.5, "x\u001b[2J": 1}`, nil, `metric name "x\x1b[2J"`},
		{`{"epoch": 1, "val_loss": 0.5, "` + strings.Repeat("a", 65) + `": 1}`, nil, "metric name"},
	} {
		e, err := parseReport([]byte(tc.line))
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%.60s: %v", tc.line, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%.60s: error %v, want %q", tc.line, err, tc.err)
		case tc.err == "" && strings.HasPrefix(tc.line, `{"epoch": 1, "val_loss": 0.5, "m0"`):
			if len(e.Metrics) != 32 || e.Metrics["m31"] != 31 {
				t.Errorf("%.60s: metrics %v, want m0 to m31", tc.line, e.Metrics)
			}
		case tc.err == "" && !reflect.DeepEqual(e.Metrics, tc.want):
			t.Errorf("%.60s: metrics %v, want %v", tc.line, e.Metrics, tc.want)
		}
	}
}

// FuzzParseReport checks that any line parses to a valid epoch or fails:
// a bounded number of finite metrics with identifier names.
func FuzzParseReport(f *testing.F) {
	f.Add([]byte(`{"epoch": 2, "val_loss": 0.5, "train_loss": 0.4, "val_accuracy": 0.9, "lr": 0.01, "f1": 0.7}`))
	f.Add([]byte(`{"epoch": 1, "val_loss": NaN}`))
	f.Add([]byte(`{"epoch": 1.5, "val_loss": 1, "x": "y"}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		e, err := parseReport(line)
		if err != nil {
			if !utf8.ValidString(err.Error()) {
				t.Errorf("error %q is not UTF-8", err)
			}
			return
		}
		if e.Epoch < 1 || len(e.Metrics) > dltune.MaxMetrics {
			t.Errorf("epoch %d with %d metrics", e.Epoch, len(e.Metrics))
		}
		for k, v := range e.Metrics {
			if !metricName(k) || math.IsNaN(v) || math.IsInf(v, 0) {
				t.Errorf("metric %q = %v", k, v)
			}
		}
	})
}

func TestTailBuffer(t *testing.T) {
	tb := &tailBuffer{max: 10}
	if q := tb.quote(); q != "; its stderr is empty" {
		t.Errorf("empty: %q", q)
	}
	fmt.Fprint(tb, "abc\x1b[2J\n")
	if q := tb.quote(); q != "; stderr ends:\n  abc?[2J" {
		t.Errorf("quote = %q, want the control character replaced", q)
	}
	fmt.Fprint(tb, "0123\n456789\nxy")
	if string(tb.buf) != "\n456789\nxy" || tb.total != 22 {
		t.Errorf("buffer %q (total %d), want the last 10 bytes of 22", tb.buf, tb.total)
	}
	if q := tb.quote(); q != "; stderr ends:\n  ...\n  456789\n  xy" {
		t.Errorf("quote = %q", q)
	}
}

func TestTailBufferLast(t *testing.T) {
	for _, tc := range []struct {
		name   string
		max    int // of the buffer
		writes []string
		n, cap int
		want   string
	}{
		{"empty", 10, nil, 3, 100, ""},
		{"all", 100, []string{"a\nb\n", "c\n\n"}, 3, 100, "a\nb\nc"},
		{"last lines", 100, []string{"a\nb\nc\nd\n"}, 2, 100, "c\nd"},
		{"cut buffer drops the partial line", 8, []string{"0123456\nab\ncd"}, 5, 100, "ab\ncd"},
		{"byte bound at a line", 100, []string{"0123456\nab\ncd"}, 5, 5, "ab\ncd"},
		{"byte bound drops the partial line", 100, []string{"0123456\nab\ncd"}, 5, 4, "cd"},
		{"one long line is kept cut", 100, []string{"0123456789"}, 5, 4, "6789"},
		{"cut rune", 100, []string{"x\u00e9"}, 5, 1, "?"},
		{"control characters kept", 100, []string{"a\x1b[2J\n"}, 5, 100, "a\x1b[2J"},
	} {
		tb := &tailBuffer{max: tc.max}
		for _, w := range tc.writes {
			fmt.Fprint(tb, w)
		}
		if got := tb.last(tc.n, tc.cap); got != tc.want {
			t.Errorf("%s: last(%d, %d) = %q, want %q", tc.name, tc.n, tc.cap, got, tc.want)
		}
	}
}

// fakeDltune runs the fake trainer as dltune would, for a test to kill.
func fakeDltune() int {
	exe, _ := os.Executable()
	c := Command{
		Argv:    []string{exe},
		Env:     []string{"HELPER_PARENT=", helperEnv + "=1", "HELPER_LOG=" + os.Getenv("HELPER_LOG"), "HELPER_SLEEP=1h"},
		WorkDir: os.Getenv("HELPER_WORKDIR"),
		Grace:   time.Second,
	}
	_, err := RunCommand(context.Background(), c, &Job{Params: dltune.Params{}, Until: 3})
	fmt.Fprintln(os.Stderr, err)
	return 1
}

// TestCommandOrphans kills a process that runs a program, as SIGKILL
// kills dltune, and checks that the program dies with it.
func TestCommandOrphans(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the kernel kills the program of a dead dltune on Linux only")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	log := filepath.Join(dir, "log")
	parent := exec.Command(exe)
	parent.Env = append(os.Environ(), "HELPER_PARENT=1", "HELPER_LOG="+log, "HELPER_WORKDIR="+filepath.Join(dir, "trial"))
	if err := parent.Start(); err != nil {
		t.Fatal(err)
	}
	pid := 0
	for deadline := time.Now().Add(30 * time.Second); pid == 0 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if s := logged(t, log, "start pid="); len(s) > 0 {
			fmt.Sscanf(s[0], "start pid=%d", &pid)
		}
	}
	if pid == 0 {
		parent.Process.Kill()
		t.Fatal("the program did not start")
	}
	if !alive(pid) {
		t.Fatalf("program %d is not running before its parent is killed", pid)
	}
	parent.Process.Kill()
	parent.Wait()
	for deadline := time.Now().Add(10 * time.Second); alive(pid); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("program %d outlived its killed parent by 10s", pid)
		}
	}
}

// alive reports whether process pid runs: it exists and is not a zombie
// (a container's init may not reap the orphans it inherits).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] != 'Z' && s[i+2] != 'X'
}
