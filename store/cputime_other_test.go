//go:build !unix

package store

import "time"

// cpuTime returns 0 where getrusage is missing.
func cpuTime() time.Duration { return 0 }
