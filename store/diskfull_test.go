//go:build linux

package store

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func init() {
	// disk-full opens the store at args[0], limits the size of the files
	// it may write (RLIMIT_FSIZE: writes beyond fail with EFBIG, as writes
	// to a full disk fail with ENOSPC) to the store's size (args[1] is
	// "grow") or to its first four pages ("write"), and tries a large
	// checkpoint, then a small update. It prints one line per attempt:
	// "ok" or the error.
	helpers["disk-full"] = func(args []string) int {
		db, err := Open(args[0], nil)
		if err != nil {
			fmt.Println("error:", err)
			return 1
		}
		defer db.Close()
		fi, err := os.Stat(args[0])
		if err != nil {
			fmt.Println("error:", err)
			return 1
		}
		limit := uint64(fi.Size()) // the file cannot grow
		if args[1] == "write" {
			limit = 4 * 4096 // writes past the first pages fail too
		}
		lim := syscall.Rlimit{Cur: limit, Max: ^uint64(0)}
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
			fmt.Println("error: setrlimit:", err)
			return 1
		}
		tr, err := db.Trial(bg, "s", 0)
		if err != nil {
			fmt.Println("error:", err)
			return 1
		}
		addEpoch(tr)
		report(db.SaveCheckpoint(bg, "s", tr, bytes.Repeat([]byte("big"), 2<<20)))
		tr.Curve = tr.Curve[:1]
		tr.Error = "small"
		report(db.UpdateTrial(bg, "s", tr))
		return 0
	}
}

func report(err error) {
	if err != nil {
		fmt.Println("error:", err)
	} else {
		fmt.Println("ok")
	}
}

// TestDiskFull fills the store's disk in a helper process and checks that
// the write fails with an error that says why, and that the store is
// intact afterwards.
func TestDiskFull(t *testing.T) {
	for _, mode := range []string{"grow", "write"} {
		t.Run(mode, func(t *testing.T) { testDiskFull(t, mode) })
	}
}

func testDiskFull(t *testing.T, mode string) {
	path := filepath.Join(t.TempDir(), "dltune.db")
	db, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	tr := testTrial(1)
	if err := db.CreateStudy(bg, testStudy("s")); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateTrial(bg, "s", tr); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveCheckpoint(bg, "s", tr, []byte("small")); err != nil {
		t.Fatal(err)
	}
	db.Close()

	out, err := helperCmd(t, "disk-full", path, mode).Output()
	if err != nil {
		t.Fatalf("helper: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 2 {
		t.Fatalf("helper said %q", out)
	}
	t.Logf("large checkpoint: %s", lines[0])
	t.Logf("small update after it: %s", lines[1])
	if !strings.HasPrefix(lines[0], "error: store "+path+": ") || !strings.Contains(lines[0], "file too large") {
		t.Errorf("large checkpoint on a full disk: %q, want an error naming the store and the cause", lines[0])
	}

	checkIntegrity(t, path)
	db, err = Open(path, nil)
	if err != nil {
		t.Fatalf("open after a full disk: %v", err)
	}
	defer db.Close()
	c, err := db.Checkpoint(bg, "s", 0)
	if err != nil || string(c) != "small" {
		t.Errorf("checkpoint after the failed write = %.10q, %v; want the old one", c, err)
	}
	got, err := db.Trial(bg, "s", 0)
	if err != nil {
		t.Fatal(err)
	}
	wantErr := ""
	if lines[1] == "ok" {
		wantErr = "small"
	}
	if got.Epochs() != 1 || got.Error != wantErr {
		t.Errorf("trial after the failed write: %d epochs, error %q; want 1, %q", got.Epochs(), got.Error, wantErr)
	}
	// The store takes writes again once there is room.
	addEpoch(got)
	if err := db.SaveCheckpoint(bg, "s", got, bytes.Repeat([]byte("big"), 2<<20)); err != nil {
		t.Errorf("large checkpoint with room: %v", err)
	}
}

func init() {
	// create-full creates a store at args[0] with a file size limit too
	// small for it, as a full disk would, and prints the error.
	helpers["create-full"] = func(args []string) int {
		lim := syscall.Rlimit{Cur: 4096, Max: ^uint64(0)}
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
			fmt.Println("error: setrlimit:", err)
			return 1
		}
		_, err := Open(args[0], nil)
		report(err)
		return 0
	}
}

// TestCreateDiskFull creates a store on a full disk: it fails with an
// error naming the store and leaves no file behind, not even an empty
// temporary one.
func TestCreateDiskFull(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "dltune.db")
	out, err := helperCmd(t, "create-full", path).Output()
	if err != nil {
		t.Fatalf("helper: %v\n%s", err, out)
	}
	got := strings.TrimSpace(string(out))
	if !strings.HasPrefix(got, "error: create "+path+": ") || !strings.Contains(got, "file too large") {
		t.Errorf("create on a full disk: %q, want an error naming the store and the cause", got)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("%s left after a failed create", e.Name())
	}
}
