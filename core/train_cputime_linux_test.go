package core

import (
	"runtime"
	"time"

	"golang.org/x/sys/unix"
)

// trainTimer measures the CPU time of the calling goroutine's thread,
// which on a shared machine says more than the wall clock. It locks the
// goroutine to its thread until stop.
type trainTimer struct{ start time.Duration }

func startTrainTimer() *trainTimer {
	runtime.LockOSThread()
	return &trainTimer{start: trainThreadCPU()}
}

// stop returns the CPU time since start, or 0 if it cannot be measured.
func (t *trainTimer) stop() time.Duration {
	d := trainThreadCPU() - t.start
	runtime.UnlockOSThread()
	return d
}

func trainThreadCPU() time.Duration {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_THREAD, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
