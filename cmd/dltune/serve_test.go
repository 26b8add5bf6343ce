package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/store"
)

// lockedBuffer is a bytes.Buffer safe for a writer and a reader at once.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestServe serves a store on a free loopback port, with a token, and
// stops when its context ends.
func TestServe(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dltune.db")
	db, err := store.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	spec := "name: cmd\ncommand:\n  argv: [python3, train.py, --lr, $lr]\n  epochs: 2\nspace:\n  lr: {float: [1e-4, 1e-2], log: true}\nsearch: {strategy: random, trials: 2}\n"
	if err := db.CreateStudy(context.Background(), &dltune.Study{Name: "cmd", Spec: []byte(spec), Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr lockedBuffer
	o := &serveOptions{globals: &globals{storage: path, stdout: &stdout, stderr: &stderr}, Addr: "127.0.0.1:0", Token: "tok"}
	done := make(chan error, 1)
	go func() { done <- runServe(ctx, o) }()
	addr := regexp.MustCompile(`http://([0-9.:]+)/`)
	var base string
	for deadline := time.Now().Add(10 * time.Second); base == ""; {
		if m := addr.FindStringSubmatch(stdout.String()); m != nil {
			base = "http://" + m[1]
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not serving after 10s; stderr: %s", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, c := range []struct {
		path string
		code int
		want string
	}{
		{"/", http.StatusUnauthorized, "token"},
		{"/?token=tok", http.StatusOK, `href="/study/cmd"`},
		{"/study/cmd?token=tok", http.StatusOK, "No trial yet"},
		{"/study/gone?token=tok", http.StatusNotFound, "gone"},
	} {
		resp, err := http.Get(base + c.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.code || !strings.Contains(string(body), c.want) {
			t.Errorf("%s: status %d, want %d with %q:\n%s", c.path, resp.StatusCode, c.code, c.want, body)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve ended with %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop with its context")
	}
}

// servedSpec writes the study file of study served to dir: a command
// study of 5 epochs of 200ms each, of budget trials.
func servedSpec(t *testing.T, dir string, budget int) (file string, spec []byte) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	file = filepath.Join(dir, "served.yaml")
	spec = fmt.Appendf(nil, `name: served
seed: 1
command:
  argv: [%q]
  env: {TEST_FAKE_TRAINER: "1", TRAINER_PIDS: %q, TRAINER_SLEEP: 200ms}
  epochs: 5
space:
  lr: {float: [0.1, 0.2]}
search: {strategy: random, trials: %d, parallel: 1}
`, exe, filepath.Join(dir, "pids"), budget)
	if err := os.WriteFile(file, spec, 0o644); err != nil {
		t.Fatal(err)
	}
	return file, spec
}

// TestRunServe serves the dashboard of a running study from dltune run
// --serve: the study's page answers while its trials train, and the
// listener closes when the run ends.
func TestRunServe(t *testing.T) {
	dir := t.TempDir()
	file, _ := servedSpec(t, dir, 2)
	out := serveWhileRunning(t, "run", file, "--storage", filepath.Join(dir, "s.db"))
	if !strings.Contains(out, "2 trials finished") {
		t.Errorf("run printed %q, want 2 trials finished", out)
	}
}

// TestResumeServe serves the dashboard of a study that dltune resume
// --serve continues, as run --serve does.
func TestResumeServe(t *testing.T) {
	dir := t.TempDir()
	file, spec := servedSpec(t, dir, 2)
	storage := filepath.Join(dir, "s.db")
	db, err := store.Open(storage, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateStudy(context.Background(), &dltune.Study{Name: "served", File: file, Spec: spec, Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	out := serveWhileRunning(t, "resume", "served", "--storage", storage)
	if !strings.Contains(out, "2 trials finished") {
		t.Errorf("resume printed %q, want 2 trials finished", out)
	}
}

// TestRetryServe serves the dashboard of a study whose failed trial
// dltune retry --serve runs again, as run --serve does.
func TestRetryServe(t *testing.T) {
	dir := t.TempDir()
	file, spec := servedSpec(t, dir, 1)
	storage := filepath.Join(dir, "s.db")
	db, err := store.Open(storage, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := db.CreateStudy(ctx, &dltune.Study{Name: "served", File: file, Spec: spec, Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	failed := &dltune.Trial{Params: dltune.Params{"lr": dltune.Float(0.15)}, State: dltune.Failed, Budget: 5, RetryOf: -1,
		Created: now, Started: now, Finished: now, Error: "exit status 1"}
	if err := db.CreateTrial(ctx, "served", failed); err != nil {
		t.Fatal(err)
	}
	db.Close()
	out := serveWhileRunning(t, "retry", "--failed", "--storage", storage)
	if !strings.Contains(out, "2 trials finished (1 failed)") {
		t.Errorf("retry printed %q, want 2 trials finished, 1 failed", out)
	}
}

// serveWhileRunning runs dltune with args, which run study served with
// --serve on a free loopback port: the study's page must answer while
// its trials train, and the listener close when the command ends. It
// returns what the command printed.
func serveWhileRunning(t *testing.T, args ...string) string {
	t.Helper()
	var stdout, stderr lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- Main(context.Background(), append(args, "--serve", "127.0.0.1:0"), &stdout, &stderr)
	}()
	addr := regexp.MustCompile(`dashboard of study served at (http://[0-9.:]+/)study/served\n`)
	var base string
	for deadline := time.Now().Add(10 * time.Second); base == ""; time.Sleep(10 * time.Millisecond) {
		if m := addr.FindStringSubmatch(stderr.String()); m != nil {
			base = m[1]
		}
		select {
		case code := <-done:
			t.Fatalf("%s exited %d before it said where it serves; stderr:\n%s", args[0], code, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no dashboard after 10s; stderr:\n%s", stderr.String())
		}
	}
	// The dashboard is up before a run records the study: wait for it.
	get := func(path string) (int, string) {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, string(body)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		code, body := get("study/served")
		if code == http.StatusOK && strings.Contains(body, "Study served") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/study/served: status %d after 10s, want 200 with the study:\n%s", code, body)
		}
	}
	if code, body := get(""); code != http.StatusOK || !strings.Contains(body, `href="/study/served"`) {
		t.Errorf("/: status %d, want 200 with a link to the study:\n%s", code, body)
	}
	select {
	case code := <-done:
		t.Fatalf("%s exited %d before the pages were read: the test saw no running study", args[0], code)
	default:
	}
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("%s exited %d; stderr:\n%s", args[0], code, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not end in 30s", args[0])
	}
	if resp, err := http.Get(base); err == nil {
		resp.Body.Close()
		t.Errorf("the dashboard still answers (%s) after %s ended", resp.Status, args[0])
	}
	return stdout.String()
}
