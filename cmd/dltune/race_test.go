//go:build race

package main

// raceEnabled: the race detector slows training several times over, so
// the crash tests use less data.
const raceEnabled = true
