//go:build !unix

package search

import "time"

// gpCPUTime is not measured on this system.
func gpCPUTime() time.Duration { return 0 }
