//go:build race

package bench

// gpRace reports whether the race detector is on; the GP quality tests then
// run one seed, enough to exercise the code, since race instrumentation
// makes a GP suggestion ten times slower or more.
const gpRace = true
