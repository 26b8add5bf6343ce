package dltune

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
)

// MaxFilters is the most filter weights a trial keeps: 16384 float32s,
// 64 KiB. A first convolution layer is small (16×1×3×3 in the Fashion-MNIST
// example, 64×3×7×7 in a ResNet); a larger one is not kept, so that a
// study's records stay small.
const MaxFilters = 16 << 10

// Filters are the weights of a convolutional network's first convolution
// layer, kept with its trial so that a report can draw what the network
// learned to see.
//
// They are the weights at the end of the trial's last trained epoch
// (Epoch), not at its best one: the trainer keeps only its current weights
// (early stopping does not restore the best), so these are the weights of
// the trial's model, and they are the same bit for bit whether or not the
// trial was interrupted and resumed.
type Filters struct {
	// Shape is out channels × in channels × kernel height × kernel width,
	// PyTorch's layout of Data.
	Shape [4]int
	// Epoch is the epoch after which the weights were taken (1-based).
	Epoch int
	// Data holds the weights in Shape's order, or is nil when there were
	// more than MaxFilters of them: Shape still says what they were.
	Data []float32
}

// Len returns the number of weights Shape describes, or -1 if a dimension
// is below 1 or the product exceeds 2^30.
func (f *Filters) Len() int {
	n := 1
	for _, d := range f.Shape {
		if d < 1 || d > (1<<30)/n {
			return -1
		}
		n *= d
	}
	return n
}

// Check reports whether f is consistent: every dimension at least 1, a
// positive epoch, and Data either nil or holding exactly the weights Shape
// describes, at most MaxFilters.
func (f *Filters) Check() error {
	n := f.Len()
	switch {
	case n < 0:
		return fmt.Errorf("filters: bad shape %v", f.Shape)
	case f.Epoch < 1:
		return fmt.Errorf("filters: epoch %d < 1", f.Epoch)
	case f.Data != nil && len(f.Data) != n:
		return fmt.Errorf("filters: %d weights for shape %v (%d)", len(f.Data), f.Shape, n)
	case len(f.Data) > MaxFilters:
		return fmt.Errorf("filters: %d weights, more than %d", len(f.Data), MaxFilters)
	}
	return nil
}

// Clone returns a deep copy of f, or nil if f is nil.
func (f *Filters) Clone() *Filters {
	if f == nil {
		return nil
	}
	c := *f
	if f.Data != nil {
		c.Data = append([]float32(nil), f.Data...)
	}
	return &c
}

// filtersJSON is the JSON form of Filters: the weights as the base64 of
// their little-endian IEEE 754 bits, exact and about half the size of
// decimal numbers.
type filtersJSON struct {
	Shape [4]int `json:"shape"`
	Epoch int    `json:"epoch"`
	Data  []byte `json:"data,omitempty"`
}

// MarshalJSON encodes f as {"shape":[o,i,h,w],"epoch":n,"data":"<base64>"},
// data being the little-endian bits of the weights.
func (f Filters) MarshalJSON() ([]byte, error) {
	return json.Marshal(filtersJSON{Shape: f.Shape, Epoch: f.Epoch, Data: float32Bytes(f.Data)})
}

// UnmarshalJSON decodes what MarshalJSON encodes and checks it (Check);
// null leaves f unchanged.
func (f *Filters) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var j filtersJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	data, err := bytesFloat32(j.Data)
	if err != nil {
		return fmt.Errorf("filters: %w", err)
	}
	v := Filters{Shape: j.Shape, Epoch: j.Epoch, Data: data}
	if err := v.Check(); err != nil {
		return err
	}
	*f = v
	return nil
}

// float32Bytes returns the little-endian IEEE 754 bits of v, nil for nil.
func float32Bytes(v []float32) []byte {
	if v == nil {
		return nil
	}
	b := make([]byte, 0, 4*len(v))
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return b
}

// bytesFloat32 decodes what float32Bytes encodes; it returns nil for an
// empty b and an error if b's length is not a multiple of 4.
func bytesFloat32(b []byte) ([]float32, error) {
	if len(b)%4 != 0 {
		return nil, fmt.Errorf("%d bytes are not a whole number of float32s", len(b))
	}
	if len(b) == 0 {
		return nil, nil
	}
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v, nil
}
