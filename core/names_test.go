package core

import (
	"slices"
	"testing"
)

// TestNames checks that every listed name is accepted and that the lists
// hold what the core implements.
func TestNames(t *testing.T) {
	for _, a := range Activations() {
		if _, err := parseActivation(a, 0); err != nil {
			t.Errorf("activation %s: %v", a, err)
		}
	}
	for _, n := range Initializers() {
		if _, err := parseInit(n, activation{kind: actReLU}); err != nil {
			t.Errorf("initializer %s: %v", n, err)
		}
	}
	for _, o := range Optimizers() {
		if parseOptimizerName(o) == 0 {
			t.Errorf("optimizer %s is not accepted", o)
		}
	}
	for _, l := range Losses() {
		if _, err := parseLoss(l, Classification); err != nil {
			t.Errorf("loss %s: %v", l, err)
		}
	}
	for _, tc := range []struct {
		name string
		got  []string
		want []string
	}{
		{"activations", Activations(), []string{"relu", "leaky_relu", "tanh", "sigmoid", "gelu"}},
		{"initializers", Initializers(), []string{"glorot_uniform", "glorot_normal", "he_uniform", "he_normal"}},
		{"optimizers", Optimizers(), []string{"sgd", "adam", "adamw", "rmsprop"}},
		{"losses", Losses(), []string{"softmax_cross_entropy", "mse", "binary_cross_entropy"}},
	} {
		if !slices.Equal(tc.got, tc.want) {
			t.Errorf("%s = %v, want %v", tc.name, tc.got, tc.want)
		}
	}
	Optimizers()[0] = "changed"
	if Optimizers()[0] != "sgd" {
		t.Error("changing a returned list changed the core's")
	}
}
