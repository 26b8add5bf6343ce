package main

import (
	"context"
	"path/filepath"
	"testing"
)

func TestExamplesValidate(t *testing.T) {
	files, _ := filepath.Glob("../../examples/*.yaml")
	if len(files) < 4 {
		t.Fatalf("only %d examples", len(files))
	}
	for _, f := range files {
		if code, _, errs := cli(t, context.Background(), "validate", f); code != 0 {
			t.Errorf("%s: exit %d: %s", f, code, errs)
		}
	}
}
