package core

import (
	"bytes"
	"testing"
)

// FuzzReadIDX checks that ReadIDX returns an error, never panics, on any
// input, that what it accepts is consistent with its header, and that it
// allocates in proportion to its input, not to what a header claims (the
// fuzzer's memory limit catches that).
func FuzzReadIDX(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		x, err := ReadIDX(bytes.NewReader(data))
		if err != nil {
			if x != nil {
				t.Fatalf("ReadIDX returned %v and an error", x)
			}
			return
		}
		n := 1
		for _, d := range x.Dims {
			n *= d
		}
		if x.Type.Size() == 0 || len(x.Dims) == 0 || x.Len() != n || len(x.Data) != n*x.Type.Size() {
			t.Fatalf("type %v dims %v: %d data bytes, %d elements", x.Type, x.Dims, len(x.Data), x.Len())
		}
		if f := x.Float32s(); len(f) != n {
			t.Fatalf("Float32s has %d values, want %d", len(f), n)
		}
		if n > 0 {
			_ = x.At(n - 1)
		}
	})
}
