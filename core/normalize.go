package core

import (
	"fmt"
	"math"
	"slices"
)

// The normalization methods that Normalize and FitNormalizer accept.
const (
	NormalizeNone        = "none"        // leave features as they are
	NormalizeScale       = "scale"       // per-feature min-max scaling to [0, 1]
	NormalizeStandardize = "standardize" // per-feature zero mean, unit variance
)

// A Normalizer is a per-feature affine transform of X, fitted on a training
// set and applied unchanged to any other data with the same features:
// feature j becomes (x - Offset[j]) * Scale[j].
//
// A Normalizer is not modified by Apply, so it is safe for concurrent use
// on distinct tensors.
type Normalizer struct {
	// Method is the method it was fitted with: none, scale or standardize.
	Method string
	// Offset and Scale have one entry per feature; both are nil for none.
	Offset, Scale []float64
}

// FitNormalizer fits the method (none, scale or standardize; empty means
// none) on train's features:
//
//   - scale: Offset is the feature's minimum and Scale 1/(max-min), so the
//     training values span [0, 1]; a constant feature gets Scale 1 and so
//     becomes 0. Other data may fall outside [0, 1].
//   - standardize: Offset is the feature's mean and Scale 1/std, with the
//     population standard deviation; a constant feature gets Scale 1.
//
// Statistics are accumulated in float64. It returns an error for an
// unknown method or a training set without samples.
func FitNormalizer(method string, train *Dataset) (*Normalizer, error) {
	switch method {
	case "", NormalizeNone:
		return &Normalizer{Method: NormalizeNone}, nil
	case NormalizeScale, NormalizeStandardize:
	default:
		return nil, fmt.Errorf("normalize: unknown method %q, want %s, %s or %s", method, NormalizeNone, NormalizeScale, NormalizeStandardize)
	}
	x := train.X
	if x.Rows == 0 {
		return nil, fmt.Errorf("normalize: cannot fit %s on a training set without samples", method)
	}
	nz := &Normalizer{Method: method, Offset: make([]float64, x.Cols), Scale: make([]float64, x.Cols)}
	if method == NormalizeScale {
		lo, hi := nz.Offset, nz.Scale // hi is replaced by the scale below
		normWiden(lo, x.Row(0))
		normWiden(hi, x.Row(0))
		for i := 1; i < x.Rows; i++ {
			for j, v := range x.Row(i) {
				lo[j] = min(lo[j], float64(v))
				hi[j] = max(hi[j], float64(v))
			}
		}
		for j := range hi {
			hi[j] = normInvOrOne(hi[j] - lo[j])
		}
		return nz, nil
	}
	mean, ss := nz.Offset, nz.Scale // ss is replaced by the scale below
	for i := range x.Rows {
		for j, v := range x.Row(i) {
			mean[j] += float64(v)
		}
	}
	for j := range mean {
		mean[j] /= float64(x.Rows)
	}
	for i := range x.Rows {
		for j, v := range x.Row(i) {
			d := float64(v) - mean[j]
			ss[j] += d * d
		}
	}
	for j := range ss {
		ss[j] = normInvOrOne(math.Sqrt(ss[j] / float64(x.Rows)))
	}
	return nz, nil
}

// Apply transforms x in place. It returns an error, leaving x unchanged,
// if x does not have one column per fitted feature. It panics if Offset and
// Scale differ in length.
func (nz *Normalizer) Apply(x *Tensor) error {
	if nz.Method == NormalizeNone || nz.Method == "" {
		return nil
	}
	if len(nz.Scale) != len(nz.Offset) {
		panic(fmt.Sprintf("core: Normalizer has %d offsets but %d scales", len(nz.Offset), len(nz.Scale)))
	}
	if x.Cols != len(nz.Offset) {
		return fmt.Errorf("normalize: data has %d features, the %s normalizer was fitted on %d", x.Cols, nz.Method, len(nz.Offset))
	}
	off := make([]float32, x.Cols)
	scale := make([]float32, x.Cols)
	for j := range off {
		off[j] = float32(nz.Offset[j])
		scale[j] = float32(nz.Scale[j])
	}
	for i := range x.Rows {
		row := x.Row(i)
		row = row[:len(off)]
		for j, v := range row {
			row[j] = (v - off[j]) * scale[j]
		}
	}
	return nil
}

// Normalize fits method (none, scale or standardize; see FitNormalizer) on
// train's features. It applies the transform in place to train and to each
// of others (the validation or test sets). Nil entries of others are
// skipped, and a tensor met twice (say train itself) is transformed once.
// On error no data has been changed. It returns the fitted normalizer,
// which a model file keeps to transform new inputs the same way. The
// datasets must not be read concurrently while Normalize runs.
func Normalize(method string, train *Dataset, others ...*Dataset) (*Normalizer, error) {
	nz, err := FitNormalizer(method, train)
	if err != nil {
		return nil, err
	}
	if nz.Method == NormalizeNone {
		return nz, nil
	}
	for i, o := range others {
		if o != nil && o.X.Cols != train.X.Cols {
			return nil, fmt.Errorf("normalize: dataset %d has %d features, the training set %d", i+1, o.X.Cols, train.X.Cols)
		}
	}
	done := []*Tensor{train.X}
	for _, o := range others {
		if o == nil || slices.Contains(done, o.X) {
			continue
		}
		done = append(done, o.X)
		if err := nz.Apply(o.X); err != nil {
			return nil, err // unreachable: widths were checked above
		}
	}
	if err := nz.Apply(train.X); err != nil {
		return nil, err
	}
	return nz, nil
}

// normInvOrOne returns 1/v, or 1 if v is 0.
func normInvOrOne(v float64) float64 {
	if v == 0 {
		return 1
	}
	return 1 / v
}

// normWiden copies src into dst, converting to float64.
func normWiden(dst []float64, src []float32) {
	for i, v := range src {
		dst[i] = float64(v)
	}
}
