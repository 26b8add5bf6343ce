//go:build !linux

package trial

import (
	"os"
	"syscall"
)

// procAttr leaves the program in dltune's process group: outside Linux,
// a program's children outlive it when it is stopped.
func procAttr() *syscall.SysProcAttr { return nil }

// termGroup and killGroup signal the program alone; Windows has no SIGTERM.
func termGroup(p *os.Process) {
	if p.Signal(syscall.SIGTERM) != nil {
		_ = p.Kill()
	}
}
func killGroup(p *os.Process) { _ = p.Kill() }
