//go:build unix

package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestPermissions opens stores that the user may not write: in a read-only
// directory, and a read-only file, which it then reads read-only. chmod
// does not stop root, so as root the test runs the opening side in a
// helper process as user nobody, to whom a 0644 file of root's is
// read-only.
func TestPermissions(t *testing.T) {
	dir := t.TempDir()
	roDir := filepath.Join(dir, "ro")
	if err := os.Mkdir(roDir, 0o755); err != nil {
		t.Fatal(err)
	}
	roFile := filepath.Join(dir, "ro.db")
	db, err := Open(roFile, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateStudy(bg, testStudy("s")); err != nil {
		t.Fatal(err)
	}
	db.Close()
	before, _ := os.ReadFile(roFile)

	// open opens path for writing as a user who may not write, creates a
	// study named "s" in it, and returns "ok" or the error's message.
	// read opens path read-only as that user and returns its studies'
	// names or the error's message.
	var open, read func(path string) string
	if os.Geteuid() != 0 {
		if err := os.Chmod(roDir, 0o555); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(roFile, 0o444); err != nil {
			t.Fatal(err)
		}
		open = func(path string) string {
			db, err := Open(path, &Options{Timeout: -1})
			if err == nil {
				err = db.CreateStudy(bg, testStudy("s"))
				db.Close()
			}
			if err != nil {
				return "error: " + err.Error()
			}
			return "ok"
		}
		read = readStudies
	} else {
		if err := os.Chmod(roFile, 0o644); err != nil { // stores are 0600
			t.Fatal(err)
		}
		open = nobody(t, dir, "open")
		read = nobody(t, dir, "read")
	}

	tests := []struct {
		name string
		path string
		want string
	}{
		{"read-only directory", filepath.Join(roDir, "dltune.db"),
			"error: create " + filepath.Join(roDir, "dltune.db") + ": permission denied"},
		{"read-only file", roFile,
			"error: open " + roFile + ": permission denied (open it read-only to read it)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := open(tt.path); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
	entries, _ := os.ReadDir(roDir)
	if len(entries) != 0 {
		t.Errorf("read-only directory holds %v after a failed create", entries)
	}
	sameFile(t, roFile, before)

	// The read-only file can still be read.
	if got := read(roFile); got != "s" {
		t.Errorf("read-only Open and Studies of a read-only file: %q, want the study s", got)
	}
	sameFile(t, roFile, before)
}

func init() {
	// read opens the store at args[0] read-only and prints the names of
	// its studies, or the error.
	helpers["read"] = func(args []string) int {
		fmt.Println(readStudies(args[0]))
		return 0
	}
}

// readStudies opens the store at path read-only and returns its studies'
// names, space-separated, or "error: " and the error.
func readStudies(path string) string {
	db, err := Open(path, &Options{ReadOnly: true, Timeout: -1})
	if err != nil {
		return "error: " + err.Error()
	}
	defer db.Close()
	studies, err := db.Studies(context.Background())
	if err != nil {
		return "error: " + err.Error()
	}
	var names []string
	for _, s := range studies {
		names = append(names, s.Name)
	}
	return strings.Join(names, " ")
}

// nobody returns a function that runs the named helper as user nobody,
// from a copy of the test binary in dir, or skips the test if that cannot
// be done.
func nobody(t *testing.T, dir, helper string) func(path string) string {
	const uid, gid = 65534, 65534
	for d := dir; d != "/" && d != "."; d = filepath.Dir(d) {
		if strings.HasPrefix(d, os.TempDir()) && d != os.TempDir() {
			if err := os.Chmod(d, 0o755); err != nil {
				t.Skipf("running as root and cannot open %s to nobody: %v", d, err)
			}
		}
	}
	bin := filepath.Join(dir, "store.test")
	if err := copyExecutable(os.Args[0], bin); err != nil && !errors.Is(err, fs.ErrExist) {
		t.Skipf("running as root and cannot copy the test binary for nobody: %v", err)
	}
	return func(path string) string {
		cmd := helperCmd(t, helper, path, "s")
		cmd.Path = bin
		cmd.Args[0] = bin
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: gid}}
		out, err := cmd.Output()
		var exit *exec.ExitError
		if errors.As(err, &exit) || errors.Is(err, fs.ErrPermission) {
			t.Skipf("running as root and cannot run the test binary as nobody: %v", err)
		} else if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(out))
	}
}

func copyExecutable(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
