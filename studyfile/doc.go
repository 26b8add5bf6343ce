// Package studyfile parses and checks study files and resolves a trial's
// parameters into training configurations.
package studyfile
