package search

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/dltune/dltune"
)

// gpMixedSpace has every kind of parameter, including conditional ones.
func gpMixedSpace() *Space {
	return &Space{Params: []Param{
		{Name: "lr", Type: FloatRange, Low: 1e-5, High: 1e-1, Log: true},
		{Name: "dropout", Type: FloatRange, Low: 0, High: 0.5, Step: 0.1},
		{Name: "units", Type: IntRange, Low: 16, High: 1024, Log: true},
		{Name: "layers", Type: IntRange, Low: 1, High: 4},
		{Name: "opt", Type: Choice, Choices: []dltune.Value{dltune.String("sgd"), dltune.String("adam"), dltune.String("rmsprop")}},
		{Name: "momentum", Type: FloatRange, Low: 0.5, High: 0.99,
			When: &Condition{Param: "opt", Values: []dltune.Value{dltune.String("sgd"), dltune.String("rmsprop")}}},
		{Name: "nesterov", Type: Choice, Choices: []dltune.Value{dltune.Bool(false), dltune.Bool(true)},
			When: &Condition{Param: "opt", Values: []dltune.Value{dltune.String("sgd")}}},
		{Name: "width3", Type: IntRange, Low: 8, High: 256, Step: 8,
			When: &Condition{Param: "layers", Values: []dltune.Value{dltune.Int(3), dltune.Int(4)}}},
	}}
}

// gpCheckParams fails unless p is a valid point of s: every active
// parameter present with a value in its range or among its choices, on its
// step, and no inactive one.
func gpCheckParams(t *testing.T, s *Space, p dltune.Params) {
	t.Helper()
	seen := 0
	for _, q := range s.Params {
		active := q.When == nil
		if q.When != nil {
			if v, ok := p[q.When.Param]; ok && gpContainsValue(q.When.Values, v) {
				active = true
			}
		}
		v, ok := p[q.Name]
		if !active {
			if ok {
				t.Errorf("%v: inactive %s present", p, q.Name)
			}
			continue
		}
		if !ok {
			t.Errorf("%v: active %s missing", p, q.Name)
			continue
		}
		seen++
		switch q.Type {
		case Choice:
			if !gpContainsValue(q.Choices, v) {
				t.Errorf("%v: %s=%v not a choice", p, q.Name, v)
			}
		default:
			if v.Num < q.Low || v.Num > q.High || math.IsNaN(v.Num) {
				t.Errorf("%v: %s=%v outside [%v, %v]", p, q.Name, v, q.Low, q.High)
			}
			if q.Type == IntRange && (v.Kind != dltune.KindInt || v.Num != math.Round(v.Num)) {
				t.Errorf("%v: %s=%v is not an int", p, q.Name, v)
			}
			if q.Type == FloatRange && v.Kind != dltune.KindFloat {
				t.Errorf("%v: %s=%v is not a float", p, q.Name, v)
			}
			if q.Step > 0 {
				k := (v.Num - q.Low) / q.Step
				if math.Abs(k-math.Round(k)) > 1e-9 {
					t.Errorf("%v: %s=%v off its step %v", p, q.Name, v, q.Step)
				}
			}
		}
	}
	if seen != len(p) {
		t.Errorf("%v: %d names, %d active parameters", p, len(p), seen)
	}
	if err := s.Contains(p); err != nil {
		t.Errorf("%v: %v", p, err)
	}
}

func TestGPEncodeRoundTrip(t *testing.T) {
	s := gpMixedSpace()
	enc := newGPEncoder(s)
	if enc.dim != 1+1+1+1+3+1+2+1 {
		t.Fatalf("dim %d", enc.dim)
	}
	r := rand.New(rand.NewPCG(1, 1))
	u := make([]float64, enc.dim)
	u2 := make([]float64, enc.dim)
	state := make([]int, len(s.Params))
	seen := map[string]bool{}
	for i := 0; i < 2000; i++ {
		enc.random(r, u, state)
		p := enc.decode(u)
		gpCheckParams(t, s, p)
		enc.encode(p, u2, state)
		for j := range u {
			if math.Abs(u[j]-u2[j]) > 1e-12 {
				t.Fatalf("%v: encoded %v, snapped %v", p, u2, u)
			}
		}
		if q := enc.decode(u2); !q.Equal(p) {
			t.Fatalf("decode(encode(%v)) = %v", p, q)
		}
		for _, n := range []string{"momentum", "nesterov", "width3"} {
			if _, ok := p[n]; ok {
				seen[n] = true
			}
		}
		if d := p["dropout"].Num; d != math.Round(d*10)/10 {
			t.Errorf("dropout %v is not tidy", d)
		}
		// The encoding of a range agrees with Param.ToUnit.
		for j := range enc.params {
			gp := &enc.params[j]
			v, ok := p[gp.p.Name]
			if !ok || gp.p.Type == Choice {
				continue
			}
			if want := gp.p.ToUnit(v); math.Abs(u[gp.off]-want) > 1e-12 {
				t.Errorf("%s=%v: coordinate %v, ToUnit %v", gp.p.Name, v, u[gp.off], want)
			}
		}
	}
	if len(seen) != 3 {
		t.Errorf("conditional parameters seen: %v", seen)
	}
}

