package core

import (
	"math"
	"slices"
	"strings"
	"testing"
)

// normDataset returns a regression dataset with the given rows of features.
func normDataset(rows ...[]float32) *Dataset {
	x := NewTensor(len(rows), len(rows[0]))
	for i, r := range rows {
		copy(x.Row(i), r)
	}
	return &Dataset{X: x, Y: NewTensor(len(rows), 1), Task: Regression}
}

// normClose reports whether got and want agree to float32 precision.
func normClose(got, want []float32) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if math.Abs(float64(got[i]-want[i])) > 1e-6*max(1, math.Abs(float64(want[i]))) {
			return false
		}
	}
	return true
}

func TestNormalizeValues(t *testing.T) {
	// Columns: 0..4 spread, a constant, negative values.
	train := func() *Dataset {
		return normDataset(
			[]float32{0, 5, -2},
			[]float32{1, 5, -4},
			[]float32{4, 5, -6},
		)
	}
	val := func() *Dataset {
		return normDataset(
			[]float32{2, 5, -4},
			[]float32{8, 7, 0},
		)
	}
	// Standardization statistics of the training columns: means 5/3, 5,
	// -4; population standard deviations sqrt(26/9), 0 (→ 1), sqrt(8/3).
	s0, s2 := float32(math.Sqrt(26.0/9)), float32(math.Sqrt(8.0/3))
	tests := []struct {
		method           string
		wantTrain        []float32
		wantVal          []float32
		wantOff, wantScl []float64
	}{
		{"none", []float32{0, 5, -2, 1, 5, -4, 4, 5, -6}, []float32{2, 5, -4, 8, 7, 0}, nil, nil},
		{"", []float32{0, 5, -2, 1, 5, -4, 4, 5, -6}, []float32{2, 5, -4, 8, 7, 0}, nil, nil},
		{"scale",
			[]float32{0, 0, 1, 0.25, 0, 0.5, 1, 0, 0},
			[]float32{0.5, 0, 0.5, 2, 2, 1.5}, // outside [0, 1] off the training range
			[]float64{0, 5, -6}, []float64{0.25, 1, 0.25}},
		{"standardize",
			[]float32{(0 - 5.0/3) / s0, 0, 2 / s2, (1 - 5.0/3) / s0, 0, 0, (4 - 5.0/3) / s0, 0, -2 / s2},
			[]float32{(2 - 5.0/3) / s0, 0, 0, (8 - 5.0/3) / s0, 2, 4 / s2},
			[]float64{5.0 / 3, 5, -4}, []float64{1 / math.Sqrt(26.0/9), 1, 1 / math.Sqrt(8.0/3)}},
	}
	for _, tt := range tests {
		t.Run("method="+tt.method, func(t *testing.T) {
			tr, va := train(), val()
			if _, err := Normalize(tt.method, tr, va); err != nil {
				t.Fatal(err)
			}
			if !normClose(tr.X.Data, tt.wantTrain) {
				t.Errorf("train = %v, want %v", tr.X.Data, tt.wantTrain)
			}
			if !normClose(va.X.Data, tt.wantVal) {
				t.Errorf("val = %v, want %v", va.X.Data, tt.wantVal)
			}
			nz, err := FitNormalizer(tt.method, train())
			if err != nil {
				t.Fatal(err)
			}
			for j := range tt.wantOff {
				if math.Abs(nz.Offset[j]-tt.wantOff[j]) > 1e-12 || math.Abs(nz.Scale[j]-tt.wantScl[j]) > 1e-12 {
					t.Errorf("feature %d: offset %v scale %v, want %v %v", j, nz.Offset[j], nz.Scale[j], tt.wantOff[j], tt.wantScl[j])
				}
			}
		})
	}
}

// TestStandardizeMoments checks zero mean and unit variance on a larger
// training set with a large offset, where float32 accumulation would lose
// precision.
func TestStandardizeMoments(t *testing.T) {
	const n = 10000
	x := NewTensor(n, 1)
	for i := range n {
		x.Data[i] = 1e4 + float32(i%100)/10
	}
	d := &Dataset{X: x, Y: NewTensor(n, 1), Task: Regression}
	if _, err := Normalize(NormalizeStandardize, d); err != nil {
		t.Fatal(err)
	}
	var sum, sq float64
	for _, v := range x.Data {
		sum += float64(v)
		sq += float64(v) * float64(v)
	}
	mean := sum / n
	variance := sq/n - mean*mean
	if math.Abs(mean) > 1e-3 || math.Abs(variance-1) > 1e-3 {
		t.Errorf("mean %v variance %v, want 0 and 1", mean, variance)
	}
}

func TestNormalizerApplyNewData(t *testing.T) {
	nz, err := FitNormalizer(NormalizeScale, normDataset([]float32{10, 0}, []float32{20, 1}))
	if err != nil {
		t.Fatal(err)
	}
	x := &Tensor{Rows: 1, Cols: 2, Data: []float32{15, 3}}
	if err := nz.Apply(x); err != nil {
		t.Fatal(err)
	}
	if want := []float32{0.5, 3}; !slices.Equal(x.Data, want) {
		t.Errorf("Apply = %v, want %v", x.Data, want)
	}
	wide := NewTensor(1, 3)
	if err := nz.Apply(wide); err == nil || !strings.Contains(err.Error(), "data has 3 features, the scale normalizer was fitted on 2") {
		t.Errorf("error %v, want a feature-count error", err)
	}
}

// TestNormalizeOnce checks that a dataset passed twice, or train passed
// again among others, is transformed once.
func TestNormalizeOnce(t *testing.T) {
	tr := normDataset([]float32{0}, []float32{2})
	va := normDataset([]float32{4})
	if _, err := Normalize(NormalizeScale, tr, va, tr, nil, va); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(tr.X.Data, []float32{0, 1}) || !slices.Equal(va.X.Data, []float32{2}) {
		t.Errorf("train %v val %v, want [0 1] [2]", tr.X.Data, va.X.Data)
	}
}

func TestNormalizeErrors(t *testing.T) {
	tr := normDataset([]float32{1, 2}, []float32{3, 4})
	tests := []struct {
		name   string
		method string
		train  *Dataset
		others []*Dataset
		want   string
	}{
		{"unknown method", "minmax", tr, nil, `normalize: unknown method "minmax", want none, scale or standardize`},
		{"case matters", "Scale", tr, nil, `unknown method "Scale"`},
		{"empty train", "standardize", &Dataset{X: NewTensor(0, 2), Y: NewTensor(0, 1)}, nil, "cannot fit standardize on a training set without samples"},
		{"width mismatch", "scale", tr, []*Dataset{normDataset([]float32{1, 2}), normDataset([]float32{1, 2, 3})}, "dataset 2 has 3 features, the training set 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := slices.Clone(tt.train.X.Data)
			var othersBefore [][]float32
			for _, o := range tt.others {
				othersBefore = append(othersBefore, slices.Clone(o.X.Data))
			}
			_, err := Normalize(tt.method, tt.train, tt.others...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
			if !slices.Equal(tt.train.X.Data, before) {
				t.Error("training data changed despite the error")
			}
			for i, o := range tt.others {
				if !slices.Equal(o.X.Data, othersBefore[i]) {
					t.Errorf("dataset %d changed despite the error", i+1)
				}
			}
		})
	}
}
