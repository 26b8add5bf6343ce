package main

import (
	"io"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestHelpFitsTerminal checks that every command's long help fits in 80
// columns: it is wrapped by hand.
func TestHelpFitsTerminal(t *testing.T) {
	root := newDltuneCmd(&globals{stdout: io.Discard, stderr: io.Discard})
	cmds := root.Commands()
	if len(cmds) < 15 {
		t.Fatalf("only %d commands", len(cmds))
	}
	for len(cmds) > 0 {
		c := cmds[0]
		cmds = append(cmds[1:], c.Commands()...)
		for i, l := range strings.Split(c.Long, "\n") {
			if n := utf8.RuneCountInString(l); n > 80 {
				t.Errorf("%s: help line %d has %d columns:\n%s", c.CommandPath(), i+1, n, l)
			}
		}
	}
}
