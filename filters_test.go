package dltune

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
)

// TestFiltersJSON checks that filters survive JSON bit for bit, the
// values no decimal form would keep included.
func TestFiltersJSON(t *testing.T) {
	data := []float32{0.1, -0, float32(math.Copysign(0, -1)), math.SmallestNonzeroFloat32, math.MaxFloat32,
		float32(math.NaN()), float32(math.Inf(-1)), 1.0000001}
	tests := []struct {
		name string
		f    Filters
	}{
		{"weights", Filters{Shape: [4]int{2, 1, 2, 2}, Epoch: 3, Data: data}},
		{"too large to keep", Filters{Shape: [4]int{64, 3, 11, 11}, Epoch: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := Trial{Number: 1, State: Complete, Filters: &tt.f}
			b, err := json.Marshal(&tr)
			if err != nil {
				t.Fatal(err)
			}
			var got Trial
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatalf("%v\n%s", err, b)
			}
			if got.Filters == nil || got.Filters.Shape != tt.f.Shape || got.Filters.Epoch != tt.f.Epoch {
				t.Fatalf("got %+v, want %+v\n%s", got.Filters, tt.f, b)
			}
			if len(got.Filters.Data) != len(tt.f.Data) || (got.Filters.Data == nil) != (tt.f.Data == nil) {
				t.Fatalf("got %d weights, want %d", len(got.Filters.Data), len(tt.f.Data))
			}
			for i, v := range tt.f.Data {
				if math.Float32bits(got.Filters.Data[i]) != math.Float32bits(v) {
					t.Errorf("weight %d: got %#x, want %#x", i, math.Float32bits(got.Filters.Data[i]), math.Float32bits(v))
				}
			}
		})
	}
	var null Trial
	if err := json.Unmarshal([]byte(`{"filters":null}`), &null); err != nil || null.Filters != nil {
		t.Errorf("null filters: %+v, %v", null.Filters, err)
	}
	// An MLP trial has no filters, and its JSON does not mention them.
	b, err := json.Marshal(&Trial{State: Complete})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "filters") {
		t.Errorf("a trial without filters encodes them: %s", b)
	}
}

func TestFiltersJSONErrors(t *testing.T) {
	tests := []struct{ name, json, msg string }{
		{"wrong count", `{"shape":[1,1,1,2],"epoch":1,"data":"AAAAAA=="}`, "1 weights for shape [1 1 1 2] (2)"},
		{"partial float", `{"shape":[1,1,1,1],"epoch":1,"data":"AAAA"}`, "not a whole number of float32s"},
		{"zero dimension", `{"shape":[1,0,1,1],"epoch":1}`, "bad shape"},
		{"overflowing shape", `{"shape":[65536,65536,65536,65536],"epoch":1}`, "bad shape"},
		{"no epoch", `{"shape":[1,1,1,1]}`, "epoch 0 < 1"},
		{"not base64", `{"shape":[1,1,1,1],"epoch":1,"data":"!!"}`, "illegal base64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f Filters
			err := json.Unmarshal([]byte(tt.json), &f)
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("got %v, want an error containing %q", err, tt.msg)
			}
			if !reflect.DeepEqual(f, Filters{}) {
				t.Errorf("a failed decode changed the filters: %+v", f)
			}
		})
	}
}

func TestTrialCloneFilters(t *testing.T) {
	tr := &Trial{Filters: &Filters{Shape: [4]int{1, 1, 1, 1}, Epoch: 1, Data: []float32{1}}}
	c := tr.Clone()
	c.Filters.Data[0] = 2
	if tr.Filters.Data[0] != 1 {
		t.Error("Clone shares the filters' weights")
	}
	if (&Trial{}).Clone().Filters != nil {
		t.Error("Clone of a trial without filters has some")
	}
}

// FuzzFiltersJSON checks that any JSON Filters accepts is consistent
// (Check) and encodes to JSON that decodes to the same bits.
func FuzzFiltersJSON(f *testing.F) {
	f.Add([]byte(`{"shape":[2,1,1,1],"epoch":3,"data":"AAAAPwAAgL4="}`))
	f.Add([]byte(`{"shape":[64,3,11,11],"epoch":1}`))
	f.Add([]byte(`{"shape":[1,1,1,2],"epoch":1,"data":"AAAAAA=="}`))
	f.Add([]byte(`{"shape":[1,0,1,1],"epoch":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var v Filters
		if err := json.Unmarshal(b, &v); err != nil {
			return
		}
		if err := v.Check(); err != nil {
			t.Fatalf("decoded inconsistent filters: %v", err)
		}
		enc, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var w Filters
		if err := json.Unmarshal(enc, &w); err != nil {
			t.Fatalf("%v\n%s", err, enc)
		}
		if w.Shape != v.Shape || w.Epoch != v.Epoch || (w.Data == nil) != (v.Data == nil) || len(w.Data) != len(v.Data) {
			t.Fatalf("round trip: %+v, want %+v", w, v)
		}
		for i := range v.Data {
			if math.Float32bits(w.Data[i]) != math.Float32bits(v.Data[i]) {
				t.Fatalf("weight %d: %#x, want %#x", i, math.Float32bits(w.Data[i]), math.Float32bits(v.Data[i]))
			}
		}
	})
}
