//go:build !linux

package core

import "time"

// processCPU is not available here; benchmarks report wall-clock rates only.
func processCPU() (time.Duration, bool) { return 0, false }
