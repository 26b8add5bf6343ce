// Package trial runs one trial: it turns a configuration into a model and a
// training run on the core for a budget of epochs, reports every epoch with
// a checkpoint, and ends as complete, stopped, failed or interrupted.
package trial
