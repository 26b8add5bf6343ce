//go:build !amd64 || purego

package core

import "testing"

// benchPeak has no FMA loop to measure without assembly.
func benchPeak(b *testing.B) {}
