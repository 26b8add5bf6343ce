// Package onnxpb holds the Go types of the ONNX protobuf schema, generated
// from the official onnx.proto by protoc-gen-go, for writing ONNX models
// with google.golang.org/protobuf. It imports nothing else of dltune.
//
// onnx.proto is ONNX 1.12's onnx.in.proto (Debian's python3-onnx) turned
// into proto2 by ONNX's own generator with the package name onnx_dltune,
// the renaming ONNX's build offers as ONNX_NAMESPACE (PyTorch builds it as
// onnx_torch): a program may then also link another Go copy of the schema,
// such as the ONNX runtime the tests run, whose messages are registered as
// onnx.*. Package names never reach the wire, so the files are the same.
// onnx.proto is the ONNX Project's, under the Apache License 2.0 (LICENSE
// in this directory).
//
// To regenerate, with protobuf-compiler (Debian) and protoc-gen-go of the
// google.golang.org/protobuf version in go.mod on the PATH:
//
//	python3 -m onnx.gen_proto -p onnx_dltune -o /tmp/onnx onnx
//	cp /tmp/onnx/onnx_onnx_dltune.proto internal/onnxpb/onnx.proto
//	go generate ./internal/onnxpb
package onnxpb

//go:generate sh -c "cd ../.. && protoc -I . --go_out=. --go_opt=module=github.com/dltune/dltune --go_opt=Minternal/onnxpb/onnx.proto=github.com/dltune/dltune/internal/onnxpb internal/onnxpb/onnx.proto"
