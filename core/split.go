package core

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// splitStream is the PCG stream Split draws from, so that a seed used for
// splitting and for training gives unrelated sequences.
const splitStream = 0x5eed_5b11_7da7_a5e7

// Split divides d into a training and a validation part, the validation
// part holding about valFraction of the samples, which must be in (0, 1).
// The same seed and dataset always give the same split.
//
// A classification dataset is split per class (stratified): each class
// gives round(count×valFraction) of its samples, chosen at random, to the
// validation part, but a class of at least 2 samples keeps at least one in
// each part and a class of one sample stays in the training part. Other
// datasets are shuffled and the first round(n×valFraction) samples, at
// least one and at most n-1, go to validation. Either way both parts keep
// the samples in their original relative order.
//
// The parts own their data: copies of d's rows, Features and Labels. Split
// returns an error if valFraction is out of range, if a part would be
// empty, or if a classification target is not a class index in
// [0, d.Classes). It panics if d.X and d.Y have different row counts.
// Split only reads d, so it may run concurrently with other readers of d.
func Split(d *Dataset, valFraction float64, seed uint64) (train, val *Dataset, err error) {
	if !(valFraction > 0 && valFraction < 1) {
		return nil, nil, fmt.Errorf("split: validation fraction %v, want a number in (0, 1)", valFraction)
	}
	n := d.X.Rows
	if d.Y.Rows != n {
		panic(fmt.Sprintf("core: Split: X has %d rows but Y has %d", n, d.Y.Rows))
	}
	rng := rand.New(rand.NewPCG(seed, splitStream))

	var trainIdx, valIdx []int
	if d.Task == Classification {
		byClass, err := splitClasses(d)
		if err != nil {
			return nil, nil, err
		}
		for _, idx := range byClass {
			c := len(idx)
			k := 0
			if c >= 2 {
				k = min(max(int(math.Round(float64(c)*valFraction)), 1), c-1)
			}
			rng.Shuffle(c, func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
			valIdx = append(valIdx, idx[:k]...)
			trainIdx = append(trainIdx, idx[k:]...)
		}
	} else {
		if n >= 2 {
			k := min(max(int(math.Round(float64(n)*valFraction)), 1), n-1)
			perm := rng.Perm(n)
			valIdx, trainIdx = perm[:k], perm[k:]
		}
	}
	if len(valIdx) == 0 || len(trainIdx) == 0 {
		return nil, nil, fmt.Errorf("split: %d samples leave the validation part empty (a class needs at least 2 samples to appear in both parts)", n)
	}
	slices.Sort(trainIdx)
	slices.Sort(valIdx)
	return splitRows(d, trainIdx), splitRows(d, valIdx), nil
}

// splitClasses returns the sample indices of each class of a
// classification dataset, in order.
func splitClasses(d *Dataset) ([][]int, error) {
	if d.Y.Cols != 1 {
		return nil, fmt.Errorf("split: classification targets have %d columns, want 1 class index per sample", d.Y.Cols)
	}
	top := -1 // the largest class present; Classes may be far larger
	for i, y := range d.Y.Data {
		c := int(y)
		if float32(c) != y || c < 0 || c >= d.Classes {
			return nil, fmt.Errorf("split: sample %d has class %v, want an integer in [0, %d)", i, y, d.Classes)
		}
		top = max(top, c)
	}
	byClass := make([][]int, top+1)
	for i, y := range d.Y.Data {
		byClass[int(y)] = append(byClass[int(y)], i)
	}
	return byClass, nil
}

// splitRows returns a new dataset holding copies of d's rows idx, in that
// order.
func splitRows(d *Dataset, idx []int) *Dataset {
	x := NewTensor(len(idx), d.X.Cols)
	y := NewTensor(len(idx), d.Y.Cols)
	for r, i := range idx {
		copy(x.Row(r), d.X.Row(i))
		copy(y.Row(r), d.Y.Row(i))
	}
	return &Dataset{
		X:        x,
		Y:        y,
		Task:     d.Task,
		Classes:  d.Classes,
		Features: slices.Clone(d.Features),
		Labels:   slices.Clone(d.Labels),
		Shape:    slices.Clone(d.Shape),
	}
}
