package store

import (
	"bufio"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestOpenRemovesLeftovers sets up what killed processes leave beside a
// store (a stale snapshot, temporary files of an interrupted snapshot or
// creation) and checks that the next writable Open removes them, and
// nothing else.
func TestOpenRemovesLeftovers(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "dltune.db")
	db, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateStudy(bg, testStudy("s")); err != nil {
		t.Fatal(err)
	}
	db.Close()

	// A writer killed while it kept a snapshot leaves it, stale.
	cmd := helperCmd(t, "hold", path, "snapshot")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if line, _ := bufio.NewReader(stdout).ReadString('\n'); strings.TrimSpace(line) != "ready" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("helper: %q", line)
	}
	cmd.Process.Kill()
	cmd.Wait()

	// A kill during a snapshot leaves its temporary file (earlier
	// versions: two, under other names); a full disk at creation an empty
	// one.
	snap := filepath.Base(SnapshotPath(path))
	leftovers := []string{
		snap,
		".dltune.db.snapshot.tmp1ky2a9x",
		"..dltune.db.snapshot.tmp3c8zq",
		"...dltune.db.snapshot.tmp3c8zq.tmp9rr01",
		".dltune.db.tmp2m4n6b",
	}
	others := []string{
		"notes.txt",
		".dltune.db.tmp-mine",       // not a random suffix
		".other.db.snapshot",        // another store's
		".other.db.tmp2m4n6b",       // another store's
		"dltune.db.snapshot.tmp2m4", // not hidden: not ours
	}
	for _, name := range append(slices.Clone(leftovers[1:]), others...) {
		data := []byte("x")
		if strings.HasPrefix(name, ".dltune.db.tmp") {
			data = nil
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range append(slices.Clone(leftovers), others...) {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Fatalf("set up %s: %v", name, err)
		}
	}

	// A reader ignores the stale snapshot (no writer holds the lock) and
	// leaves the leftovers.
	r, err := Open(path, &Options{ReadOnly: true, Timeout: -1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Studies(bg); err != nil || !r.AsOf().IsZero() {
		t.Errorf("reader after a killed writer: %v, as of %v; want the store itself", err, r.AsOf())
	}
	r.Close()
	for _, name := range leftovers {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("a reader removed %s (%v)", name, err)
		}
	}

	db, err = Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	for _, name := range leftovers {
		if _, err := os.Stat(filepath.Join(dir, name)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s left after a writable Open (%v)", name, err)
		}
	}
	for _, name := range others {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s removed: %v", name, err)
		}
	}
}
