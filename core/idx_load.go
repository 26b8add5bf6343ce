package core

import (
	"fmt"
	"math"
	"os"
)

// idxMaxClasses bounds the label values LoadIDX accepts: a label is a
// class index in [0, idxMaxClasses).
const idxMaxClasses = 1 << 16

// LoadIDX loads a classification dataset from a pair of IDX files in the
// MNIST layout, each plain or gzip-compressed: images holds n samples of
// any shape (n×rows×cols for MNIST) and labels holds n integer class
// labels (one dimension).
//
// X is n×(product of the per-sample dimensions) with the values as read,
// converted to float32 (0..255 for MNIST pixels); Y is n×1 with the class
// indices. Classes is the largest label plus one, so a subset that lacks
// the highest class has fewer classes. Labels must be integers in [0, 65535].
//
// Errors name the file and say what was expected and what was found, e.g.
// "load train-labels.gz: header says 60000 labels, file holds 59999".
func LoadIDX(images, labels string) (*Dataset, error) {
	lab, err := loadIDXFile(labels, "labels")
	if err != nil {
		return nil, err
	}
	img, err := loadIDXFile(images, "images")
	if err != nil {
		return nil, err
	}
	n := img.Dims[0]
	if n == 0 {
		return nil, fmt.Errorf("load %s: header says 0 images", images)
	}
	features := 1
	for _, d := range img.Dims[1:] {
		features *= d
	}
	if features == 0 {
		return nil, fmt.Errorf("load %s: images of shape %s hold no values", images, idxShape(img.Dims[1:]))
	}
	if len(lab.Dims) != 1 {
		return nil, fmt.Errorf("load %s: labels have shape %s, want one dimension", labels, idxShape(lab.Dims))
	}
	if !lab.Type.isInteger() {
		return nil, fmt.Errorf("load %s: labels are of type %v, want an integer type (ubyte, byte, short or int)", labels, lab.Type)
	}
	if lab.Dims[0] != n {
		return nil, fmt.Errorf("load %s and %s: %d images but %d labels", images, labels, n, lab.Dims[0])
	}

	y := NewTensor(n, 1)
	maxLabel := 0
	for i := range n {
		v := lab.At(i)
		if v < 0 || v >= idxMaxClasses {
			return nil, fmt.Errorf("load %s: label of item %d is %v, want 0 to %d", labels, i, v, idxMaxClasses-1)
		}
		maxLabel = max(maxLabel, int(v))
		y.Data[i] = float32(v)
	}

	x := &Tensor{Rows: n, Cols: features, Data: img.Float32s()}
	if img.Type == IDXFloat32 || img.Type == IDXFloat64 {
		for i, v := range x.Data {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return nil, fmt.Errorf("load %s: value %d of image %d is %v as float32, want a finite number", images, i%features, i/features, v)
			}
		}
	}
	return &Dataset{X: x, Y: y, Task: Classification, Classes: maxLabel + 1}, nil
}

// loadIDXFile reads the IDX file at path, naming its outer dimension noun
// in errors, and prefixes errors with "load path: ".
func loadIDXFile(path, noun string) (*IDX, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	defer f.Close()
	x, err := readIDX(f, noun)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	return x, nil
}
