// Package search holds search spaces and the strategies that explore them.
//
// A Strategy is pure ask/tell logic over a study's history: given every trial
// so far it decides what to do next (start a configuration, continue a paused
// trial, wait, or stop). It does no training and no I/O, and it derives all
// its randomness from the study seed and trial numbers, so a study that is
// resumed from its stored trials asks the same questions and gets the same
// answers as one that never stopped.
//
// Strategies and pruners are not safe for concurrent use; the study loop
// calls them from one goroutine.
package search
