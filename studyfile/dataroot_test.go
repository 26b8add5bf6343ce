package studyfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckDataRoot checks which data paths a data root lets through:
// files under it, also missing ones, but not paths that leave it by "..",
// by an absolute path or by a symbolic link.
func TestCheckDataRoot(t *testing.T) {
	tmp := t.TempDir()
	root := filepath.Join(tmp, "root")
	outside := filepath.Join(tmp, "secret.csv")
	for _, dir := range []string{filepath.Join(root, "data"), filepath.Join(root, "studies")} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{filepath.Join(root, "data", "ok.csv"), outside} {
		if err := os.WriteFile(f, []byte("x,y\n1,2\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(outside, filepath.Join(root, "data", "link.csv")); err != nil {
		t.Skip("no symbolic links:", err)
	}
	if err := os.Symlink(filepath.Join(root, "data"), filepath.Join(tmp, "rootlink")); err != nil {
		t.Fatal(err)
	}
	const study = `name: r
data: {kind: csv, csv: {path: %q, target: y, task: regression}}
model: {hidden: [2]}
train: {epochs: 1, batch_size: 2, learning_rate: 0.1}
search: {strategy: random, trials: 1}
`
	file := filepath.Join(root, "studies", "r.yaml")
	for _, tc := range []struct {
		name, path, root, err string
	}{
		{"relative inside", "../data/ok.csv", root, ""},
		{"absolute inside", filepath.Join(root, "data", "ok.csv"), root, ""},
		{"missing inside", "../data/new/later.csv", root, ""},
		{"root through a link", "../data/ok.csv", filepath.Join(tmp, "rootlink", ".."), ""},
		{"dot-dot out", "../../secret.csv", root, `r.yaml:2:31: data.csv.path: data file "` + outside + `" is outside the data root`},
		{"absolute out", "/etc/passwd", root, `data.csv.path: data file "/etc/passwd" is outside the data root`},
		{"link out", "../data/link.csv", root, `(it resolves to "` + outside + `")`},
		{"missing out", "../../nothing/x.csv", root, "is outside the data root"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec, err := Parse(file, []byte(fmt.Sprintf(study, tc.path)))
			if err != nil {
				t.Fatal(err)
			}
			err = spec.CheckDataRoot(tc.root)
			if tc.err == "" {
				if err != nil {
					t.Fatalf("CheckDataRoot = %v, want nil", err)
				}
				return
			}
			var es ErrorList
			if !errors.As(err, &es) || len(es) != 1 || es[0].Field != "data.csv.path" || es[0].Line != 2 || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("CheckDataRoot = %v, want one error of data.csv.path at line 2 containing %q", err, tc.err)
			}
		})
	}
	spec, err := Parse(file, []byte(fmt.Sprintf(study, "../data/ok.csv")))
	if err != nil {
		t.Fatal(err)
	}
	if err := spec.CheckDataRoot(filepath.Join(tmp, "none")); err == nil {
		t.Error("CheckDataRoot with a missing root = nil, want an error")
	}
	if err := spec.CheckDataRoot(outside); err == nil {
		t.Error("CheckDataRoot with a file as root = nil, want an error")
	}
}
