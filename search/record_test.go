package search

import (
	"math"
	"reflect"
	"testing"

	"github.com/dltune/dltune"
)

// TestNewRecord checks that a trial's record keeps what strategies read
// and that its losses agree with the trial's at every epoch, NaNs and
// empty curves included, bit for bit.
func TestNewRecord(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	tests := []struct {
		name   string
		losses []float64
	}{
		{"none", nil},
		{"one", []float64{0.5}},
		{"falling then rising", []float64{0.9, 0.4, 0.45, 0.3, 0.7}},
		{"NaN first", []float64{nan, 0.8, 0.6}},
		{"NaN between", []float64{0.8, nan, 0.6}},
		{"all NaN", []float64{nan, nan}},
		{"+Inf", []float64{inf, 0.2}},
		{"negative zero", []float64{0, math.Copysign(0, -1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := &dltune.Trial{Number: 7, State: dltune.Paused, Budget: 9, Bracket: 2, RetryOf: 3,
				Params: dltune.Params{"lr": dltune.Float(0.01)}, Error: "x", Events: []dltune.Event{{What: "created"}}}
			for i, l := range tt.losses {
				tr.Curve = append(tr.Curve, dltune.Epoch{Epoch: i + 1, TrainLoss: 1, ValLoss: l,
					Layers: []dltune.LayerStats{{Name: "dense0", GradHist: []int{1, 2}}}})
			}
			r := NewRecord(tr)
			want := Record{Number: 7, State: dltune.Paused, Budget: 9, Bracket: 2, RetryOf: 3, Params: tr.Params}
			got := *r
			got.Losses = nil
			if !reflect.DeepEqual(got, want) {
				t.Errorf("record %+v, want %+v", got, want)
			}
			if r.Epochs() != tr.Epochs() || len(r.Losses) != len(tt.losses) || cap(r.Losses) != len(tt.losses) {
				t.Fatalf("record has %d epochs (len %d, cap %d), trial %d", r.Epochs(), len(r.Losses), cap(r.Losses), tr.Epochs())
			}
			for i, l := range tt.losses {
				if math.Float64bits(r.Losses[i]) != math.Float64bits(l) {
					t.Errorf("loss %d: %v, want %v", i, r.Losses[i], l)
				}
			}
			if a, b := r.Loss(), tr.Loss(); math.Float64bits(a) != math.Float64bits(b) {
				t.Errorf("Loss() = %v, trial's %v", a, b)
			}
			for k := -1; k <= len(tt.losses)+1; k++ {
				if a, b := r.LossAt(k), tr.LossAt(k); math.Float64bits(a) != math.Float64bits(b) {
					t.Errorf("LossAt(%d) = %v, trial's %v", k, a, b)
				}
			}
		})
	}
}
