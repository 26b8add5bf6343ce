package search

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/dltune/dltune"
)

// fuzzSpace decodes a space of up to 4 parameters from data, 8 bytes a
// parameter; every byte pattern gives some space, valid or not.
func fuzzSpace(data []byte) *Space {
	s := &Space{}
	bounds := []float64{-3, -1, 0, 0.1, 0.5, 1, 2, 3, 10, 1e-3, 1e3, math.Inf(1), math.NaN(), 2.5, 7, 64}
	steps := []float64{0, 0, 0, 0.1, 0.25, 0.5, 1, 2, 3, -1, 0.3, 16, 1e-9, 0, 0, 0}
	values := []dltune.Value{dltune.String("a"), dltune.String("b"), dltune.Int(1), dltune.Float(1), dltune.Float(0.5),
		dltune.Bool(true), dltune.Bool(false), dltune.Int(2), dltune.Int(3), dltune.Float(0.1), {}, dltune.String(""),
		dltune.Int(0), dltune.Float(2.5), dltune.Int(64), dltune.Float(math.NaN())}
	names := []string{"a", "b", "c", "d", "a", ""}
	for i := 0; i+8 <= len(data) && len(s.Params) < 4; i += 8 {
		b := data[i : i+8]
		p := Param{Name: names[int(b[0])%len(names)], Type: ParamType(b[1] % 4)}
		p.Low, p.High = bounds[b[2]%16], bounds[b[3]%16]
		p.Log = b[4]&1 != 0
		p.Step = steps[b[4]>>4]
		if b[4]&2 != 0 {
			p.Points = int(b[4]>>2&3) + 1
		}
		if p.Type == Choice {
			p.Low, p.High, p.Step, p.Points, p.Log = 0, 0, 0, 0, false
			for j := range int(b[5] % 5) {
				p.Choices = append(p.Choices, values[(int(b[6])+j*int(b[5]|1))%16])
			}
		}
		if b[7]&1 != 0 && len(s.Params) > 0 {
			parent := s.Params[int(b[7]>>1)%len(s.Params)]
			c := &Condition{Param: parent.Name}
			for j := range int(b[7]>>4%3) + 1 {
				c.Values = append(c.Values, values[(int(b[7])+j)%16])
			}
			if b[7]&8 != 0 && len(parent.Choices) > 0 {
				c.Values = parent.Choices[:1]
			}
			p.When = c
		}
		s.Params = append(s.Params, p)
	}
	return s
}

// FuzzSpace checks that Validate never panics and that on every valid
// space Sample, Grid, ToUnit and FromUnit stay in the domain.
func FuzzSpace(f *testing.F) {
	f.Add([]byte{0, 1, 2, 5, 0, 0, 0, 0, 1, 3, 0, 0, 3, 2, 0, 3})
	f.Add([]byte{0, 3, 0, 0, 0, 3, 0, 0, 1, 1, 3, 5, 0, 0, 0, 9, 2, 2, 5, 8, 1, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		s := fuzzSpace(data)
		if s.Validate() != nil {
			return
		}
		r := rand.New(rand.NewPCG(1, 2))
		for range 20 {
			p := s.Sample(r)
			if err := s.Contains(p); err != nil {
				t.Fatalf("space %+v: sample %v: %v", s.Params, p, err)
			}
			for name, v := range p {
				q, _ := s.Param(name)
				if err := q.contains(q.FromUnit(q.ToUnit(v))); err != nil {
					t.Fatalf("%s: FromUnit(ToUnit(%v)): %v", name, v, err)
				}
				if err := q.contains(q.FromUnit(r.Float64())); err != nil {
					t.Fatalf("%s: FromUnit: %v", name, err)
				}
			}
		}
		g, err := s.Grid(3)
		n, errSize := s.GridSize(3)
		if (err == nil) != (errSize == nil) {
			t.Fatalf("space %+v: Grid error %v, GridSize error %v", s.Params, err, errSize)
		}
		if err != nil {
			return // too large
		}
		if n != len(g) {
			t.Fatalf("space %+v: GridSize %d, Grid has %d points", s.Params, n, len(g))
		}
		seen := map[string]bool{}
		for _, p := range g {
			if err := s.Contains(p); err != nil {
				t.Fatalf("space %+v: grid point %v: %v", s.Params, p, err)
			}
			if seen[p.Key()] {
				t.Fatalf("grid point %v repeats", p)
			}
			seen[p.Key()] = true
		}
	})
}
