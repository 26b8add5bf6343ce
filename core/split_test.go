package core

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// splitDataset returns a dataset whose sample i has X = [i, -i] and, for
// classification, the class given by classOf(i), or Y = 10*i.
func splitDataset(n int, task Task, classes int, classOf func(i int) int) *Dataset {
	d := &Dataset{X: NewTensor(n, 2), Y: NewTensor(n, 1), Task: task, Features: []string{"i", "neg"}}
	for i := range n {
		d.X.Set(i, 0, float32(i))
		d.X.Set(i, 1, float32(-i))
		if task == Classification {
			d.Y.Data[i] = float32(classOf(i))
		} else {
			d.Y.Data[i] = float32(10 * i)
		}
	}
	if task == Classification {
		d.Classes = classes
		for c := range classes {
			d.Labels = append(d.Labels, string(rune('a'+c)))
		}
	}
	return d
}

// splitCounts counts the samples of each class.
func splitCounts(d *Dataset) []int {
	counts := make([]int, d.Classes)
	for _, y := range d.Y.Data {
		counts[int(y)]++
	}
	return counts
}

// splitIDs returns the sample ids (X column 0) of d.
func splitIDs(d *Dataset) []int {
	ids := make([]int, d.Len())
	for r := range ids {
		ids[r] = int(d.X.At(r, 0))
	}
	return ids
}

// splitCheckPartition fails unless train and val hold every sample of d
// exactly once, each in increasing order, with its row and target intact.
func splitCheckPartition(t *testing.T, d, train, val *Dataset) {
	t.Helper()
	seen := make([]int, d.Len())
	for _, part := range []*Dataset{train, val} {
		ids := splitIDs(part)
		if !slices.IsSorted(ids) {
			t.Errorf("sample order %v is not increasing", ids)
		}
		for r, id := range ids {
			seen[id]++
			if part.X.At(r, 1) != d.X.At(id, 1) || part.Y.At(r, 0) != d.Y.At(id, 0) {
				t.Fatalf("row %d (sample %d) is %v / %v, want %v / %v", r, id, part.X.Row(r), part.Y.Row(r), d.X.Row(id), d.Y.Row(id))
			}
		}
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("sample %d appears %d times", id, n)
		}
	}
}

func TestSplitStratified(t *testing.T) {
	// Classes of 100, 50, 7, 2 and 1 samples, interleaved.
	sizes := []int{100, 50, 7, 2, 1}
	var classOf []int
	for c, n := range sizes {
		for range n {
			classOf = append(classOf, c)
		}
	}
	// Interleave deterministically so that classes are not contiguous.
	perm := make([]int, len(classOf))
	for i := range perm {
		perm[i] = classOf[(i*37)%len(classOf)]
	}
	d := splitDataset(len(perm), Classification, len(sizes), func(i int) int { return perm[i] })

	tests := []struct {
		frac    float64
		wantVal []int
	}{
		{0.2, []int{20, 10, 1, 1, 0}},  // 7×0.2 = 1.4 → 1; 2 samples → 1 and 1
		{0.5, []int{50, 25, 4, 1, 0}},  // 3.5 rounds half away from zero
		{0.01, []int{1, 1, 1, 1, 0}},   // at least one in validation
		{0.99, []int{99, 49, 6, 1, 0}}, // at least one in training
	}
	for _, tt := range tests {
		t.Run(strconv.FormatFloat(tt.frac, 'g', -1, 64), func(t *testing.T) {
			train, val, err := Split(d, tt.frac, 42)
			if err != nil {
				t.Fatal(err)
			}
			splitCheckPartition(t, d, train, val)
			gotVal := splitCounts(val)
			gotTrain := splitCounts(train)
			for c := range sizes {
				if gotVal[c] != tt.wantVal[c] || gotTrain[c] != sizes[c]-tt.wantVal[c] {
					t.Errorf("class %d: %d train, %d val; want %d, %d", c, gotTrain[c], gotVal[c], sizes[c]-tt.wantVal[c], tt.wantVal[c])
				}
			}
			for _, p := range []*Dataset{train, val} {
				if p.Task != Classification || p.Classes != 5 || !slices.Equal(p.Labels, d.Labels) || !slices.Equal(p.Features, d.Features) {
					t.Errorf("part has task %v classes %d labels %q features %q", p.Task, p.Classes, p.Labels, p.Features)
				}
			}
		})
	}
}

