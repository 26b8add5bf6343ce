package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	var out bytes.Buffer
	in := "10,10,10,10\n13.5,15,17,19\n"
	// Feature order of the model: f1..f4 (see the test file's header).
	if err := run("../../cmd/dltune/testdata/blobs.dltm", strings.NewReader(in), &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "amber ") || !strings.HasPrefix(lines[1], "coral ") {
		t.Errorf("predicted %q, want amber then coral", out.String())
	}
	err := run("../../cmd/dltune/testdata/blobs.dltm", strings.NewReader("1,2\n"), &out)
	if err == nil || err.Error() != "line 1: 2 features, the model takes 4" {
		t.Errorf("a short line: %v", err)
	}
}
