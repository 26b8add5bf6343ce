package core

import "fmt"

// A Tensor is a dense row-major float32 matrix: element (i, j) is
// Data[i*Cols+j]. A batch of samples is one row per sample.
type Tensor struct {
	Rows, Cols int
	Data       []float32
}

// NewTensor returns a zeroed rows×cols tensor. It panics if a dimension is
// negative.
func NewTensor(rows, cols int) *Tensor {
	if rows < 0 || cols < 0 {
		panic(fmt.Sprintf("core: NewTensor(%d, %d): negative dimension", rows, cols))
	}
	return &Tensor{Rows: rows, Cols: cols, Data: make([]float32, rows*cols)}
}

// Row returns row i as a slice sharing t's storage.
func (t *Tensor) Row(i int) []float32 { return t.Data[i*t.Cols : (i+1)*t.Cols] }

// At returns element (i, j).
func (t *Tensor) At(i, j int) float32 { return t.Data[i*t.Cols+j] }

// Set sets element (i, j) to v.
func (t *Tensor) Set(i, j int, v float32) { t.Data[i*t.Cols+j] = v }
