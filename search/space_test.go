package search

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/dltune/dltune"
)

// mixedTestSpace exercises every kind of parameter and a chain of conditions.
func mixedTestSpace() *Space {
	return &Space{Params: []Param{
		{Name: "lr", Type: FloatRange, Low: 1e-4, High: 0.1, Log: true},
		{Name: "dropout", Type: FloatRange, Low: 0, High: 0.5, Step: 0.1},
		{Name: "layers", Type: IntRange, Low: 1, High: 4},
		{Name: "width", Type: IntRange, Low: 8, High: 64, Log: true},
		{Name: "opt", Type: Choice, Choices: []dltune.Value{dltune.String("sgd"), dltune.String("adam"), dltune.Int(0)}},
		{Name: "momentum", Type: FloatRange, Low: 0.5, High: 0.9, Step: 0.1, When: &Condition{Param: "opt", Values: []dltune.Value{dltune.String("sgd")}}},
		{Name: "nesterov", Type: Choice, Choices: []dltune.Value{dltune.Bool(true), dltune.Bool(false)}, When: &Condition{Param: "momentum", Values: []dltune.Value{dltune.Float(0.5)}}},
		{Name: "beta2", Type: FloatRange, Low: 0.9, High: 0.999, When: &Condition{Param: "opt", Values: []dltune.Value{dltune.String("adam"), dltune.Int(0)}}},
		{Name: "batch", Type: IntRange, Low: 16, High: 128, Step: 16},
	}}
}

