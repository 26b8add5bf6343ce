package main

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestShellQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"dltune.db", "dltune.db"},
		{"/data/runs-2024/s_1.db", "/data/runs-2024/s_1.db"},
		{"", "''"},
		{"my runs.db", "'my runs.db'"},
		{"postgres:///ux?host=/tmp/pg&user=me", "'postgres:///ux?host=/tmp/pg&user=me'"},
		{"it's.db", `'it'\''s.db'`},
		{"$HOME", "'$HOME'"},
		{"a\"b", `'a"b'`},
		{"~x", "'~x'"},
	}
	for _, tt := range tests {
		if got := shellQuote(tt.in); got != tt.want {
			t.Errorf("shellQuote(%q) = %s, want %s", tt.in, got, tt.want)
		}
		// What the shell makes of it is the argument.
		out, err := exec.Command("sh", "-c", "printf %s "+shellQuote(tt.in)).Output()
		if err != nil || string(out) != tt.in {
			t.Errorf("sh reads %s as %q (%v), want %q", shellQuote(tt.in), out, err, tt.in)
		}
	}
}

// TestRunHintsQuoteTheStore checks that the commands run suggests can be
// pasted into a shell when the store's name holds shell characters.
func TestRunHintsQuoteTheStore(t *testing.T) {
	storage := filepath.Join(t.TempDir(), "my runs & more.db")
	code, out, errs := cli(t, context.Background(), "run", "testdata/tiny.yaml", "--storage", storage)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if want := "see: dltune leaderboard --study tiny --storage '" + storage + "'\n"; !strings.HasSuffix(out, want) {
		t.Errorf("run prints\n%s\nwant it to end with\n%s", out, want)
	}
}
