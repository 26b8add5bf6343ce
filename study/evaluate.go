package study

import (
	"fmt"
	"slices"
	"strings"

	"github.com/dltune/dltune/core"
)

// LoadTestData loads data to score model m on: an IDX pair (images, then
// labels) or one CSV file in the format of the model's training data (the
// same feature columns, in any order, and the target column). CSV class
// labels are matched to the model's by name. Data that does not fit the
// model is an error naming the file and what the model expects. The
// loaders read at most maxBytes (0: their default).
func LoadTestData(m *core.Model, files []string, maxBytes int64) (*core.Dataset, error) {
	switch len(files) {
	case 2:
		return loadTestIDX(m, files[0], files[1], maxBytes)
	case 1:
		return loadTestCSV(m, files[0], maxBytes)
	}
	return nil, fmt.Errorf("test data: %d files; want an IDX pair (images and labels) or one CSV file", len(files))
}

func loadTestIDX(m *core.Model, images, labels string, maxBytes int64) (*core.Dataset, error) {
	if m.Info.Target != "" {
		return nil, fmt.Errorf("%s: the model was trained on CSV data (target %s); score it on a CSV file", images, m.Info.Target)
	}
	if m.Task() != core.Classification {
		return nil, fmt.Errorf("%s: IDX data is for classification; the model does %v", images, m.Task())
	}
	d, err := core.LoadIDX(images, labels, core.IDXOptions{Classes: m.Classes(), MaxBytes: maxBytes})
	if err != nil {
		return nil, err
	}
	shape := d.Shape
	if shape == nil {
		shape = []int{d.X.Cols}
	}
	if err := m.CheckSample(shape); err != nil {
		return nil, fmt.Errorf("%s: %w", images, err)
	}
	return d, nil
}

func loadTestCSV(m *core.Model, file string, maxBytes int64) (*core.Dataset, error) {
	target := m.Info.Target
	if target == "" {
		return nil, fmt.Errorf("%s: the model was not trained on CSV data, so it names no target column; score it on an IDX pair", file)
	}
	d, err := core.LoadCSV(file, core.CSVOptions{Target: target, Task: m.Task(), MinClasses: 1, MaxBytes: maxBytes})
	if err != nil {
		return nil, err
	}
	want := m.Features()
	if want != nil {
		// Put the columns in the model's order.
		if len(d.Features) != len(want) || !sameSet(d.Features, want) {
			return nil, fmt.Errorf("%s: feature columns %s; the model takes %s (and the target %s)",
				file, strings.Join(d.Features, ", "), strings.Join(want, ", "), target)
		}
		if !slices.Equal(d.Features, want) {
			reorder(d, want)
		}
	} else if d.X.Cols != m.Inputs() {
		return nil, fmt.Errorf("%s: %d feature columns; the model takes %d", file, d.X.Cols, m.Inputs())
	}
	if m.Task() != core.Classification {
		return d, nil
	}
	names := m.Labels()
	if names == nil {
		return nil, fmt.Errorf("%s: the model has no class labels to match the file's", file)
	}
	remap := make([]float32, len(d.Labels))
	for i, l := range d.Labels {
		c := slices.Index(names, l)
		if c < 0 {
			return nil, fmt.Errorf("%s: target column %s: class %q is not one of the model's %d (%s)", file, target, l, len(names), strings.Join(names, ", "))
		}
		remap[i] = float32(c)
	}
	for i, v := range d.Y.Data {
		d.Y.Data[i] = remap[int(v)]
	}
	d.Labels, d.Classes = slices.Clone(names), len(names)
	return d, nil
}

func sameSet(a, b []string) bool {
	return slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b)))
}

// reorder permutes d's feature columns into the order want.
func reorder(d *core.Dataset, want []string) {
	idx := make([]int, len(want))
	for j, name := range want {
		idx[j] = slices.Index(d.Features, name)
	}
	x := d.X
	out := make([]float32, len(x.Data))
	for i := range x.Rows {
		row := x.Row(i)
		for j, k := range idx {
			out[i*x.Cols+j] = row[k]
		}
	}
	x.Data = out
	d.Features = slices.Clone(want)
}
