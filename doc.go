// Package dltune holds the vocabulary shared by every part of dltune: the
// values a hyperparameter takes, a trial's parameters, its state and its
// learning curve.
//
// The packages beside it do the work:
//
//   - core trains networks (tensors, kernels, layers, optimizers, data);
//   - search decides what to try next (spaces and strategies, pure ask/tell);
//   - trial runs one configuration on core for a budget of epochs;
//   - store keeps studies, trials and checkpoints in bbolt;
//   - study reads study files and runs the loop that joins search, trial and store;
//   - cmd/dltune is the command-line interface.
//
// Dependencies point one way: everything may import this package, core and
// search; core imports nothing of dltune's but internal/onnxpb, the generated
// ONNX schema, which imports nothing of dltune's either.
package dltune