func TestValidate(t *testing.T) {
	choices := func(vs ...dltune.Value) []dltune.Value { return vs }
	cond := func(p string, vs ...dltune.Value) *Condition { return &Condition{Param: p, Values: vs} }
	a := Param{Name: "a", Type: Choice, Choices: choices(dltune.String("x"), dltune.Int(2), dltune.Bool(true))}
	r := Param{Name: "r", Type: FloatRange, Low: 0, High: 1, Step: 0.25}
	tests := []struct {
		name   string
		params []Param
		param  string // the name the first error names
		field  string
	}{
		{"ok", []Param{a, r, {Name: "c", Type: IntRange, Low: 1, High: 8, Log: true, When: cond("a", dltune.Int(2), dltune.Bool(true))}, {Name: "d", Type: FloatRange, Low: 1, High: 2, When: cond("r", dltune.Float(0.75))}}, "", ""},
		{"ok float step 0.1", []Param{{Name: "x", Type: FloatRange, Low: 0.1, High: 0.9, Step: 0.2}}, "", ""},
		{"ok single point", []Param{{Name: "x", Type: FloatRange, Low: 3, High: 3}}, "", ""},
		{"empty name", []Param{{Type: FloatRange, Low: 0, High: 1}}, "", "name"},
		{"duplicate name", []Param{r, r}, "r", "name"},
		{"unknown type", []Param{{Name: "x", Type: 9}}, "x", "type"},
		{"zero type", []Param{{Name: "x", Low: 0, High: 1}}, "x", "type"},
		{"low above high", []Param{{Name: "x", Type: FloatRange, Low: 2, High: 1}}, "x", "low"},
		{"nan low", []Param{{Name: "x", Type: FloatRange, Low: math.NaN(), High: 1}}, "x", "low"},
		{"inf high", []Param{{Name: "x", Type: FloatRange, Low: 0, High: math.Inf(1)}}, "x", "high"},
		{"log zero", []Param{{Name: "x", Type: FloatRange, Low: 0, High: 1, Log: true}}, "x", "low"},
		{"log negative", []Param{{Name: "x", Type: IntRange, Low: -4, High: 4, Log: true}}, "x", "low"},
		{"negative step", []Param{{Name: "x", Type: FloatRange, Low: 0, High: 1, Step: -0.1}}, "x", "step"},
		{"nan step", []Param{{Name: "x", Type: FloatRange, Low: 0, High: 1, Step: math.NaN()}}, "x", "step"},
		{"step not dividing", []Param{{Name: "x", Type: FloatRange, Low: 0, High: 1, Step: 0.3}}, "x", "step"},
		{"step beyond range", []Param{{Name: "x", Type: IntRange, Low: 0, High: 3, Step: 4}}, "x", "step"},
		{"step with log", []Param{{Name: "x", Type: FloatRange, Low: 1, High: 2, Step: 0.5, Log: true}}, "x", "step"},
		{"int fractional low", []Param{{Name: "x", Type: IntRange, Low: 0.5, High: 3}}, "x", "low"},
		{"int fractional high", []Param{{Name: "x", Type: IntRange, Low: 0, High: 3.5}}, "x", "high"},
		{"int fractional step", []Param{{Name: "x", Type: IntRange, Low: 0, High: 3, Step: 1.5}}, "x", "step"},
		{"points one", []Param{{Name: "x", Type: FloatRange, Low: 0, High: 1, Points: 1}}, "x", "points"},
		{"points negative", []Param{{Name: "x", Type: FloatRange, Low: 0, High: 1, Points: -3}}, "x", "points"},
		{"points with step", []Param{{Name: "x", Type: FloatRange, Low: 0, High: 1, Step: 0.5, Points: 3}}, "x", "points"},
		{"range with choices", []Param{{Name: "x", Type: FloatRange, Low: 0, High: 1, Choices: choices(dltune.Int(1))}}, "x", "choices"},
		{"empty choice", []Param{{Name: "x", Type: Choice}}, "x", "choices"},
		{"invalid choice value", []Param{{Name: "x", Type: Choice, Choices: []dltune.Value{{}}}}, "x", "choices"},
		{"nan choice", []Param{{Name: "x", Type: Choice, Choices: choices(dltune.Float(math.NaN()))}}, "x", "choices"},
		{"repeated choice", []Param{{Name: "x", Type: Choice, Choices: choices(dltune.Int(1), dltune.Float(1))}}, "x", "choices"},
		{"choice with log", []Param{{Name: "x", Type: Choice, Choices: choices(dltune.Int(1)), Log: true}}, "x", "log"},
		{"choice with range", []Param{{Name: "x", Type: Choice, Choices: choices(dltune.Int(1)), High: 3}}, "x", "low"},
		{"choice with step", []Param{{Name: "x", Type: Choice, Choices: choices(dltune.Int(1)), Step: 1}}, "x", "step"},
		{"choice with points", []Param{{Name: "x", Type: Choice, Choices: choices(dltune.Int(1)), Points: 3}}, "x", "points"},
		{"condition unknown", []Param{a, {Name: "x", Type: FloatRange, High: 1, When: cond("nope", dltune.Int(1))}}, "x", "when"},
		{"condition later", []Param{{Name: "x", Type: FloatRange, High: 1, When: cond("a", dltune.Int(2))}, a}, "x", "when"},
		{"condition self", []Param{{Name: "x", Type: FloatRange, High: 1, When: cond("x", dltune.Int(0))}}, "x", "when"},
		{"condition no param", []Param{{Name: "x", Type: FloatRange, High: 1, When: cond("")}}, "x", "when"},
		{"condition no values", []Param{a, {Name: "x", Type: FloatRange, High: 1, When: cond("a")}}, "x", "when"},
		{"condition value not a choice", []Param{a, {Name: "x", Type: FloatRange, High: 1, When: cond("a", dltune.String("y"))}}, "x", "when"},
		{"condition value off step", []Param{r, {Name: "x", Type: FloatRange, High: 1, When: cond("r", dltune.Float(0.3))}}, "x", "when"},
		{"condition value out of range", []Param{r, {Name: "x", Type: FloatRange, High: 1, When: cond("r", dltune.Float(2))}}, "x", "when"},
		{"condition value not a number", []Param{r, {Name: "x", Type: FloatRange, High: 1, When: cond("r", dltune.String("0.5"))}}, "x", "when"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := (&Space{Params: tt.params}).Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			var pe *ParamError
			if !errors.As(err, &pe) {
				t.Fatalf("Validate = %v, want a *ParamError", err)
			}
			if pe.Param != tt.param || pe.Field != tt.field {
				t.Errorf("Validate = %v: names param %q field %q, want %q %q", err, pe.Param, pe.Field, tt.param, tt.field)
			}
			if !strings.Contains(err.Error(), tt.field+":") {
				t.Errorf("message %q does not name field %q", err, tt.field)
			}
		})
	}
}

