package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/dltune/dltune/store"
)

// tinyStore runs the tiny study into a new store and returns its path.
func tinyStore(t *testing.T, dir string) string {
	t.Helper()
	storage := filepath.Join(dir, "dltune.db")
	if code, _, errs := cli(t, context.Background(), "run", "testdata/tiny.yaml", "--storage", storage); code != 0 {
		t.Fatalf("run: exit %d: %s", code, errs)
	}
	return storage
}

// TestReadersOnReadOnlyFileSystem runs the read-only commands on a store
// in a read-only file system (a read-only bind mount, since permission
// bits do not stop root): they read it.
func TestReadersOnReadOnlyFileSystem(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("needs Linux mount namespaces")
	}
	dir := filepath.Join(t.TempDir(), "ro")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	storage := tinyStore(t, dir)
	for _, args := range [][]string{
		{"leaderboard", "--format", "json"},
		{"show", "0"},
		{"studies"},
		{"run", "testdata/tiny.yaml"}, // a writer fails: the mount is read-only
	} {
		t.Run(args[0], func(t *testing.T) {
			cmd := exec.Command(os.Args[0], append(append([]string{"--"}, args...), "--storage", storage)...)
			cmd.Env = append(os.Environ(), "DLTUNE_AS_MAIN=1", roMountEnv+"="+dir)
			cmd.SysProcAttr = newMountNamespace()
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			if cmd.ProcessState == nil || cmd.ProcessState.ExitCode() == 99 {
				t.Skipf("cannot run dltune in a read-only mount namespace: %v %s", err, stderr.String())
			}
			if args[0] == "run" {
				if err == nil || !strings.Contains(stderr.String(), "read-only file system") {
					t.Fatalf("run on a read-only file system: %v, %q; want it to fail", err, stderr.String())
				}
				return
			}
			if err != nil || !strings.Contains(stdout.String(), "tiny") && !strings.Contains(stdout.String(), `"state"`) {
				t.Errorf("dltune %s on a read-only file system: %v\nstdout %q\nstderr %q", args[0], err, stdout.String(), stderr.String())
			}
		})
	}
}

// TestReaderDoesNotBlockWriter opens the store as the read-only commands
// do and keeps it open, as a reader piped into a paused pager does: a
// writer opens it at once.
func TestReaderDoesNotBlockWriter(t *testing.T) {
	storage := tinyStore(t, t.TempDir())
	var stderr bytes.Buffer
	g := &globals{storage: storage, stderr: &stderr}
	r, err := g.openReader(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.Trials(context.Background(), "tiny"); err != nil {
		t.Fatal(err)
	}
	w, err := store.Open(storage, &store.Options{Timeout: -1})
	if err != nil {
		t.Fatalf("writer while a reader has the store open: %v", err)
	}
	w.Close()
}

// TestReaderFindsSnapshotAtOnce reads a store that a writer holds: the
// read-only commands read its snapshot without waiting for the lock.
func TestReaderFindsSnapshotAtOnce(t *testing.T) {
	storage := tinyStore(t, t.TempDir())
	w, err := store.Open(storage, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.KeepSnapshot(time.Hour)
	for _, args := range [][]string{
		{"leaderboard", "--format", "json"},
		{"show", "0", "--format", "json"},
		{"studies", "--format", "json"},
	} {
		start := time.Now()
		code, out, errs := cli(t, context.Background(), append(args, "--storage", storage)...)
		elapsed := time.Since(start)
		if code != 0 || !strings.Contains(errs, "a study is running on "+storage+": showing it as of ") || !strings.Contains(out, "tiny") && !strings.Contains(out, `"state"`) {
			t.Errorf("dltune %s while a writer holds the store: exit %d\nstdout %q\nstderr %q", args[0], code, out, errs)
		}
		// Waiting for the lock would take the whole timeout.
		if elapsed >= store.DefaultTimeout {
			t.Errorf("dltune %s took %v, as long as waiting for the lock", args[0], elapsed)
		}
	}
}

// TestStorageDefault checks where the store is when --storage is not
// given ($DLTUNE_STORAGE, else dltune.db in the working directory), that
// help never prints $DLTUNE_STORAGE, whose URL may hold a password, and
// that an empty --storage is refused.
func TestStorageDefault(t *testing.T) {
	storage := tinyStore(t, t.TempDir())
	t.Setenv("DLTUNE_STORAGE", storage)
	if code, out, errs := cli(t, context.Background(), "studies", "--format", "csv"); code != 0 || !strings.Contains(out, "\ntiny,6,") {
		t.Errorf("studies with $DLTUNE_STORAGE: exit %d, %q %q; want the tiny study", code, out, errs)
	}
	t.Setenv("DLTUNE_STORAGE", "postgres://tuner:s3cret@db.example.com/tuning")
	for _, args := range [][]string{{"--help"}, {"leaderboard", "--help"}, {"run", "-h"}, {"help", "studies"}} {
		code, out, errs := cli(t, context.Background(), args...)
		if code != 0 || strings.Contains(out+errs, "s3cret") || !strings.Contains(out, "--storage") {
			t.Errorf("%q: exit %d, and it prints the password or no --storage:\n%s%s", args, code, out, errs)
		}
	}
	t.Setenv("DLTUNE_STORAGE", "")
	dir := t.TempDir()
	t.Chdir(dir)
	code, _, errs := cli(t, context.Background(), "studies")
	if want := "no store at dltune.db"; code != exitFailure || !strings.Contains(errs, want) {
		t.Errorf("studies without a store: exit %d, %q; want %q", code, errs, want)
	}
	code, _, errs = cli(t, context.Background(), "studies", "--storage", "")
	if want := "--storage is empty"; code != exitUsage || !strings.Contains(errs, want) {
		t.Errorf("studies --storage '': exit %d, %q; want exit 2 and %q", code, errs, want)
	}
}

// TestLeaseFlag refuses a --lease too short to renew: a lease of a few
// nanoseconds made the PostgreSQL store's heartbeat panic.
func TestLeaseFlag(t *testing.T) {
	storage := filepath.Join(t.TempDir(), "none.db")
	for _, c := range []struct {
		lease string
		code  int
		want  string
	}{
		{"5ns", exitUsage, "--lease 5ns is shorter than 1s"},
		{"-3s", exitUsage, "--lease -3s is shorter than 1s"},
		{"0s", exitUsage, "--lease 0s is shorter than 1s"},
		{"1s", exitFailure, "no store at"},
		{"2m", exitFailure, "no store at"},
	} {
		code, _, errs := cli(t, context.Background(), "studies", "--storage", storage, "--lease", c.lease)
		if code != c.code || !strings.Contains(errs, c.want) {
			t.Errorf("--lease %s: exit %d, %q; want exit %d and %q", c.lease, code, errs, c.code, c.want)
		}
	}
}
