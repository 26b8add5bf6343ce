//go:build unix

package store

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestCreateMode checks that a new store, its snapshot and its compacted
// copy are 0600 whatever the umask: the store holds study files and the
// paths of their data.
func TestCreateMode(t *testing.T) {
	for _, umask := range []int{0, 0o022, 0o077, 0o277} {
		t.Run(fmt.Sprintf("umask %03o", umask), func(t *testing.T) {
			old := syscall.Umask(umask)
			defer syscall.Umask(old)
			dir := t.TempDir()
			path := filepath.Join(dir, "dltune.db")
			db, err := Open(path, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			// The store is writable even where the umask took the
			// owner's write bit.
			if err := db.CreateStudy(bg, testStudy("s")); err != nil {
				t.Fatal(err)
			}
			if err := db.Snapshot(bg, SnapshotPath(path)); err != nil {
				t.Fatal(err)
			}
			compact := filepath.Join(dir, "compact.db")
			if err := db.Compact(bg, compact); err != nil {
				t.Fatal(err)
			}
			for _, p := range []string{path, SnapshotPath(path), compact} {
				fi, err := os.Stat(p)
				if err != nil {
					t.Fatal(err)
				}
				if got := fi.Mode().Perm(); got != 0o600 {
					t.Errorf("%s: mode %v, want -rw-------", filepath.Base(p), got)
				}
			}
		})
	}
}

// TestSnapshotMode checks that a snapshot takes the store's permissions,
// so that it shows no one more than the store does, nor less.
func TestSnapshotMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dltune.db")
	db, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	if err := db.Snapshot(bg, SnapshotPath(path)); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(SnapshotPath(path))
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o640 {
		t.Errorf("snapshot of a 0640 store: mode %v, want -rw-r-----", got)
	}
}
