//go:build !unix

package search

import "time"

// tpeCPUTime returns 0 where the CPU time is not available.
func tpeCPUTime() time.Duration { return 0 }