func TestValidateTestSpace(t *testing.T) {
	if err := mixedTestSpace().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestParam(t *testing.T) {
	s := mixedTestSpace()
	p, ok := s.Param("width")
	if !ok || p != &s.Params[3] {
		t.Fatalf("Param(width) = %p, %v; want &Params[3]", p, ok)
	}
	if p, ok := s.Param("nope"); ok || p != nil {
		t.Errorf("Param(nope) = %v, %v; want nil, false", p, ok)
	}
}

func TestActive(t *testing.T) {
	s := mixedTestSpace()
	sgd := dltune.Params{"opt": dltune.String("sgd"), "momentum": dltune.Float(0.5)}
	tests := []struct {
		name  string
		p     dltune.Params
		param string
		want  bool
	}{
		{"unconditional", dltune.Params{}, "lr", true},
		{"unknown", sgd, "nope", false},
		{"condition holds", sgd, "momentum", true},
		{"condition fails", sgd, "beta2", false},
		{"second value", dltune.Params{"opt": dltune.Int(0)}, "beta2", true},
		{"int equals float", dltune.Params{"opt": dltune.Float(0)}, "beta2", true},
		{"parent absent", dltune.Params{}, "momentum", false},
		{"chain holds", sgd, "nesterov", true},
		{"chain broken at root", dltune.Params{"opt": dltune.String("adam"), "momentum": dltune.Float(0.5)}, "nesterov", false},
		{"chain broken at parent", dltune.Params{"opt": dltune.String("sgd"), "momentum": dltune.Float(0.6)}, "nesterov", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := s.Active(tt.p, tt.param); got != tt.want {
				t.Errorf("Active(%v, %q) = %v, want %v", tt.p, tt.param, got, tt.want)
			}
		})
	}
}

func TestContains(t *testing.T) {
	s := mixedTestSpace()
	good := dltune.Params{
		"lr": dltune.Float(0.01), "dropout": dltune.Float(0.3), "layers": dltune.Int(2), "width": dltune.Int(64),
		"opt": dltune.String("sgd"), "momentum": dltune.Float(0.5), "nesterov": dltune.Bool(false), "batch": dltune.Int(48),
	}
	with := func(name string, v dltune.Value) dltune.Params {
		p := good.Clone()
		if v.Kind == 0 {
			delete(p, name)
		} else {
			p[name] = v
		}
		return p
	}
	tests := []struct {
		name string
		p    dltune.Params
		bad  string // the parameter the error names, "" for a valid point
	}{
		{"valid", good, ""},
		{"int as float", with("layers", dltune.Float(3)), ""},
		{"float bound", with("lr", dltune.Float(0.1)), ""},
		{"step after rounding", with("dropout", dltune.Float(0.1+0.2)), ""},
		{"missing", with("lr", dltune.Value{}), "lr"},
		{"missing conditional", with("nesterov", dltune.Value{}), "nesterov"},
		{"inactive present", with("beta2", dltune.Float(0.95)), "beta2"},
		{"unknown", with("zzz", dltune.Int(1)), "zzz"},
		{"below range", with("lr", dltune.Float(1e-5)), "lr"},
		{"off step", with("dropout", dltune.Float(0.25)), "dropout"},
		{"int fraction", with("layers", dltune.Float(2.5)), "layers"},
		{"int off step", with("batch", dltune.Int(40)), "batch"},
		{"not a choice", with("opt", dltune.String("rmsprop")), "opt"},
		{"string for range", with("lr", dltune.String("0.01")), "lr"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.Contains(tt.p)
			switch {
			case tt.bad == "" && err != nil:
				t.Fatalf("Contains = %v, want nil", err)
			case tt.bad != "" && err == nil:
				t.Fatalf("Contains = nil, want an error naming %q", tt.bad)
			case tt.bad != "" && !strings.Contains(err.Error(), `"`+tt.bad+`"`):
				t.Errorf("Contains = %v, want it to name %q", err, tt.bad)
			}
		})
	}
}

// TestSampleInDomain draws many points from many seeds: each must be a
// point of the space, values must have the promised kinds, and every value
// of the discrete parameters and both branches of each condition must turn
// up.
func TestSampleInDomain(t *testing.T) {
	s := mixedTestSpace()
	seen := map[string]map[string]bool{}
	for seed := range uint64(2000) {
		p := s.Sample(rand.New(rand.NewPCG(seed, 7)))
		if err := s.Contains(p); err != nil {
			t.Fatalf("seed %d: %v: %v", seed, p, err)
		}
		for name, v := range p {
			q, _ := s.Param(name)
			want := dltune.KindFloat
			if q.Type == IntRange {
				want = dltune.KindInt
			}
			if q.Type != Choice && v.Kind != want {
				t.Fatalf("seed %d: %s = %v has kind %v, want %v", seed, name, v, v.Kind, want)
			}
			if seen[name] == nil {
				seen[name] = map[string]bool{}
			}
			seen[name][v.String()] = true
		}
	}
	for name, want := range map[string]int{"dropout": 6, "layers": 4, "opt": 3, "momentum": 5, "nesterov": 2, "batch": 8} {
		if got := len(seen[name]); got != want {
			t.Errorf("%s took %d distinct values, want %d: %v", name, got, want, seen[name])
		}
	}
	if !seen["width"]["8"] || !seen["width"]["64"] {
		t.Errorf("log int width never reached its bounds: 8 %v, 64 %v", seen["width"]["8"], seen["width"]["64"])
	}
}

