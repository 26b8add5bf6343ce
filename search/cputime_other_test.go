//go:build !unix

package search

import "time"

// cpuTime returns 0 where the CPU time is not available.
func cpuTime() time.Duration { return 0 }
