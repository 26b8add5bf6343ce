package core_test

import (
	"bytes"
	"fmt"
	"log"
	"os"

	"github.com/dltune/dltune/core"
)

// A Go program embeds a tuned model: load the file that dltune export
// wrote, and predict on raw features; the model normalizes them as its
// training data was.
func ExampleLoadModel() {
	f, err := os.Open("testdata/tiny.dltm")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	m, err := core.LoadModel(f)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("study %s, trial %d: %d inputs, %d classes\n", m.Info.Study, m.Info.Trial, m.Inputs(), m.Classes())

	x := &core.Tensor{Rows: 2, Cols: 2, Data: []float32{
		0.5, -0.25,
		-1, 1,
	}}
	p, err := m.Predict(x)
	if err != nil {
		log.Fatal(err)
	}
	for i := range p.Rows {
		fmt.Printf("sample %d: probabilities %.2f\n", i, p.Row(i))
	}
	// Output:
	// study tiny, trial 7: 2 inputs, 3 classes
	// sample 0: probabilities [0.20 0.24 0.55]
	// sample 1: probabilities [0.62 0.24 0.14]
}

// dltune export -o model.onnx writes a model as ONNX, for ONNX runtimes:
// the same network, its normalization in the graph, taking raw features
// (a CNN's as images) and giving what Predict gives.
func ExampleModel_WriteONNX() {
	f, err := os.Open("testdata/tiny-cnn.dltm")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	m, err := core.LoadModel(f)
	if err != nil {
		log.Fatal(err)
	}
	var buf bytes.Buffer // or an *os.File
	if _, err := m.WriteONNX(&buf); err != nil {
		log.Fatal(err)
	}
	c := m.Conv()
	fmt.Printf("ONNX model: input [N %d %d %d], output [N %d]\n", c.Channels, c.Height, c.Width, m.Outputs())
	// Output:
	// ONNX model: input [N 1 6 6], output [N 4]
}