// TestSampleLogUniform checks that a log range is uniform in log space:
// about half the draws of [1e-4, 1] fall below 1e-2.
func TestSampleLogUniform(t *testing.T) {
	s := &Space{Params: []Param{{Name: "x", Type: FloatRange, Low: 1e-4, High: 1, Log: true}}}
	r := rand.New(rand.NewPCG(1, 2))
	below := 0
	const n = 20000
	for range n {
		if s.Sample(r)["x"].Num < 1e-2 {
			below++
		}
	}
	if f := float64(below) / n; math.Abs(f-0.5) > 0.02 {
		t.Errorf("fraction below 1e-2 = %v, want 0.5", f)
	}
}

func TestSampleDeterministic(t *testing.T) {
	s := mixedTestSpace()
	a := s.Sample(rand.New(rand.NewPCG(5, 9)))
	b := s.Sample(rand.New(rand.NewPCG(5, 9)))
	if !a.Equal(b) {
		t.Fatalf("same seed, different points: %v and %v", a, b)
	}
	if c := s.Sample(rand.New(rand.NewPCG(5, 10))); a.Equal(c) {
		t.Fatalf("different streams, same point %v", a)
	}
}

func TestUnitRoundTrip(t *testing.T) {
	s := mixedTestSpace()
	r := rand.New(rand.NewPCG(3, 3))
	for range 500 {
		p := s.Sample(r)
		for name, v := range p {
			q, _ := s.Param(name)
			u := q.ToUnit(v)
			if u < 0 || u > 1 || math.IsNaN(u) {
				t.Fatalf("%s: ToUnit(%v) = %v, outside [0, 1]", name, v, u)
			}
			back := q.FromUnit(u)
			ok := back.Equal(v)
			if q.Type == FloatRange && q.Step == 0 {
				ok = math.Abs(back.Num-v.Num) <= 1e-12*math.Abs(v.Num)
			}
			if !ok {
				t.Fatalf("%s: FromUnit(ToUnit(%v)) = %v", name, v, back)
			}
		}
	}
	tests := []struct {
		name string
		p    Param
		u    float64
		want dltune.Value
	}{
		{"int lower cell", Param{Type: IntRange, Low: 1, High: 4}, 0.2, dltune.Int(1)},
		{"int upper end", Param{Type: IntRange, Low: 1, High: 4}, 1, dltune.Int(4)},
		{"int second cell", Param{Type: IntRange, Low: 1, High: 4}, 0.3, dltune.Int(2)},
		{"log middle", Param{Type: FloatRange, Low: 1e-4, High: 1, Log: true}, 0.5, dltune.Float(1e-2)},
		{"clamped", Param{Type: FloatRange, Low: 0, High: 2}, 7, dltune.Float(2)},
		{"choice", Param{Type: Choice, Choices: []dltune.Value{dltune.String("a"), dltune.String("b")}}, 0.75, dltune.String("b")},
		{"choice end", Param{Type: Choice, Choices: []dltune.Value{dltune.String("a"), dltune.String("b")}}, 1, dltune.String("b")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.p.FromUnit(tt.u)
			if math.Abs(got.Num-tt.want.Num) > 1e-12 || got.Kind != tt.want.Kind || got.Str != tt.want.Str {
				t.Errorf("FromUnit(%v) = %#v, want %#v", tt.u, got, tt.want)
			}
		})
	}
	if u := (&Param{Type: Choice, Choices: []dltune.Value{dltune.Int(1)}}).ToUnit(dltune.Int(2)); !math.IsNaN(u) {
		t.Errorf("ToUnit of a missing choice = %v, want NaN", u)
	}
}

func BenchmarkSpaceSample(b *testing.B) {
	s := mixedTestSpace()
	r := rand.New(rand.NewPCG(1, 1))
	b.ReportAllocs()
	for b.Loop() {
		s.Sample(r)
	}
}
