// Package analysis reads what a study learned from its stored trials: how
// much each hyperparameter mattered (Importances, fANOVA over a random
// forest) and what went wrong in one trial's training (Diagnose).
//
// It works on trials already read from a store and does no I/O; the plot
// package draws its results and cmd/dltune prints them.
package analysis
