//go:build unix

package search

import (
	"syscall"
	"time"
)

// tpeCPUTime returns the CPU time the process has used, for benchmarks that
// must not be fooled by a loaded machine.
func tpeCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
