package core

import (
	"slices"
	"strings"
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
	for _, s := range Schedules() {
		if err := (&ScheduleConfig{Kind: s}).validate(0.1); err != nil {
			t.Errorf("schedule %s: %v", s, err)
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
		{"schedules", Schedules(), []string{"constant", "step", "cosine"}},
	} {
		if !slices.Equal(tc.got, tc.want) {
			t.Errorf("%s = %v, want %v", tc.name, tc.got, tc.want)
		}
	}
	// Errors for unknown names list the accepted ones, from the same lists.
	_, actErr := parseActivation("x", 0)
	_, initErr := parseInit("x", activation{kind: actReLU})
	_, lossErr := parseLoss("x", Classification)
	for _, tc := range []struct {
		err  error
		want string
	}{
		{actErr, "want relu, leaky_relu, tanh, sigmoid or gelu)"},
		{initErr, "want glorot_uniform, glorot_normal, he_uniform or he_normal)"},
		{(&OptimizerConfig{Name: "x", LearningRate: 0.1}).validate(), "want sgd, adam, adamw or rmsprop)"},
		{lossErr, "want softmax_cross_entropy, mse or binary_cross_entropy)"},
		{(&ScheduleConfig{Kind: "x"}).validate(0.1), "want constant, step or cosine)"},
	} {
		if tc.err == nil || !strings.HasSuffix(tc.err.Error(), tc.want) {
			t.Errorf("error for an unknown name: %v, want it to end %q", tc.err, tc.want)
		}
	}
	Optimizers()[0] = "changed"
	if Optimizers()[0] != "sgd" {
		t.Error("changing a returned list changed the core's")
	}
}
