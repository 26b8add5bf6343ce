package store

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func init() {
	// ro-mount runs in a mount namespace of its own. It makes the
	// directory args[0] a read-only bind mount of itself, then reads the
	// store args[1] read-only and opens it writable, printing a line for
	// each: what readStudies returns, and "ok" or the error.
	helpers["ro-mount"] = func(args []string) int {
		dir := args[0]
		if err := syscall.Mount(dir, dir, "", syscall.MS_BIND, ""); err != nil {
			fmt.Println("skip: bind mount:", err)
			return 0
		}
		if err := syscall.Mount("", dir, "", syscall.MS_REMOUNT|syscall.MS_BIND|syscall.MS_RDONLY, ""); err != nil {
			fmt.Println("skip: remount read-only:", err)
			return 0
		}
		fmt.Println(readStudies(args[1]))
		_, err := Open(args[1], &Options{Timeout: -1})
		report(err)
		return 0
	}
}

// TestReadOnlyFileSystem reads a store on a read-only file system: a
// read-only bind mount in a mount namespace of a helper process, which
// needs root (or CAP_SYS_ADMIN); permission bits would not stop root.
func TestReadOnlyFileSystem(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ro")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "dltune.db")
	db, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateStudy(bg, testStudy("s")); err != nil {
		t.Fatal(err)
	}
	db.Close()

	cmd := helperCmd(t, "ro-mount", dir, path)
	cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS}
	out, err := cmd.Output()
	if err != nil {
		t.Skipf("cannot run a helper in a mount namespace of its own: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if strings.HasPrefix(lines[0], "skip: ") {
		t.Skip(lines[0])
	}
	if len(lines) != 2 {
		t.Fatalf("helper said %q", out)
	}
	if lines[0] != "s" {
		t.Errorf("read-only Open and Studies on a read-only file system: %q, want the study s", lines[0])
	}
	// The writable Open proves the file system was read-only.
	if want := "error: open " + path + ": read-only file system"; lines[1] != want {
		t.Errorf("writable Open on a read-only file system: %q, want %q", lines[1], want)
	}
}
