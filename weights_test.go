package dltune

import (
	"slices"
	"testing"
)

func TestDropWeights(t *testing.T) {
	h := func(n int, loss float64, s State, epochs int) HeldWeights {
		return HeldWeights{Trial: n, Loss: loss, State: s, Epochs: epochs}
	}
	tests := []struct {
		name string
		held []HeldWeights
		keep int
		want []int
	}{
		{"by loss", []HeldWeights{h(0, 0.5, Complete, 9), h(1, 0.3, Complete, 9), h(2, 0.4, Complete, 9)}, 2, []int{0}},
		{"ties to the lower number", []HeldWeights{h(3, 0.3, Complete, 9), h(1, 0.3, Complete, 9), h(2, 0.3, Complete, 9)}, 2, []int{3}},
		// The case the leaderboard disagreed on: a pruned trial of lower
		// loss ranks after every complete one.
		{"complete before pruned", []HeldWeights{h(0, 0.5, Complete, 9), h(1, 0.1, Pruned, 3)}, 1, []int{1}},
		{"pruned by epochs, then loss", []HeldWeights{h(0, 0.1, Pruned, 1), h(1, 0.3, Pruned, 3), h(2, 0.2, Pruned, 3)}, 2, []int{0}},
		{"failed last", []HeldWeights{h(0, 0.1, Failed, 9), h(1, 0.9, Pruned, 1)}, 1, []int{0}},
		// A running trial may still complete at its loss: it stays until
		// keep complete trials beat it.
		{"running may complete", []HeldWeights{h(0, 0.5, Complete, 9), h(1, 0.1, Running, 3), h(2, 0.2, Paused, 3)}, 1, nil},
		{"running beaten", []HeldWeights{h(0, 0.05, Complete, 9), h(1, 0.1, Running, 3), h(2, 0.2, Interrupted, 3)}, 1, []int{1, 2}},
		{"running beaten only by pruned", []HeldWeights{h(0, 0.05, Pruned, 2), h(1, 0.1, Running, 3)}, 1, nil},
		{"running tied with a lower number", []HeldWeights{h(0, 0.1, Complete, 9), h(1, 0.1, Running, 3)}, 1, []int{1}},
		{"keep 0", []HeldWeights{h(0, 0.1, Complete, 9), h(1, 0.1, Running, 3)}, 0, []int{0, 1}},
		{"none", nil, 3, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := slices.Clone(tt.held)
			if got := DropWeights(tt.held, tt.keep); !slices.Equal(got, tt.want) {
				t.Errorf("DropWeights(keep %d) = %v, want %v", tt.keep, got, tt.want)
			}
			if !slices.Equal(before, tt.held) {
				t.Errorf("DropWeights changed held: %v", tt.held)
			}
		})
	}
}
