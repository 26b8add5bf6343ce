package store

import (
	"errors"
	"strings"
	"testing"

	"github.com/dltune/dltune"
)

func TestStudies(t *testing.T) {
	db := openTest(t)
	tests := []struct {
		name    string
		op      func() error
		wantErr error // nil: success; errAny: some error
	}{
		{"create a", func() error { return db.CreateStudy(bg, testStudy("a")) }, nil},
		{"create b", func() error { return db.CreateStudy(bg, testStudy("b")) }, nil},
		{"create unicode", func() error { return db.CreateStudy(bg, testStudy("études/β")) }, nil},
		{"create meta is just a name", func() error { return db.CreateStudy(bg, testStudy("meta")) }, nil},
		{"create duplicate", func() error { return db.CreateStudy(bg, testStudy("a")) }, dltune.ErrExists},
		{"create unnamed", func() error { return db.CreateStudy(bg, testStudy("")) }, errAny},
		{"create huge name", func() error { return db.CreateStudy(bg, testStudy(strings.Repeat("x", 40000))) }, errAny},
		{"update a", func() error {
			s := testStudy("a")
			s.Spec = []byte("name: a\nseed: 8\n")
			s.File = "a2.yaml"
			return db.UpdateStudy(bg, s)
		}, nil},
		{"update missing", func() error { return db.UpdateStudy(bg, testStudy("zz")) }, dltune.ErrNotFound},
		{"update unnamed", func() error { return db.UpdateStudy(bg, testStudy("")) }, dltune.ErrNotFound},
		{"delete b", func() error { return db.DeleteStudy(bg, "b") }, nil},
		{"delete b again", func() error { return db.DeleteStudy(bg, "b") }, dltune.ErrNotFound},
		{"delete unnamed", func() error { return db.DeleteStudy(bg, "") }, dltune.ErrNotFound},
		{"recreate b", func() error { return db.CreateStudy(bg, testStudy("b")) }, nil},
	}
	for _, tt := range tests {
		err := tt.op()
		switch {
		case tt.wantErr == nil && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.wantErr == errAny && err == nil:
			t.Errorf("%s succeeded, want an error", tt.name)
		case tt.wantErr != nil && tt.wantErr != errAny && !errors.Is(err, tt.wantErr):
			t.Errorf("%s = %v, want %v", tt.name, err, tt.wantErr)
		}
	}

	studies, err := db.Studies(bg)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range studies {
		names = append(names, s.Name)
	}
	if got, want := strings.Join(names, ","), "a,b,meta,études/β"; got != want {
		t.Errorf("Studies names = %s, want %s", got, want)
	}
	a, err := db.Study(bg, "a")
	if err != nil {
		t.Fatal(err)
	}
	want := testStudy("a")
	want.Spec, want.File = []byte("name: a\nseed: 8\n"), "a2.yaml"
	if canon(a) != canon(want) {
		t.Errorf("Study(a) = %s\nwant %s", canon(a), canon(want))
	}
	if _, err := db.Study(bg, "zz"); !errors.Is(err, dltune.ErrNotFound) || !strings.Contains(err.Error(), `study "zz"`) {
		t.Errorf("Study(zz) = %v, want ErrNotFound naming the study", err)
	}
}

// errAny stands for any error in tables of expected errors.
var errAny = errors.New("any error")

func TestDeleteStudyDeletesTrials(t *testing.T) {
	db := openTest(t)
	if err := db.CreateStudy(bg, testStudy("s")); err != nil {
		t.Fatal(err)
	}
	tr := testTrial(1)
	if err := db.CreateTrial(bg, "s", tr); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveCheckpoint(bg, "s", tr, []byte("ckpt")); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteStudy(bg, "s"); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateStudy(bg, testStudy("s")); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Checkpoint(bg, "s", 0); !errors.Is(err, dltune.ErrNotFound) {
		t.Errorf("checkpoint survived DeleteStudy: %v", err)
	}
	tr = testTrial(0)
	if err := db.CreateTrial(bg, "s", tr); err != nil || tr.Number != 0 {
		t.Errorf("a recreated study numbers from %d (%v), want 0", tr.Number, err)
	}
}

func TestStudyRoundTrip(t *testing.T) {
	tests := []struct {
		name  string
		study *dltune.Study
	}{
		{"full", testStudy("s")},
		{"no spec", &dltune.Study{Name: "s"}},
		{"binary spec", &dltune.Study{Name: "s", Spec: []byte{0, 0xff, '\n', '"'}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openTest(t)
			if err := db.CreateStudy(bg, tt.study); err != nil {
				t.Fatal(err)
			}
			got, err := db.Study(bg, tt.study.Name)
			if err != nil {
				t.Fatal(err)
			}
			if canon(got) != canon(tt.study) {
				t.Errorf("got  %s\nwant %s", canon(got), canon(tt.study))
			}
		})
	}
}
