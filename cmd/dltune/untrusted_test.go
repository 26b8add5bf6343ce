package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestClean checks what clean and cleanLines escape.
func TestClean(t *testing.T) {
	for _, tc := range []struct{ in, want, lines string }{
		{"relu", "relu", "relu"},
		{"é ünïcode ok", "é ünïcode ok", "é ünïcode ok"},
		{"\x1b[2Jgone", `\x1b[2Jgone`, `\x1b[2Jgone`},
		{"a\tb\nc\r", `a\tb\nc\r`, "a\\tb\nc\\r"},
		{"bad \xff byte", `bad \xff byte`, `bad \xff byte`},
		{"bidi \u202e txt", `bidi \u202e txt`, `bidi \u202e txt`},
		{"bell\a", `bell\a`, `bell\a`},
	} {
		if got := clean(tc.in); got != tc.want {
			t.Errorf("clean(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if got := cleanLines(tc.in); got != tc.lines {
			t.Errorf("cleanLines(%q) = %q, want %q", tc.in, got, tc.lines)
		}
	}
}

// TestControlCharactersEscaped runs a study whose choice strings hold
// escape sequences and checks that no command writes them raw to the
// terminal, in tables, logs and errors, while JSON keeps the value.
func TestControlCharactersEscaped(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "s.db")
	study := filepath.Join(dir, "esc.yaml")
	src := `name: esc
data: {kind: synthetic, synthetic: {generator: moons, samples: 60}}
model: {hidden: [4], dropout: $d}
train: {epochs: 1, batch_size: 16, learning_rate: 0.01}
space:
  tag: {choice: ["\e[2J\e]0;pwned\a", plain]}
  d: {float: [0, 0.5], when: {tag: [plain]}}
search: {strategy: grid, trials: 2, points: 2}
`
	if err := os.WriteFile(study, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	check := func(what string, code int, out, errs string) {
		t.Helper()
		if code != exitOK {
			t.Fatalf("%s: exit %d: %s", what, code, errs)
		}
		if strings.ContainsAny(out+errs, "\x1b\a") {
			t.Errorf("%s writes control characters raw:\n%q\n%q", what, out, errs)
		}
	}
	code, out, errs := cli(t, ctx, "run", "--storage", db, study)
	check("run", code, out, errs)
	if !strings.Contains(errs, `tag=\x1b[2J\x1b]0;pwned\a`) {
		t.Errorf("run log does not show the escaped choice: %q", errs)
	}
	code, out, errs = cli(t, ctx, "leaderboard", "--storage", db)
	check("leaderboard", code, out, errs)
	if !strings.Contains(out, `\x1b[2J`) {
		t.Errorf("leaderboard does not show the escaped choice:\n%s", out)
	}
	for _, n := range []string{"0", "1"} {
		code, out, errs = cli(t, ctx, "show", "--storage", db, n)
		check("show "+n, code, out, errs)
	}
	code, out, _ = cli(t, ctx, "leaderboard", "--storage", db, "--format", "json")
	if code != exitOK || !strings.Contains(out, `\u001b[2J\u001b]0;pwned\u0007`) {
		t.Errorf("leaderboard --format json: exit %d, want the exact value JSON-escaped:\n%s", code, out)
	}
	// Study-file errors quote values too; the error printer escapes them.
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte(strings.Replace(src, "plain]}\n", "\"\\e[2J\\e]0;pwned\\a\"]}\n", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs = cli(t, ctx, "validate", bad)
	if code != exitUsage || strings.ContainsAny(out+errs, "\x1b\a") || !strings.Contains(errs, "duplicate choice") {
		t.Errorf("validate of a duplicate escape choice: exit %d, %q %q", code, out, errs)
	}
}

// TestDataRoot checks --data-root: validate names the field and file with
// its position, run refuses before it creates the store, and data inside
// the root passes.
func TestDataRoot(t *testing.T) {
	t.Setenv("DLTUNE_DATA_ROOT", "")
	tmp := t.TempDir()
	root := filepath.Join(tmp, "root")
	if err := os.Mkdir(root, 0o755); err != nil {
		t.Fatal(err)
	}
	var csv strings.Builder
	csv.WriteString("a,b,y\n")
	for i := range 40 {
		csv.WriteString(strings.Repeat("1", i%3+1) + ",2," + []string{"0", "1"}[i%2] + "\n")
	}
	for _, f := range []string{filepath.Join(root, "d.csv"), filepath.Join(tmp, "secret.csv")} {
		if err := os.WriteFile(f, []byte(csv.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	study := func(name, path string) string {
		f := filepath.Join(root, name+".yaml")
		src := "name: " + name + "\ndata: {kind: csv, csv: {path: " + path + ", target: y, task: classification}}\n" +
			"model: {hidden: [2]}\ntrain: {epochs: 1, batch_size: 8, learning_rate: 0.1}\nsearch: {strategy: random, trials: 1}\n"
		if err := os.WriteFile(f, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return f
	}
	in, out := study("in", "d.csv"), study("out", "../secret.csv")
	ctx := context.Background()
	db := filepath.Join(tmp, "s.db")

	code, _, errs := cli(t, ctx, "validate", "--data-root", root, in, out)
	want := out + `:2:31: data.csv.path: data file "` + filepath.Join(tmp, "secret.csv") + `" is outside the data root "` + root + `"`
	if code != exitUsage || !strings.Contains(errs, want) || strings.Contains(errs, in+":") {
		t.Errorf("validate: exit %d, %q; want exit 2 and %q for %s only", code, errs, want, out)
	}
	code, _, errs = cli(t, ctx, "run", "--storage", db, "--data-root", root, out)
	if code != exitUsage || !strings.Contains(errs, "outside the data root") {
		t.Errorf("run outside the root: exit %d, %q", code, errs)
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Errorf("run outside the root left a store: %v", err)
	}
	t.Setenv("DLTUNE_DATA_ROOT", root)
	if code, _, errs := cli(t, ctx, "run", "--storage", db, in); code != exitOK {
		t.Errorf("run inside the root: exit %d, %s", code, errs)
	}
	code, _, errs = cli(t, ctx, "run", "--storage", db, out)
	if code != exitUsage || !strings.Contains(errs, "outside the data root") {
		t.Errorf("run outside $DLTUNE_DATA_ROOT: exit %d, %q", code, errs)
	}
	// resume and retry check the stored study's paths as well.
	code, _, errs = cli(t, ctx, "resume", "--storage", db, "--data-root", filepath.Join(root, "sub", ".."), "in")
	if code != exitOK {
		t.Errorf("resume inside the root: exit %d, %s", code, errs)
	}
	if err := os.Mkdir(filepath.Join(tmp, "other"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"resume", "in"}, {"retry", "--failed", "--study", "in"}} {
		code, _, errs = cli(t, ctx, append(args, "--storage", db, "--data-root", filepath.Join(tmp, "other"))...)
		if code != exitUsage || !strings.Contains(errs, "in.yaml:2:") || !strings.Contains(errs, "outside the data root") {
			t.Errorf("%s with another root: exit %d, %q", args[0], code, errs)
		}
	}
	code, _, errs = cli(t, ctx, "validate", "--data-root", filepath.Join(tmp, "none"), in)
	if want := "dltune: --data-root: data root: "; code != exitUsage || !strings.HasPrefix(errs, want) {
		t.Errorf("validate with a missing root: exit %d, %q; want exit 2 and %q", code, errs, want)
	}
	// A root from the environment, which the user may have forgotten,
	// is named as such.
	t.Setenv("DLTUNE_DATA_ROOT", filepath.Join(tmp, "none"))
	code, _, errs = cli(t, ctx, "validate", in)
	if want := "dltune: $DLTUNE_DATA_ROOT: data root: "; code != exitUsage || !strings.HasPrefix(errs, want) {
		t.Errorf("validate with a missing root in $DLTUNE_DATA_ROOT: exit %d, %q; want exit 2 and %q", code, errs, want)
	}
}
