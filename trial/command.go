package trial

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dltune/dltune"
)

// A Command is a program that trains trials by the command protocol (the
// README describes it for program authors). dltune starts the program for
// each run of a trial with these environment variables:
//
//	DLTUNE_PARAMS          a JSON file of the trial's parameters
//	DLTUNE_EPOCHS          the number of epochs to train up to, in all
//	DLTUNE_EPOCHS_DONE     the epochs dltune has recorded (0 on a first run)
//	DLTUNE_CHECKPOINT_DIR  the trial's checkpoint directory, kept between runs
//	DLTUNE_REPORT_FD       the file descriptor to report epochs on (3)
//	DLTUNE_TRIAL, DLTUNE_SEED, DLTUNE_THREADS
//
// and OMP_NUM_THREADS, MKL_NUM_THREADS and OPENBLAS_NUM_THREADS set to
// Threads unless Env sets them. The program writes one JSON object a line
// on the report descriptor for every epoch it finishes, such as
//
//	{"epoch": 3, "val_loss": 0.41, "train_loss": 0.38, "val_accuracy": 0.87}
//
// and exits 0 once it has trained DLTUNE_EPOCHS epochs.
type Command struct {
	// Argv is the program and its arguments; Env holds the variables the
	// study sets ("NAME=value"), added to dltune's own environment.
	Argv []string
	Env  []string
	// Dir is the directory the program runs in; "" is dltune's.
	Dir string
	// WorkDir is the trial's directory, kept while the trial lives: it
	// holds the parameters file and the checkpoint directory. It is
	// created if needed; the caller removes it when the trial ends.
	WorkDir string
	// Threads, if > 0, is the trial's share of the cores.
	Threads int
	// Timeout, if > 0, bounds a run of the program: a run that has not
	// ended by then is stopped and fails.
	Timeout time.Duration
	// Grace is how long the program has to exit after SIGTERM before it
	// is killed, and to exit by itself after its last epoch before it is
	// sent SIGTERM.
	Grace time.Duration
}

// The protocol's limits.
const (
	// ReportFD is the descriptor a program reports epochs on.
	ReportFD = 3
	// maxReportLine bounds a report line: a longer one fails the trial.
	maxReportLine = 64 << 10
	// stderrKeep is how much of the end of a program's stderr is kept,
	// and stderrLines how many of its last lines an error quotes.
	stderrKeep  = 16 << 10
	stderrLines = 20
	maxQuoted   = 300 // bytes of a quoted line
	// drainTime is how long dltune reads the reports a program left
	// behind when it exits (a child of the program may hold the
	// descriptor open).
	drainTime = 200 * time.Millisecond
)

// The trial's directory holds these.
const (
	paramsFile    = "params.json"
	checkpointDir = "checkpoint"
)

