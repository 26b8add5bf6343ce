package trial

import (
	"os"
	"syscall"
)

// procAttr puts the program in a process group of its own, so that
// stopping it stops its children too and a Ctrl-C of dltune reaches
// dltune alone, and has the kernel kill it if dltune dies (the signal
// is tied to the thread that started it, which Go keeps while the
// process lives unless a goroutine exits locked to it; dltune locks
// none).
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// termGroup and killGroup signal the program's process group.
func termGroup(p *os.Process) { _ = syscall.Kill(-p.Pid, syscall.SIGTERM) }
func killGroup(p *os.Process) { _ = syscall.Kill(-p.Pid, syscall.SIGKILL) }
