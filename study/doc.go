// Package study reads study files and runs studies: the loop that asks a
// search strategy what to try, trains trials concurrently on the core and
// records every result in a store.
package study