// RunCommand runs the job's trial by starting the program c, and returns
// as Run does. The job's checkpoint is not the training state, which the
// program keeps in its checkpoint directory, but a mark of the epochs
// recorded when it was made; a job without one starts the program afresh,
// with an empty checkpoint directory.
//
// Reports of epochs dltune already recorded are skipped (a program that
// does not checkpoint retrains them), an epoch reported out of order, a
// malformed report, a non-finite loss, a non-zero exit, a timeout or a
// program that exits without reporting a new epoch fail the trial, with
// the end of the program's stderr in the error. A program that exits 0
// before DLTUNE_EPOCHS stopped early by its own rule. When Report asks to
// stop, when ctx is cancelled or the run times out, the program's process
// group gets SIGTERM, then SIGKILL after c.Grace.
func RunCommand(ctx context.Context, c Command, job *Job) (Result, error) {
	res := Result{Epochs: job.Done}
	if len(c.Argv) == 0 {
		return res, fmt.Errorf("trial %d: no command to run", job.Number)
	}
	if c.Dir != "" {
		// The child would report a missing directory as a missing program.
		if fi, err := os.Stat(c.Dir); err != nil || !fi.IsDir() {
			if err == nil {
				err = errors.New("not a directory")
			}
			return res, fmt.Errorf("trial %d: command directory: %w", job.Number, err)
		}
	}
	if err := prepareWorkDir(c.WorkDir, job); err != nil {
		return res, fmt.Errorf("trial %d: %w", job.Number, err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		return res, fmt.Errorf("trial %d: report pipe: %w", job.Number, err)
	}
	defer r.Close()
	tail := &tailBuffer{max: stderrKeep}
	cmd := exec.Command(c.Argv[0], c.Argv[1:]...)
	cmd.Dir = c.Dir
	cmd.Env = commandEnv(c, job)
	cmd.Stderr = tail
	cmd.ExtraFiles = []*os.File{w} // descriptor 3
	cmd.SysProcAttr = procAttr()
	// Wait returns this long after the program exits even if a child of
	// it still holds its stderr.
	cmd.WaitDelay = time.Second
	err = cmd.Start()
	w.Close()
	if err != nil {
		return res, fmt.Errorf("trial %d: start %s: %w", job.Number, c.Argv[0], err)
	}

	done := make(chan struct{})
	defer close(done)
	lines := readReports(r, done)
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	run := &commandRun{c: c, job: job, cmd: cmd, epochs: job.Done, last: time.Now()}
	defer run.stopKill()
	var timeout <-chan time.Time
	if c.Timeout > 0 {
		t := time.NewTimer(c.Timeout)
		defer t.Stop()
		timeout = t.C
	}
	var waitErr error
loop:
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				lines = nil
				continue
			}
			run.handle(l)
		case waitErr = <-exited:
			break loop
		case <-timeout:
			run.stop(stopTimeout, nil)
		case <-run.graceC:
			// Its last epoch is in, but it does not exit.
			run.terminate()
		case <-ctx.Done():
			run.stop(stopCancel, nil)
		}
	}
	// Reports written just before the program exited are still in the
	// pipe.
	if lines != nil {
		r.SetReadDeadline(time.Now().Add(drainTime))
		for l := range lines {
			run.handle(l)
		}
	}
	return run.result(ctx, waitErr, tail)
}

// Why dltune stopped a program.
type stopReason uint8

const (
	stopNone    stopReason = iota
	stopPruned             // Report asked to stop
	stopFailed             // a bad report, or Report failed
	stopTimeout            // the run took longer than Command.Timeout
	stopCancel             // ctx was cancelled
)

// commandRun is the state of one run of a program. It is used from
// RunCommand's goroutine only.
type commandRun struct {
	c   Command
	job *Job
	cmd *exec.Cmd
	// epochs is the number of epochs recorded, this run's included, and
	// last when the latest was reported (or the program started): an
	// epoch's time is the time since, the program's start included.
	epochs int
	last   time.Time
	// reached: the program reported its last epoch; graceC then fires if
	// it does not exit in time.
	reached bool
	graceC  <-chan time.Time
	why     stopReason
	err     error // the failure, for stopFailed
	termed  bool  // SIGTERM sent
	kill    *time.Timer
}

// handle acts on one report line.
func (r *commandRun) handle(l reportLine) {
	if r.why != stopNone || r.reached {
		return // the program is being stopped, or has nothing left to report
	}
	if l.err != nil {
		if !errors.Is(l.err, os.ErrDeadlineExceeded) {
			r.stop(stopFailed, l.err)
		}
		return
	}
	e, err := parseReport(l.text)
	if err != nil {
		r.stop(stopFailed, err)
		return
	}
	switch {
	case e.Epoch <= r.epochs:
		return // recorded already: the program retrained it
	case e.Epoch > r.epochs+1:
		r.stop(stopFailed, fmt.Errorf("reported epoch %d after epoch %d: a program may resume only from a checkpoint at most DLTUNE_EPOCHS_DONE epochs in, and must report every epoch after it", e.Epoch, r.epochs))
		return
	}
	r.epochs++
	now := time.Now()
	e.Seconds = now.Sub(r.last).Seconds()
	r.last = now
	if r.job.Report != nil {
		mark := checkpointMark(r.epochs)
		stop, err := r.job.Report(e, State{Checkpoint: func() ([]byte, error) { return mark, nil }})
		switch {
		case err != nil:
			r.stop(stopFailed, err)
			return
		case stop:
			r.stop(stopPruned, nil)
			return
		}
	}
	if r.epochs >= r.job.Until {
		r.reached = true
		r.graceC = time.After(r.c.Grace)
	}
}

// stop records why the program is stopped and sends it SIGTERM.
func (r *commandRun) stop(why stopReason, err error) {
	if r.why != stopNone {
		return
	}
	r.why, r.err = why, err
	r.terminate()
}

