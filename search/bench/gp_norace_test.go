//go:build !race

package bench

// gpRace reports whether the race detector is on.
const gpRace = false
