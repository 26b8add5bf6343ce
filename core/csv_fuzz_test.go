package core

import (
	"bytes"
	"math"
	"testing"
)

// FuzzReadCSV checks that ReadCSV returns an error, never panics, on any
// input, and that every dataset it returns is well-formed: matching row
// counts, finite features, and class indices within Classes.
func FuzzReadCSV(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte, target string, regression bool) {
		opt := CSVOptions{Target: target, Task: Classification}
		if regression {
			opt.Task = Regression
		}
		d, err := ReadCSV(bytes.NewReader(data), "fuzz.csv", opt)
		if err != nil {
			if d != nil {
				t.Fatalf("ReadCSV returned a dataset and an error")
			}
			return
		}
		n := d.Len()
		if n == 0 || d.Y.Rows != n || d.Y.Cols != 1 || len(d.Y.Data) != n ||
			d.X.Cols != len(d.Features) || d.X.Cols == 0 || len(d.X.Data) != n*d.X.Cols {
			t.Fatalf("X %d×%d (%d values), Y %d×%d (%d values), %d features",
				d.X.Rows, d.X.Cols, len(d.X.Data), d.Y.Rows, d.Y.Cols, len(d.Y.Data), len(d.Features))
		}
		for _, v := range d.X.Data {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				t.Fatalf("feature value %v", v)
			}
		}
		if opt.Task == Regression {
			if d.Classes != 0 || d.Labels != nil {
				t.Fatalf("regression with %d classes, labels %q", d.Classes, d.Labels)
			}
			return
		}
		if d.Classes < 2 || len(d.Labels) != d.Classes {
			t.Fatalf("%d classes, labels %q", d.Classes, d.Labels)
		}
		seen := make([]bool, d.Classes)
		for _, y := range d.Y.Data {
			c := int(y)
			if float32(c) != y || c < 0 || c >= d.Classes {
				t.Fatalf("class %v outside [0, %d)", y, d.Classes)
			}
			seen[c] = true
		}
		for c, ok := range seen {
			if !ok {
				t.Fatalf("class %d (%q) has no sample", c, d.Labels[c])
			}
		}
	})
}
