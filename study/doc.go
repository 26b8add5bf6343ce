// Package study runs studies: the loop that asks a search strategy what to
// try, trains trials concurrently on the core and records every result in a
// store. Package studyfile reads the study files it runs.
package study
