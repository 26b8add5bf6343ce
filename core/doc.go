// Package core is dltune's embedded training core: float32 tensors and
// kernels, layers, losses, optimizers, the training loop, checkpoints and
// data loading. It imports nothing else of dltune's but internal/onnxpb, the
// generated ONNX types it writes models with, which import nothing of ours.
//
// Shapes are checked: a function given tensors of the wrong shape panics,
// and its doc comment says so. Anything that comes from user input (files,
// configurations) returns an error instead.
//
// Nothing in core is safe for concurrent use unless its doc comment says so;
// concurrent trials each own their model, trainer and buffers, and may share
// read-only Datasets.
package core
