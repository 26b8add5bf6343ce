package dltune

import "time"

// A Study is a stored study: its name and the specification it runs, kept
// so that it can be resumed without its file.
type Study struct {
	Name string `json:"name"`
	// File is the path the study was first read from, for messages.
	File string `json:"file,omitempty"`
	// Spec is the study file's source, as last run.
	Spec []byte `json:"spec"`
	// Created is when the study was first stored.
	Created time.Time `json:"created"`
}
