package main

import (
	"context"
	"strings"
	"testing"

	"github.com/dltune/dltune/core"
)

func TestVersion(t *testing.T) {
	code, out, errOut := cli(t, context.Background(), "version")
	if code != exitOK || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	name, why := core.GemmKernel()
	if !strings.HasPrefix(out, "dltune ") || !strings.Contains(out, "\nkernel: "+name+" ("+why+")\n") {
		t.Errorf("output %q does not name the kernel %s (%s)", out, name, why)
	}
	if code, _, _ := cli(t, context.Background(), "version", "extra"); code != exitUsage {
		t.Errorf("version extra: exit %d, want %d", code, exitUsage)
	}
}
