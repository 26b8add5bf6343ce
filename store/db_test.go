package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func TestOpenCreates(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "dltune.db")
	db, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if db.Path() != path {
		t.Errorf("Path() = %q, want %q", db.Path(), path)
	}
	if err := db.CreateStudy(bg, testStudy("s")); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "dltune.db" {
		t.Errorf("directory holds %v, want only dltune.db (no temporary files)", entries)
	}
	checkIntegrity(t, path)

	db, err = Open(path, nil)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer db.Close()
	if _, err := db.Study(bg, "s"); err != nil {
		t.Errorf("study lost on reopen: %v", err)
	}
}

func TestOpenMissingDir(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no", "such", "dir", "dltune.db")
	_, err := Open(path, nil)
	if want := "create " + path + ": no such file or directory"; err == nil || err.Error() != want {
		t.Errorf("Open in a missing directory = %v, want %q", err, want)
	}
}

func TestOpenReadOnlyMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing.db")
	_, err := Open(path, &Options{ReadOnly: true})
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open(missing, ReadOnly) = %v, want fs.ErrNotExist", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("read-only Open created %s", path)
	}
}

func TestOpenNotStore(t *testing.T) {
	// A real store cut short: bbolt finds its meta pages but not the rest.
	realStore := func(t *testing.T, dir string) string {
		db, err := Open(filepath.Join(dir, "src.db"), nil)
		if err != nil {
			t.Fatal(err)
		}
		db.CreateStudy(bg, testStudy("s"))
		db.Close()
		data, err := os.ReadFile(db.Path())
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "truncated.db")
		if err := os.WriteFile(path, data[:2*4096+100], 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	tests := []struct {
		name string
		file func(t *testing.T, dir string) string
		want error
	}{
		{"text file", fixture("study.yaml"), ErrNotStore},
		{"random bytes", fixture("random.bin"), ErrNotStore},
		{"empty file", fixture("empty"), ErrNotStore},
		{"bbolt without meta", fixture("other-bbolt.db"), ErrNotStore},
		{"directory", func(t *testing.T, dir string) string { return dir }, ErrNotStore},
		{"truncated store", realStore, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tt.file(t, t.TempDir())
			var before []byte
			if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() {
				before, _ = os.ReadFile(path)
			}
			for _, ro := range []bool{false, true} {
				db, err := Open(path, &Options{ReadOnly: ro})
				if tt.want != nil && !errors.Is(err, tt.want) {
					t.Errorf("Open(ReadOnly=%v) = %v, want %v", ro, err, tt.want)
				}
				if tt.want == nil && err == nil {
					// Opening may succeed; reading must fail cleanly.
					_, err = db.Trials(bg, "s")
					db.Close()
				}
				if err == nil {
					t.Errorf("Open(ReadOnly=%v) and Trials succeeded", ro)
					continue
				}
				if !strings.Contains(err.Error(), path) && !strings.Contains(err.Error(), `study "s"`) {
					t.Errorf("error %q names neither the path nor the study", err)
				}
				t.Logf("ReadOnly=%v: %v", ro, err)
			}
			if before != nil {
				sameFile(t, path, before)
			}
		})
	}
}

// fixture returns a test file function that copies testdata/notstore/name
// into the test's directory.
func fixture(name string) func(t *testing.T, dir string) string {
	return func(t *testing.T, dir string) string {
		return copyFile(t, filepath.Join("testdata", "notstore", name), dir)
	}
}

func TestOpenVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dltune.db")
	db, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	rawUpdate(t, path, func(tx *bolt.Tx) error {
		return tx.Bucket(metaBucket).Put(formatKey, binary.BigEndian.AppendUint64(nil, Format+2))
	})
	before, _ := os.ReadFile(path)
	for _, ro := range []bool{false, true} {
		_, err := Open(path, &Options{ReadOnly: ro})
		if !errors.Is(err, ErrVersion) {
			t.Fatalf("Open(ReadOnly=%v) = %v, want ErrVersion", ro, err)
		}
		want := "open " + path + ": store format 3 is newer than this dltune (1); upgrade dltune"
		if err.Error() != want {
			t.Errorf("error = %q\nwant    %q", err, want)
		}
	}
	sameFile(t, path, before)
}