func TestSplitRegression(t *testing.T) {
	tests := []struct {
		n       int
		frac    float64
		wantVal int
	}{
		{100, 0.2, 20},
		{10, 0.25, 3}, // 2.5 rounds up
		{2, 0.5, 1},
		{2, 0.01, 1},
		{2, 0.99, 1},
		{1000, 0.333, 333},
	}
	for _, tt := range tests {
		d := splitDataset(tt.n, Regression, 0, nil)
		train, val, err := Split(d, tt.frac, 7)
		if err != nil {
			t.Fatalf("n %d frac %v: %v", tt.n, tt.frac, err)
		}
		splitCheckPartition(t, d, train, val)
		if val.Len() != tt.wantVal || train.Len() != tt.n-tt.wantVal {
			t.Errorf("n %d frac %v: %d train, %d val; want %d, %d", tt.n, tt.frac, train.Len(), val.Len(), tt.n-tt.wantVal, tt.wantVal)
		}
		if val.Task != Regression || val.Classes != 0 {
			t.Errorf("val has task %v classes %d", val.Task, val.Classes)
		}
	}
}

func TestSplitDeterministic(t *testing.T) {
	for _, task := range []Task{Classification, Regression} {
		t.Run(task.String(), func(t *testing.T) {
			d := splitDataset(500, task, 3, func(i int) int { return i % 3 })
			_, a, err := Split(d, 0.3, 1)
			if err != nil {
				t.Fatal(err)
			}
			_, b, _ := Split(d, 0.3, 1)
			_, c, _ := Split(d, 0.3, 2)
			if !slices.Equal(splitIDs(a), splitIDs(b)) {
				t.Error("the same seed gave different validation sets")
			}
			if slices.Equal(splitIDs(a), splitIDs(c)) {
				t.Error("seeds 1 and 2 gave the same validation set")
			}
			// The choice is random, not the first or last samples.
			ids := splitIDs(a)
			if ids[0] > 20 || ids[len(ids)-1] < 480 {
				t.Errorf("validation ids span %d..%d, want samples from the whole range", ids[0], ids[len(ids)-1])
			}
		})
	}
}

func TestSplitCopies(t *testing.T) {
	d := splitDataset(10, Classification, 2, func(i int) int { return i % 2 })
	train, val, err := Split(d, 0.5, 3)
	if err != nil {
		t.Fatal(err)
	}
	before := slices.Clone(d.X.Data)
	for _, p := range []*Dataset{train, val} {
		for i := range p.X.Data {
			p.X.Data[i] = 99
		}
		p.Y.Data[0] = 1
		p.Features[0] = "changed"
		p.Labels[0] = "changed"
	}
	if !slices.Equal(d.X.Data, before) || d.Features[0] != "i" || d.Labels[0] != "a" {
		t.Error("changing a part changed the original dataset")
	}
}

func TestSplitErrors(t *testing.T) {
	cls := splitDataset(4, Classification, 2, func(i int) int { return i % 2 })
	tests := []struct {
		name string
		d    *Dataset
		frac float64
		want string
	}{
		{"zero", cls, 0, "validation fraction 0, want a number in (0, 1)"},
		{"one", cls, 1, "validation fraction 1, want"},
		{"negative", cls, -0.2, "validation fraction -0.2"},
		{"NaN", cls, math.NaN(), "validation fraction NaN"},
		{"one sample", splitDataset(1, Regression, 0, nil), 0.5, "1 samples leave the validation part empty"},
		{"singleton classes", splitDataset(3, Classification, 3, func(i int) int { return i }), 0.5, "3 samples leave the validation part empty"},
		{"class out of range", splitDataset(3, Classification, 2, func(i int) int { return i }), 0.5, "sample 2 has class 2, want an integer in [0, 2)"},
		{"fractional class", func() *Dataset {
			d := splitDataset(3, Classification, 2, func(int) int { return 0 })
			d.Y.Data[1] = 0.5
			return d
		}(), 0.5, "sample 1 has class 0.5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Split(tt.d, tt.frac, 1)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}
