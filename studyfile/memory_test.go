package studyfile

import (
	"fmt"
	"reflect"
	"testing"
)

func TestFixedSize(t *testing.T) {
	const tmpl = `name: f
data: {kind: synthetic, synthetic: {generator: moons, samples: 50}}
model: {hidden: %s, activation: %s}
train: {epochs: %s, batch_size: %s, learning_rate: $lr, optimizer: %s}
space: {lr: {float: [0.001, 0.1]}, %s}
search: {strategy: random, trials: 9}
`
	for _, c := range []struct {
		name                                   string
		hidden, act, epochs, batch, opt, space string
		fixed                                  bool
		want                                   []int // the hidden widths when fixed
	}{
		{"literals, lr a parameter", "[16, 8]", "relu", "1", "32", "adam", "", true, []int{16, 8}},
		{"epochs a parameter", "{depth: 2, width: 4}", "tanh", "$e", "8", "sgd", "e: {int: [1, 5]}", true, []int{4, 4}},
		{"width", "[$w]", "relu", "1", "32", "adam", "w: {int: [1, 9]}", false, nil},
		{"depth", "{depth: $d, width: 4}", "relu", "1", "32", "adam", "d: {int: [1, 3]}", false, nil},
		{"conditional width", "[4, $w]", "relu", "1", "32", "adam", `d: {choice: [1, 2]}, w: {int: [1, 9], when: "d >= 2"}`, false, nil},
		{"activation", "[4]", "$a", "1", "32", "adam", "a: {choice: [relu, gelu]}", false, nil},
		{"batch size", "[4]", "relu", "1", "$b", "adam", "b: {choice: [16, 64]}", false, nil},
		{"optimizer", "[4]", "relu", "1", "32", "$o", "o: {choice: [sgd, adam]}", false, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := mustParse(t, "f.yaml", fmt.Sprintf(tmpl, c.hidden, c.act, c.epochs, c.batch, c.opt, c.space))
			cfg, ok := s.FixedSize()
			if ok != c.fixed {
				t.Fatalf("FixedSize = %v, want %v", ok, c.fixed)
			}
			if ok && !reflect.DeepEqual(cfg.Model.Hidden, c.want) {
				t.Errorf("hidden %v, want %v", cfg.Model.Hidden, c.want)
			}
		})
	}
}