func TestRecordVersion(t *testing.T) {
	db := openTest(t)
	if err := db.CreateStudy(bg, testStudy("s")); err != nil {
		t.Fatal(err)
	}
	tr := testTrial(1)
	if err := db.CreateTrial(bg, "s", tr); err != nil {
		t.Fatal(err)
	}
	// A newer dltune wrote this record, with a field of a new type.
	future := []byte(`{"format":2,"number":0,"params":{},"state":{"name":"running"},"budget":3}`)
	err := db.bdb.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(studiesBucket).Bucket([]byte("s")).Bucket(trialsBucket).Put(trialKey(0), future)
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.Trials(bg, "s")
	if !errors.Is(err, ErrVersion) || !strings.Contains(err.Error(), "store format 2 is newer than this dltune (1)") {
		t.Errorf("Trials = %v, want ErrVersion", err)
	}
	_, err = db.Trial(bg, "s", 0)
	if !errors.Is(err, ErrVersion) || !strings.Contains(err.Error(), `study "s" trial 0`) {
		t.Errorf("Trial = %v, want ErrVersion naming the trial", err)
	}
}

func TestOpenLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dltune.db")
	db, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, ro := range []bool{false, true} {
		const timeout = 300 * time.Millisecond
		start := time.Now()
		_, err := Open(path, &Options{ReadOnly: ro, Timeout: timeout})
		elapsed := time.Since(start)
		if !errors.Is(err, ErrLocked) {
			t.Fatalf("second Open(ReadOnly=%v) = %v, want ErrLocked", ro, err)
		}
		if want := "open " + path + ": store is in use by another dltune process"; err.Error() != want {
			t.Errorf("error = %q, want %q", err, want)
		}
		if elapsed > timeout+2*time.Second {
			t.Errorf("second Open took %v with a timeout of %v", elapsed, timeout)
		}
	}
	start := time.Now()
	if _, err := Open(path, &Options{Timeout: -1}); !errors.Is(err, ErrLocked) {
		t.Errorf("Open(Timeout<0) = %v, want ErrLocked", err)
	}
	if elapsed := time.Since(start); elapsed > time.Second {
		t.Errorf("Open(Timeout<0) took %v, want no wait", elapsed)
	}
}

// TestOpenLockedByProcess opens a store that another process holds: as a
// writer, a writer keeping a snapshot, or a reader that has read and keeps
// its DB open.
func TestOpenLockedByProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dltune.db")
	db, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateStudy(bg, testStudy("s")); err != nil {
		t.Fatal(err)
	}
	db.Close()

	tests := []struct {
		name         string
		holder       string // "rw", "snapshot" (rw keeping one) or "ro"
		readOnly     bool   // how this process opens
		wantLocked   bool
		wantSnapshot bool // a reader that succeeds reads the snapshot
	}{
		{"writer blocks writer", "rw", false, true, false},
		{"writer without a snapshot blocks reader", "rw", true, true, false},
		{"writer keeping a snapshot blocks writer", "snapshot", false, true, false},
		{"reader reads writer's snapshot", "snapshot", true, false, true},
		{"reader does not block writer", "ro", false, false, false},
		{"readers share", "ro", true, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line, stop := startHelper(t, "hold", path, tt.holder)
			if line != "ready" {
				t.Fatalf("helper: %s", line)
			}
			// Timeout -1 tries once: whatever opens opens without waiting.
			db, err := Open(path, &Options{ReadOnly: tt.readOnly, Timeout: -1})
			if tt.wantLocked {
				if !errors.Is(err, ErrLocked) {
					t.Errorf("Open = %v, want ErrLocked", err)
				}
			} else if err != nil {
				t.Errorf("Open = %v, want success", err)
			} else {
				if tt.readOnly {
					studies, err := db.Studies(bg)
					if err != nil || len(studies) != 1 {
						t.Errorf("Studies = %d studies, %v; want 1", len(studies), err)
					}
					if got := !db.AsOf().IsZero(); got != tt.wantSnapshot {
						t.Errorf("read from the snapshot: %v, want %v", got, tt.wantSnapshot)
					}
				}
				db.Close()
			}
			stop()
			if _, err := os.Stat(SnapshotPath(path)); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("snapshot left after the holder exited (%v)", err)
			}
			// Once the holder is gone the store opens at once.
			db, err = Open(path, &Options{ReadOnly: tt.readOnly, Timeout: -1})
			if err != nil {
				t.Fatalf("Open after the holder exited: %v", err)
			}
			db.Close()
		})
	}
}

func TestReadOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dltune.db")
	db, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	tr := testTrial(2)
	if err := db.CreateStudy(bg, testStudy("s")); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateTrial(bg, "s", tr); err != nil {
		t.Fatal(err)
	}
	db.Close()
	before, _ := os.ReadFile(path)

	db, err = Open(path, &Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got, err := db.Trial(bg, "s", 0); err != nil || canon(got) != canon(tr) {
		t.Errorf("Trial = %v, %v", got, err)
	}
	changes := map[string]error{
		"CreateStudy":    db.CreateStudy(bg, testStudy("t")),
		"UpdateStudy":    db.UpdateStudy(bg, testStudy("s")),
		"DeleteStudy":    db.DeleteStudy(bg, "s"),
		"CreateTrial":    db.CreateTrial(bg, "s", testTrial(0)),
		"UpdateTrial":    db.UpdateTrial(bg, "s", tr),
		"SaveCheckpoint": db.SaveCheckpoint(bg, "s", tr, []byte("x")),
	}
	for name, err := range changes {
		if !errors.Is(err, ErrReadOnly) {
			t.Errorf("%s on a read-only store = %v, want ErrReadOnly", name, err)
		}
	}
	sameFile(t, path, before)
}

func TestClosed(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "dltune.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateStudy(bg, testStudy("s")); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateTrial(bg, "s", testTrial(0)); !errors.Is(err, ErrClosed) {
		t.Errorf("CreateTrial after Close = %v, want ErrClosed", err)
	}
	if _, err := db.Studies(bg); !errors.Is(err, ErrClosed) {
		t.Errorf("Studies after Close = %v, want ErrClosed", err)
	}
}

func TestContextDone(t *testing.T) {
	db := openTest(t)
	if err := db.CreateStudy(bg, testStudy("s")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(bg)
	cancel()
	if err := db.CreateTrial(ctx, "s", testTrial(0)); !errors.Is(err, context.Canceled) {
		t.Errorf("CreateTrial(canceled) = %v, want context.Canceled", err)
	}
	if _, err := db.Trials(ctx, "s"); !errors.Is(err, context.Canceled) {
		t.Errorf("Trials(canceled) = %v, want context.Canceled", err)
	}
	trials, err := db.Trials(bg, "s")
	if err != nil || len(trials) != 0 {
		t.Errorf("a canceled CreateTrial stored a trial: %v, %v", trials, err)
	}
	// The run loop records a trial's last state after Ctrl-C this way.
	tr := testTrial(0)
	if err := db.CreateTrial(context.WithoutCancel(ctx), "s", tr); err != nil {
		t.Errorf("CreateTrial(WithoutCancel) = %v", err)
	}
}

func TestCorruptPages(t *testing.T) {
	const pageSize = 4096
	// damage changes every page from the third on (the first two are the
	// meta pages) for which hit reports true.
	damage := func(hit func(page []byte) bool, change func(page []byte)) func([]byte) {
		return func(data []byte) {
			for off := 2 * pageSize; off+pageSize <= len(data); off += pageSize {
				if page := data[off : off+pageSize]; hit(page) {
					change(page)
				}
			}
		}
	}
	isTrialPage := func(page []byte) bool { return bytes.Contains(page, []byte(`{"format":1,"number":`)) }
	tests := []struct {
		name   string
		damage func(data []byte)
	}{
		{"record bytes", damage(isTrialPage, func(p []byte) {
			i := bytes.Index(p, []byte(`"state":"`))
			copy(p[i:], `"state":{}`)
		})},
		{"trial page headers", damage(isTrialPage, func(p []byte) {
			for i := 8; i < 64; i++ {
				p[i] = 0xff
			}
		})},
		{"every page", damage(func([]byte) bool { return true }, func(p []byte) {
			for i := range p {
				p[i] ^= 0xa5
			}
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "dltune.db")
			db, err := Open(path, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := db.CreateStudy(bg, testStudy("s")); err != nil {
				t.Fatal(err)
			}
			for range 100 {
				if err := db.CreateTrial(bg, "s", testTrial(3)); err != nil {
					t.Fatal(err)
				}
			}
			db.Close()
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			tt.damage(data)
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}

			db, err = Open(path, nil)
			if err != nil {
				if !errors.Is(err, ErrNotStore) && !errors.Is(err, ErrCorrupt) {
					t.Errorf("Open = %v, want ErrNotStore or ErrCorrupt", err)
				}
				t.Logf("Open: %v", err)
				return
			}
			defer db.Close()
			_, err = db.Trials(bg, "s")
			if !errors.Is(err, ErrCorrupt) {
				t.Errorf("Trials = %v, want ErrCorrupt", err)
			}
			t.Logf("Trials: %v", err)
			for n := range 100 {
				if _, err := db.Trial(bg, "s", n); err != nil && !errors.Is(err, ErrCorrupt) {
					t.Errorf("Trial(%d) = %v, want ErrCorrupt", n, err)
				}
			}
			// Writes to a damaged store fail or succeed, but never panic.
			err = db.CreateTrial(bg, "s", testTrial(1))
			t.Logf("CreateTrial: %v", err)
		})
	}
}