// terminate sends the program's process group SIGTERM, and SIGKILL after
// the grace period.
func (r *commandRun) terminate() {
	if r.termed {
		return
	}
	r.termed = true
	p := r.cmd.Process
	if r.c.Grace <= 0 {
		killGroup(p)
		return
	}
	termGroup(p)
	r.kill = time.AfterFunc(r.c.Grace, func() { killGroup(p) })
}

// stopKill cancels a pending SIGKILL once the program has exited, and
// kills what is left of its process group: children it left behind.
func (r *commandRun) stopKill() {
	if r.kill != nil {
		r.kill.Stop()
	}
	killGroup(r.cmd.Process)
}

// result says how the run ended, given what Wait returned.
func (r *commandRun) result(ctx context.Context, waitErr error, tail *tailBuffer) (Result, error) {
	job := r.job
	res := Result{Epochs: r.epochs, Stderr: tail.last(stderrLines, dltune.MaxStderr)}
	fail := func(format string, args ...any) (Result, error) {
		msg := fmt.Sprintf(format, args...)
		return res, fmt.Errorf("trial %d: %s%s", job.Number, msg, tail.quote())
	}
	where := fmt.Sprintf("after epoch %d of %d", r.epochs, job.Until)
	if r.epochs == 0 {
		where = "before its first epoch"
	}
	switch r.why {
	case stopCancel:
		if r.epochs > 0 {
			res.Checkpoint = checkpointMark(r.epochs)
		}
		return res, fmt.Errorf("trial %d: %w", job.Number, ctx.Err())
	case stopPruned:
		res.Pruned = true
		return res, nil
	case stopTimeout:
		return fail("timed out after %s, %s (command.timeout)", r.c.Timeout, where)
	case stopFailed:
		return fail("%v", r.err)
	}
	switch {
	case waitErr != nil && !r.termed:
		return fail("%s %s: %v", r.c.Argv[0], where, waitErr)
	case r.reached:
		return res, nil
	case r.epochs == job.Done:
		return fail("%s exited without reporting an epoch (it was to train to epoch %d and report each on descriptor %d)", r.c.Argv[0], job.Until, ReportFD)
	}
	// It exited 0 short of its target: its own rule stopped it.
	res.EarlyStopped = true
	return res, nil
}

// prepareWorkDir makes the trial's directory ready for a run: the
// parameters file written, and the checkpoint directory emptied when the
// job starts afresh.
func prepareWorkDir(dir string, job *Job) error {
	ckpt := filepath.Join(dir, checkpointDir)
	if job.Checkpoint == nil {
		if job.Done != 0 {
			return fmt.Errorf("%d epochs done but no checkpoint", job.Done)
		}
		if err := os.RemoveAll(ckpt); err != nil {
			return fmt.Errorf("empty checkpoint directory: %w", err)
		}
	} else if n, ok := parseCheckpointMark(job.Checkpoint); !ok || n != job.Done {
		return fmt.Errorf("checkpoint %q does not mark epoch %d, the trial's record", clipBytes(job.Checkpoint), job.Done)
	}
	if err := os.MkdirAll(ckpt, 0o755); err != nil {
		return fmt.Errorf("checkpoint directory: %w", err)
	}
	params, err := json.Marshal(job.Params)
	if err != nil {
		return fmt.Errorf("parameters: %w", err)
	}
	tmp := filepath.Join(dir, paramsFile+".tmp")
	if err := os.WriteFile(tmp, append(params, '\n'), 0o644); err != nil {
		return fmt.Errorf("parameters file: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, paramsFile)); err != nil {
		return fmt.Errorf("parameters file: %w", err)
	}
	return nil
}

// commandEnv returns the program's environment: dltune's, the thread
// counts, the study's variables and the protocol's, later ones winning.
func commandEnv(c Command, job *Job) []string {
	env := os.Environ()
	if c.Threads > 0 {
		n := strconv.Itoa(c.Threads)
		env = append(env, "DLTUNE_THREADS="+n)
		for _, v := range []string{"OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"} {
			if !setsVar(c.Env, v) {
				env = append(env, v+"="+n)
			}
		}
	}
	env = append(env, c.Env...)
	return append(env,
		"DLTUNE_PARAMS="+filepath.Join(c.WorkDir, paramsFile),
		"DLTUNE_CHECKPOINT_DIR="+filepath.Join(c.WorkDir, checkpointDir),
		"DLTUNE_EPOCHS="+strconv.Itoa(job.Until),
		"DLTUNE_EPOCHS_DONE="+strconv.Itoa(job.Done),
		"DLTUNE_REPORT_FD="+strconv.Itoa(ReportFD),
		"DLTUNE_TRIAL="+strconv.Itoa(job.Number),
		"DLTUNE_SEED="+strconv.FormatUint(job.Seed, 10),
	)
}

func setsVar(env []string, name string) bool {
	for _, kv := range env {
		if strings.HasPrefix(kv, name+"=") {
			return true
		}
	}
	return false
}

// checkpointMark is a command trial's stored checkpoint: the epochs
// recorded when it was made. The state itself is the program's, in its
// checkpoint directory.
func checkpointMark(epochs int) []byte {
	return []byte("dltune command checkpoint after epoch " + strconv.Itoa(epochs) + "\n")
}

func parseCheckpointMark(b []byte) (int, bool) {
	s, ok := strings.CutPrefix(string(b), "dltune command checkpoint after epoch ")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimSuffix(s, "\n"))
	return n, err == nil && n >= 0
}

