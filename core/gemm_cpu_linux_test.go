//go:build linux

package core

import (
	"time"

	"golang.org/x/sys/unix"
)

// processCPU returns the CPU time used by the process so far, so that
// benchmarks can report a rate that ignores the time other processes of a
// shared machine take.
func processCPU() (time.Duration, bool) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_PROCESS_CPUTIME_ID, &ts); err != nil {
		return 0, false
	}
	return time.Duration(ts.Nano()), true
}
