package studyfile

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/search"
)

const diffBase = `name: d
data: {kind: synthetic, synthetic: {generator: spirals, samples: 100}}
model: {hidden: [$w, $w3], activation: $act}
train: {epochs: 3, batch_size: 8, learning_rate: $lr}
space:
  lr: {float: [1e-4, 1e-1], log: true}
  w: {int: [8, 64]}
  act: {choice: [relu, tanh]}
  w3: {int: [8, 64], when: "w >= 32"}
search: {strategy: random, trials: 4}
`

// TestSpaceDiff checks that changed, added and removed parameters are
// listed, and that a file changed only outside the space is not.
func TestSpaceDiff(t *testing.T) {
	old := mustParse(t, "d.yaml", diffBase)
	for _, tc := range []struct {
		name     string
		from, to string
		want     []string
	}{
		{"same space, other layout and trials", "search: {strategy: random, trials: 4}", "search:\n  strategy: random\n  trials: 40", nil},
		{"range changed", "lr: {float: [1e-4, 1e-1], log: true}", "lr: {float: [1e-3, 1e-1], log: true}",
			[]string{"space.lr: was float [0.0001, 0.1] log, now float [0.001, 0.1] log"}},
		{"choice extended", "act: {choice: [relu, tanh]}", "act: {choice: [relu, tanh, gelu]}",
			[]string{"space.act: was choice [relu, tanh], now choice [relu, tanh, gelu]"}},
		{"condition changed", `when: "w >= 32"`, `when: "w > 32"`,
			[]string{"space.w3: was int [8, 64] when w in [32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64], now int [8, 64] when w in [33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64]"}},
		{"parameter removed and added", "model: {hidden: [$w, $w3], activation: $act}\n", "model: {hidden: [$w, $w3], activation: $act, dropout: $d}\n",
			[]string{"space.d: added (float [0, 0.5] step 0.1)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := strings.Replace(diffBase, tc.from, tc.to, 1)
			if strings.Contains(tc.to, "$d") {
				src = strings.Replace(src, "space:\n", "space:\n  d: {float: [0, 0.5], step: 0.1}\n", 1)
			}
			now := mustParse(t, "d.yaml", src)
			if got := spaceDiff(old.Space, now.Space); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("spaceDiff = %q, want %q", got, tc.want)
			}
		})
	}
	now := mustParse(t, "d.yaml", strings.Replace(strings.Replace(diffBase, ", activation: $act", "", 1), "  act: {choice: [relu, tanh]}\n", "", 1))
	if got, want := spaceDiff(old.Space, now.Space), []string{"space.act: removed (was choice [relu, tanh])"}; !reflect.DeepEqual(got, want) {
		t.Errorf("spaceDiff after removing act = %q, want %q", got, want)
	}
}

// TestReorderedSpace decides whether reordering a study's space is a
// change: it is, because the strategy then gives trials other parameters,
// so Diff must report it and a resumed study must refuse it.
func TestReorderedSpace(t *testing.T) {
	old := mustParse(t, "d.yaml", diffBase)
	src := strings.Replace(diffBase, "  lr: {float: [1e-4, 1e-1], log: true}\n  w: {int: [8, 64]}\n", "  w: {int: [8, 64]}\n  lr: {float: [1e-4, 1e-1], log: true}\n", 1)
	now := mustParse(t, "d.yaml", src)
	if now.Space.Params[0].Name != "w" || old.Space.Params[0].Name != "lr" {
		t.Fatalf("spaces begin with %s and %s, want lr and w", old.Space.Params[0].Name, now.Space.Params[0].Name)
	}
	first := func(s *Spec) dltune.Params {
		strat, _, err := s.Strategy()
		if err != nil {
			t.Fatal(err)
		}
		d, err := strat.Next(&search.History{Budget: 1})
		if err != nil || d.Action != search.Start {
			t.Fatalf("first decision %+v, %v; want a start", d, err)
		}
		return d.Params
	}
	if a, b := first(old), first(now); a.Key() == b.Key() {
		t.Fatalf("trial 0 gets %s from both orders; the test needs a space whose order matters", a)
	}
	want := []string{"space: order was lr, w, act, w3; now w, lr, act, w3"}
	if got := Diff(old, now); !reflect.DeepEqual(got, want) {
		t.Errorf("Diff = %q, want %q", got, want)
	}
}

