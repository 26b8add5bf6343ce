package store

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzOpen opens arbitrary files as stores: Open must return an error or a
// working DB, never panic, and leave a file it refuses unchanged. The
// seeds are the not-a-store fixtures and real stores; the fuzzer mutates
// them, mostly into files whose bbolt meta pages no longer check out, and
// sometimes into damaged stores that bbolt accepts.
func FuzzOpen(f *testing.F) {
	for _, name := range []string{"study.yaml", "random.bin", "empty", "other-bbolt.db"} {
		data, err := os.ReadFile(filepath.Join("testdata", "notstore", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	dir := f.TempDir()
	for i, trials := range []int{0, 30} {
		path := filepath.Join(dir, "seed"+string(rune('0'+i))+".db")
		db, err := Open(path, nil)
		if err != nil {
			f.Fatal(err)
		}
		if err := db.CreateStudy(bg, testStudy("s")); err != nil {
			f.Fatal(err)
		}
		for range trials {
			tr := testTrial(2)
			if err := db.CreateTrial(bg, "s", tr); err != nil {
				f.Fatal(err)
			}
		}
		db.Close()
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "dltune.db")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		db, err := Open(path, &Options{Timeout: -1})
		if err != nil {
			sameFile(t, path, data)
			return
		}
		defer db.Close()
		studies, err := db.Studies(bg)
		if err != nil {
			return
		}
		for _, s := range studies {
			trials, err := db.Trials(bg, s.Name)
			if err != nil {
				continue
			}
			for _, tr := range trials {
				db.Checkpoint(bg, s.Name, tr.Number)
			}
		}
	})
}