func TestGPEncodeLevels(t *testing.T) {
	// Every level of a discrete range is reached with about equal
	// probability, ends included.
	s := &Space{Params: []Param{{Name: "k", Type: IntRange, Low: 1, High: 4}}}
	enc := newGPEncoder(s)
	r := rand.New(rand.NewPCG(2, 2))
	count := map[int]int{}
	u := make([]float64, 1)
	for i := 0; i < 4000; i++ {
		enc.random(r, u, make([]int, 1))
		count[enc.decode(u)["k"].Int()]++
	}
	for k := 1; k <= 4; k++ {
		if count[k] < 850 || count[k] > 1150 {
			t.Errorf("level %d drawn %d times of 4000", k, count[k])
		}
	}
}

func TestGPEncodeInactive(t *testing.T) {
	enc := newGPEncoder(gpMixedSpace())
	p := dltune.Params{
		"lr": dltune.Float(1e-3), "dropout": dltune.Float(0.2), "units": dltune.Int(64),
		"layers": dltune.Int(2), "opt": dltune.String("adam"),
		"momentum": dltune.Float(0.9), // present but inactive: ignored
	}
	u := make([]float64, enc.dim)
	enc.encode(p, u, make([]int, len(enc.params)))
	mom := enc.params[5]
	nest := enc.params[6]
	if u[mom.off] != 0.5 || u[nest.off] != 0 || u[nest.off+1] != 0 {
		t.Errorf("inactive encoding: momentum %v, nesterov %v", u[mom.off], u[nest.off:nest.off+2])
	}
	if q := enc.decode(u); len(q) != 5 {
		t.Errorf("decoded %v, want the 5 active parameters", q)
	}
}

func TestGPEncodeOutOfSpace(t *testing.T) {
	// Values outside the space encode without panicking, clamped.
	enc := newGPEncoder(gpMixedSpace())
	u := make([]float64, enc.dim)
	for _, p := range []dltune.Params{
		nil,
		{"lr": dltune.Float(-1), "units": dltune.Int(1 << 20), "opt": dltune.String("lbfgs")},
		{"lr": dltune.Float(math.NaN()), "dropout": dltune.String("x"), "layers": dltune.Float(math.Inf(1))},
		{"opt": dltune.String("sgd"), "nesterov": dltune.Int(7), "layers": dltune.Int(3), "width3": dltune.Float(-3)},
	} {
		enc.encode(p, u, make([]int, len(enc.params)))
		for j, v := range u {
			if !(v >= 0 && v <= 1) {
				t.Errorf("%v: coordinate %d = %v", p, j, v)
			}
		}
	}
}

func TestNewGPErrors(t *testing.T) {
	cases := []struct {
		name  string
		space *Space
	}{
		{"nil", nil},
		{"empty", &Space{}},
		{"reversed", &Space{Params: []Param{{Name: "a", Type: FloatRange, Low: 2, High: 1}}}},
		{"infinite", &Space{Params: []Param{{Name: "a", Type: FloatRange, Low: 0, High: math.Inf(1)}}}},
		{"log zero", &Space{Params: []Param{{Name: "a", Type: FloatRange, Low: 0, High: 1, Log: true}}}},
		{"no choices", &Space{Params: []Param{{Name: "a", Type: Choice}}}},
		{"no int", &Space{Params: []Param{{Name: "a", Type: IntRange, Low: 0.2, High: 0.8}}}},
		{"bad type", &Space{Params: []Param{{Name: "a", Type: 9}}}},
		{"duplicate", &Space{Params: []Param{{Name: "a", Type: FloatRange, High: 1}, {Name: "a", Type: FloatRange, High: 1}}}},
		{"later parent", &Space{Params: []Param{
			{Name: "a", Type: FloatRange, High: 1, When: &Condition{Param: "b", Values: []dltune.Value{dltune.Int(1)}}},
			{Name: "b", Type: IntRange, Low: 0, High: 2},
		}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := NewGP(c.space, GPOptions{})
			if err == nil {
				t.Fatal("no error")
			}
			var pe *ParamError
			if c.space != nil && len(c.space.Params) > 0 && !errors.As(err, &pe) {
				t.Errorf("%v: not a *ParamError", err)
			}
		})
	}
}