// TestSpaceOrder checks that parents are moved before the parameters
// whose conditions name them, and file order is kept otherwise.
func TestSpaceOrder(t *testing.T) {
	s := mustParse(t, "o.yaml", `name: o
data: {kind: synthetic, synthetic: {generator: spirals, samples: 100}}
model: {hidden: [$a, $b, $c, $d], activation: $act}
train: {epochs: 3, batch_size: 8, learning_rate: 0.1}
space:
  a: {int: [1, 4], when: "b >= 2"}
  act: {choice: [relu, tanh]}
  b: {int: [1, 4], when: {c: [1, 2]}}
  c: {int: [1, 4]}
  d: {int: [1, 4], when: "act == tanh"}
search: {strategy: random, trials: 4}
`)
	var names []string
	for _, q := range s.Space.Params {
		names = append(names, q.Name)
	}
	if want := []string{"c", "b", "a", "act", "d"}; !reflect.DeepEqual(names, want) {
		t.Errorf("space order %v, want %v", names, want)
	}
	if w := s.Space.Params[1].When; w == nil || w.Param != "c" || !reflect.DeepEqual(w.Values, []dltune.Value{dltune.Int(1), dltune.Int(2)}) {
		t.Errorf("b's condition = %+v, want c in [1, 2]", w)
	}
}

// TestConditionForms checks the values each condition form expands to.
func TestConditionForms(t *testing.T) {
	const tmpl = `name: c
data: {kind: synthetic, synthetic: {generator: spirals, samples: 100}}
model: {hidden: [$x], activation: $act, batch_norm: $bn}
train: {epochs: 3, batch_size: 8, learning_rate: 0.1, patience: $n, weight_decay: $k}
space:
  n: {int: [0, 10], step: 2}
  k: {choice: [1, 2.5, 4]}
  act: {choice: [relu, tanh, gelu]}
  bn: {choice: [true, false]}
  x: {int: [1, 4], when: %s}
search: {strategy: random, trials: 4}
`
	for _, tc := range []struct {
		when, parent, want string
	}{
		{`"n >= 5"`, "n", "6 8 10"},
		{`"n < 4"`, "n", "0 2"},
		{`"n != 4"`, "n", "0 2 6 8 10"},
		{`"n == 4"`, "n", "4"},
		{`"n in [8, 2]"`, "n", "8 2"},
		{`"k > 2"`, "k", "2.5 4"},
		{`"k <= 2.5"`, "k", "1 2.5"},
		{`"k == 4.0"`, "k", "4"},
		{`"act == tanh"`, "act", "tanh"},
		{`"act == 'tanh'"`, "act", "tanh"},
		{`"act not in [relu]"`, "act", "tanh gelu"},
		{`{act: [gelu, relu]}`, "act", "gelu relu"},
		{`{act: gelu}`, "act", "gelu"},
		{`"bn == true"`, "bn", "true"},
		{`{bn: [false]}`, "bn", "false"},
		{`"  n>=10 "`, "n", "10"},
	} {
		src := fmt.Sprintf(tmpl, tc.when)
		s, err := Parse("c.yaml", []byte(src))
		if err != nil {
			t.Errorf("when: %s: %v", tc.when, err)
			continue
		}
		w := s.Space.Params[len(s.Space.Params)-1].When
		var got []string
		for _, v := range w.Values {
			got = append(got, v.String())
		}
		if w.Param != tc.parent || strings.Join(got, " ") != tc.want {
			t.Errorf("when: %s gave %s in [%s], want %s in [%s]", tc.when, w.Param, strings.Join(got, " "), tc.parent, tc.want)
		}
	}
}

// TestRungs checks that Rungs gives the halving strategies' rungs, the
// same as the strategy itself, and nil for the others.
func TestRungs(t *testing.T) {
	for _, tc := range []struct {
		search string
		want   []int
	}{
		{"{strategy: successive-halving, trials: 9, min_epochs: 1, eta: 3}", []int{1, 3, 9, 10}},
		{"{strategy: asha, trials: 9, min_epochs: 2, max_epochs: 8, eta: 2}", []int{2, 4, 8}},
		{"{strategy: hyperband, trials: 9}", []int{1, 3, 9, 10}},
		{"{strategy: random, trials: 9}", nil},
		{"{strategy: grid, trials: 9, points: 3}", nil},
	} {
		src := "name: r\ndata: {kind: synthetic, synthetic: {generator: spirals, samples: 100}}\n" +
			"model: {hidden: [8]}\ntrain: {epochs: 10, batch_size: 8, learning_rate: $lr}\n" +
			"space: {lr: {float: [0.001, 0.1]}}\nsearch: " + tc.search + "\n"
		s := mustParse(t, "r.yaml", src)
		got := s.Rungs()
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: Rungs = %v, want %v", tc.search, got, tc.want)
		}
		strat, _, err := s.Strategy()
		if err != nil {
			t.Fatal(err)
		}
		if r, ok := strat.(interface{ Rungs() []int }); ok && !reflect.DeepEqual(r.Rungs(), got) {
			t.Errorf("%s: the strategy's rungs are %v, Rungs says %v", tc.search, r.Rungs(), got)
		}
	}
}
