package core

import (
	"cmp"
	"fmt"
	"math"
	"os"
	"slices"
)

// IDXOptions says how to load a pair of IDX files into a Dataset.
type IDXOptions struct {
	// Classes, if > 0, states the number of classes: labels must then lie
	// in [0, Classes), and classes without samples are allowed. If 0, the
	// labels must be the consecutive integers 0 to K-1, each present, and
	// Classes is K.
	Classes int
	// MaxBytes bounds the memory the loaded files take: the bytes the
	// headers declare plus the float32 copy of the images. 0 means
	// DefaultMaxDataBytes. Set it from the memory the process can spare.
	MaxBytes int64
}

// LoadIDX loads a classification dataset from a pair of IDX files in the
// MNIST layout, each plain or gzip-compressed. images holds n samples of
// any shape (n×rows×cols for MNIST). labels holds n integer class labels
// (one dimension).
//
// X is n×(product of the per-sample dimensions) with the values as read,
// converted to float32 (0..255 for MNIST pixels). Y is n×1 with the class
// indices. Labels must be integers in [0, 65535] and take at least two
// values. Classes is opt.Classes if stated; otherwise the labels must be
// 0 to K-1 without gaps, and Classes is K. Labels {0, 255}, say, are an
// error that names the 256 classes they imply, since they more likely
// mean two classes than 254 empty ones.
//
// Headers that declare more data than opt.MaxBytes allows are rejected
// before anything is allocated for the data.
//
// Errors name the file and say what was expected and what was found, e.g.
// "load train-labels.gz: header says 60000 labels, file holds 59999".
func LoadIDX(images, labels string, opt IDXOptions) (*Dataset, error) {
	maxBytes := cmp.Or(opt.MaxBytes, DefaultMaxDataBytes)
	if maxBytes < 0 {
		return nil, fmt.Errorf("load %s: negative size limit %d", images, opt.MaxBytes)
	}
	if opt.Classes < 0 || opt.Classes > MaxClasses {
		return nil, fmt.Errorf("load %s: stated class count %d is not in [1, %d]", labels, opt.Classes, MaxClasses)
	}
	// Labels and images each take their file's bytes and 4 bytes per
	// element for their float32 copy.
	lab, err := loadIDXFile(labels, "labels", idxLimit{max: maxBytes, perElem: 4})
	if err != nil {
		return nil, err
	}
	img, err := loadIDXFile(images, "images", idxLimit{max: maxBytes, reserved: int64(len(lab.Data)) + 4*int64(lab.Len()), perElem: 4})
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
	seen := make([]bool, MaxClasses)
	distinct, maxLabel := 0, 0
	for i := range n {
		v := lab.At(i)
		if v < 0 || v >= MaxClasses {
			return nil, fmt.Errorf("load %s: label of item %d is %v, want 0 to %d", labels, i, v, MaxClasses-1)
		}
		if opt.Classes > 0 && int(v) >= opt.Classes {
			return nil, fmt.Errorf("load %s: label of item %d is %v, but the stated class count is %d (labels 0 to %d)", labels, i, v, opt.Classes, opt.Classes-1)
		}
		if !seen[int(v)] {
			seen[int(v)] = true
			distinct++
		}
		maxLabel = max(maxLabel, int(v))
		y.Data[i] = float32(v)
	}
	if err := idxCheckClasses(labels, seen, distinct, maxLabel, n, opt.Classes); err != nil {
		return nil, err
	}
	classes := cmp.Or(opt.Classes, maxLabel+1)

	x := &Tensor{Rows: n, Cols: features, Data: img.Float32s()}
	if img.Type == IDXFloat32 || img.Type == IDXFloat64 {
		for i, v := range x.Data {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return nil, fmt.Errorf("load %s: value %d of image %d is %v as float32, want a finite number", images, i%features, i/features, v)
			}
		}
	}
	return &Dataset{X: x, Y: y, Task: Classification, Classes: classes, Shape: slices.Clone(img.Dims[1:])}, nil
}

// idxCheckClasses checks the set of labels of n items: seen[v] says
// whether label v occurs, distinct counts the labels that do, and
// maxLabel is the largest. stated is the stated class count, or 0.
func idxCheckClasses(path string, seen []bool, distinct, maxLabel, n, stated int) error {
	if distinct < 2 {
		return fmt.Errorf("load %s: all %d labels are %d, want at least 2 classes", path, n, maxLabel)
	}
	if stated > 0 || distinct == maxLabel+1 {
		return nil
	}
	missing := slices.Index(seen, false)
	return fmt.Errorf("load %s: labels take %d distinct values from 0 to %d, which implies %d classes, %d of them without samples (the first is %d); "+
		"relabel the classes 0 to %d, or state the class count to allow empty classes",
		path, distinct, maxLabel, maxLabel+1, maxLabel+1-distinct, missing, distinct-1)
}

// loadIDXFile reads the IDX file at path, naming its outer dimension noun
// in errors, within the memory limit lim, and prefixes errors with
// "load path: ".
func loadIDXFile(path, noun string, lim idxLimit) (*IDX, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	defer f.Close()
	x, err := readIDX(f, noun, lim)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	return x, nil
}