// A reportLine is one line read from the report descriptor, or the error
// that ended reading.
type reportLine struct {
	text []byte
	err  error
}

// readReports reads report lines from r until it fails or done is closed.
func readReports(r *os.File, done <-chan struct{}) <-chan reportLine {
	lines := make(chan reportLine)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 4096), maxReportLine)
		send := func(l reportLine) bool {
			select {
			case lines <- l:
				return true
			case <-done:
				return false
			}
		}
		for sc.Scan() {
			if len(bytes.TrimSpace(sc.Bytes())) == 0 {
				continue
			}
			if !send(reportLine{text: bytes.Clone(sc.Bytes())}) {
				return
			}
		}
		err := sc.Err()
		if errors.Is(err, bufio.ErrTooLong) {
			err = fmt.Errorf("a report line is longer than %d KiB", maxReportLine>>10)
		}
		if err != nil {
			send(reportLine{err: err})
		}
	}()
	return lines
}

// parseReport parses one report line into an epoch. epoch and val_loss
// are required; train_loss, val_accuracy and lr are read when present;
// any other key is a metric, whose value must be a number.
func parseReport(line []byte) (dltune.Epoch, error) {
	var e dltune.Epoch
	var m map[string]json.RawMessage
	if err := json.Unmarshal(line, &m); err != nil || m == nil {
		if bytes.Contains(line, []byte("NaN")) || bytes.Contains(line, []byte("Infinity")) {
			return e, fmt.Errorf("report %q: a value is not finite", clipBytes(line))
		}
		return e, fmt.Errorf("report %q is not a JSON object on one line", clipBytes(line))
	}
	num := func(key string, required bool) (float64, bool, error) {
		raw, ok := m[key]
		if !ok {
			if required {
				return 0, false, fmt.Errorf("report %q has no %s", clipBytes(line), key)
			}
			return 0, false, nil
		}
		var f float64
		if err := json.Unmarshal(raw, &f); err != nil || string(raw) == "null" {
			return 0, false, fmt.Errorf("report %q: %s is not a number", clipBytes(line), key)
		}
		return f, true, nil
	}
	ep, _, err := num("epoch", true)
	if err != nil {
		return e, err
	}
	if ep != math.Trunc(ep) || ep < 1 || ep > math.MaxInt32 {
		return e, fmt.Errorf("report %q: epoch must be a whole number from 1", clipBytes(line))
	}
	e.Epoch = int(ep)
	if e.ValLoss, _, err = num("val_loss", true); err != nil {
		return e, err
	}
	if e.TrainLoss, _, err = num("train_loss", false); err != nil {
		return e, err
	}
	if e.ValAccuracy, e.HasAccuracy, err = num("val_accuracy", false); err != nil {
		return e, err
	}
	if e.LearningRate, _, err = num("lr", false); err != nil {
		return e, err
	}
	if e.HasAccuracy && (e.ValAccuracy < 0 || e.ValAccuracy > 1) {
		return e, fmt.Errorf("report %q: val_accuracy %v is not in [0, 1]", clipBytes(line), e.ValAccuracy)
	}
	var names []string
	for k := range m {
		if !knownKeys[k] {
			names = append(names, k)
		}
	}
	if len(names) > dltune.MaxMetrics {
		return e, fmt.Errorf("report %q has %d metrics besides epoch, val_loss, train_loss, val_accuracy and lr; at most %d are kept", clipBytes(line), len(names), dltune.MaxMetrics)
	}
	slices.Sort(names) // the first bad one is named, the same each time
	for _, k := range names {
		if !metricName(k) {
			return e, fmt.Errorf("report %q: metric name %q is not a letter or underscore followed by up to %d letters, digits and underscores", clipBytes(line), clipBytes([]byte(k)), maxMetricName-1)
		}
		f, _, err := num(k, false)
		if err != nil {
			return e, err
		}
		if e.Metrics == nil {
			e.Metrics = make(map[string]float64, len(names))
		}
		e.Metrics[k] = f
	}
	return e, nil
}

// knownKeys are the report keys that are not metrics.
var knownKeys = map[string]bool{"epoch": true, "val_loss": true, "train_loss": true, "val_accuracy": true, "lr": true}

// maxMetricName bounds the length of a metric's name.
const maxMetricName = 64

// metricName reports whether s is a valid metric name: an ASCII
// identifier of at most maxMetricName bytes, which prints and fits a
// column header and a CSV field as it is.
func metricName(s string) bool {
	if s == "" || len(s) > maxMetricName {
		return false
	}
	for i, c := range []byte(s) {
		switch {
		case c == '_', 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// clipBytes shortens a report for a message.
func clipBytes(b []byte) string {
	const max = 200
	s := strings.ToValidUTF8(string(b), "?")
	if len(s) > max {
		s = strings.ToValidUTF8(s[:max], "") + "..."
	}
	return s
}

// tailBuffer keeps the last max bytes written to it. It is safe for
// concurrent use.
type tailBuffer struct {
	mu    sync.Mutex
	max   int
	buf   []byte
	total int64
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.total += int64(len(p))
	if len(p) >= t.max {
		t.buf = append(t.buf[:0], p[len(p)-t.max:]...)
		return len(p), nil
	}
	if over := len(t.buf) + len(p) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	t.buf = append(t.buf, p...)
	return len(p), nil
}

// last returns at most the last n lines of what was written, and at most
// max bytes of them, as valid UTF-8: the lines are cut from the front, the
// first kept line possibly partial. The newlines at the end are trimmed.
func (t *tailBuffer) last(n, max int) string {
	t.mu.Lock()
	b := bytes.Clone(bytes.TrimRight(t.buf, "\n\r\t "))
	partial := int64(len(t.buf)) < t.total
	t.mu.Unlock()
	for i, k := len(b)-1, 0; i >= 0; i-- {
		if b[i] == '\n' {
			if k++; k == n {
				b, partial = b[i+1:], false
				break
			}
		}
	}
	if len(b) > max {
		b, partial = b[len(b)-max:], b[len(b)-max-1] != '\n'
	}
	if partial {
		// Drop the cut rune, or a whole cut line when the tail has more.
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		}
	}
	return strings.ToValidUTF8(string(b), "?")
}

// quote returns the last lines of what was written, indented on lines of
// their own after a colon, for an error; "" if nothing was. Control
// characters become '?', so that the error is safe to print.
func (t *tailBuffer) quote() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := strings.ToValidUTF8(string(t.buf), "?")
	s = strings.TrimRight(s, "\n\r\t ")
	if s == "" {
		return "; its stderr is empty"
	}
	lines := strings.Split(s, "\n")
	cut := int64(len(t.buf)) < t.total
	if len(lines) > stderrLines {
		lines, cut = lines[len(lines)-stderrLines:], true
	} else if cut {
		lines = lines[1:] // the first may be partial
	}
	var sb strings.Builder
	sb.WriteString("; stderr ends:")
	if cut {
		sb.WriteString("\n  ...")
	}
	for _, l := range lines {
		sb.WriteString("\n  ")
		l = strings.TrimRight(l, "\r")
		if len(l) > maxQuoted {
			l = strings.ToValidUTF8(l[:maxQuoted], "") + "..."
		}
		for _, c := range l {
			if c < 0x20 && c != '\t' || c == 0x7f || c >= 0x80 && c < 0xa0 {
				c = '?'
			}
			sb.WriteRune(c)
		}
	}
	return sb.String()
}
