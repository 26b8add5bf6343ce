package search

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dltune/dltune"
)

var updateGolden = flag.Bool("update", false, "rewrite golden files in testdata")

// checkGolden compares got with testdata/name, or rewrites it with -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *updateGolden {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file:\ngot:\n%s\nwant:\n%s", name, got, want)
	}
}

func gridTestSpace() *Space {
	return &Space{Params: []Param{
		{Name: "opt", Type: Choice, Choices: []dltune.Value{dltune.String("sgd"), dltune.String("adam")}},
		{Name: "lr", Type: FloatRange, Low: 1e-4, High: 1e-1, Log: true, Points: 4},
		{Name: "momentum", Type: FloatRange, Low: 0.5, High: 0.9, Step: 0.2, When: &Condition{Param: "opt", Values: []dltune.Value{dltune.String("sgd")}}},
		{Name: "layers", Type: IntRange, Low: 1, High: 3},
		{Name: "dropout", Type: FloatRange, Low: 0, High: 0.3},
	}}
}

func TestGridGolden(t *testing.T) {
	// layers takes the default 3 points (1, 2, 3) and dropout too.
	g, err := gridTestSpace().Grid(3)
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	for _, p := range g {
		sb.WriteString(p.Key())
		sb.WriteByte('\n')
	}
	checkGolden(t, "grid.golden", sb.String())
	// sgd: 4 lr * 3 momentum * 3 layers * 3 dropout; adam: 4 * 3 * 3.
	if want := 4*3*3*3 + 4*3*3; len(g) != want {
		t.Errorf("%d points, want %d", len(g), want)
	}
}

func TestGridProperties(t *testing.T) {
	s := mixedTestSpace()
	s.Params[1].Step = 0.25 // dropout: 3 values, not 6
	s.Params[8].High = 32   // batch: 2 values, not 8
	g, err := s.Grid(3)
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	for _, p := range g {
		if err := s.Contains(p); err != nil {
			t.Fatalf("grid point %v: %v", p, err)
		}
		if keys[p.Key()] {
			t.Fatalf("grid point %v repeats", p)
		}
		keys[p.Key()] = true
	}
	again, _ := s.Grid(3)
	for i := range g {
		if !g[i].Equal(again[i]) {
			t.Fatalf("point %d: %v then %v: order not deterministic", i, g[i], again[i])
		}
	}
}

// TestGridSize checks that GridSize counts what Grid returns, with and
// without conditions, and refuses a conditional grid that stays too large.
func TestGridSize(t *testing.T) {
	plain := mixedTestSpace()
	for i := range plain.Params {
		plain.Params[i].When = nil
	}
	for _, tc := range []struct {
		name string
		s    *Space
	}{
		{"conditional", gridTestSpace()},
		{"mixed", mixedTestSpace()},
		{"plain", plain},
		{"empty", &Space{}},
	} {
		g, err := tc.s.Grid(3)
		if err != nil {
			t.Fatalf("%s: Grid: %v", tc.name, err)
		}
		if n, err := tc.s.GridSize(3); err != nil || n != len(g) {
			t.Errorf("%s: GridSize = %d, %v; Grid has %d points", tc.name, n, err, len(g))
		}
	}
	// 2^21 points with x = a, 1 without: the condition does not save it.
	big := &Space{Params: []Param{
		{Name: "c", Type: Choice, Choices: []dltune.Value{dltune.String("a"), dltune.String("b")}},
		{Name: "x", Type: IntRange, Low: 0, High: 1<<11 - 1, Step: 1, When: &Condition{Param: "c", Values: []dltune.Value{dltune.String("a")}}},
		{Name: "y", Type: IntRange, Low: 0, High: 1<<10 - 1, Step: 1, When: &Condition{Param: "c", Values: []dltune.Value{dltune.String("a")}}},
	}}
	if n, err := big.GridSize(3); err == nil {
		t.Errorf("GridSize of a conditional grid of 2^21+1 points = %d, want an error", n)
	}
	big.Params[1].High = 1<<9 - 1 // 2^19+1 points
	if n, err := big.GridSize(3); err != nil || n != 1<<19+1 {
		t.Errorf("GridSize = %d, %v; want %d", n, err, 1<<19+1)
	}
}

func TestGridAxes(t *testing.T) {
	tests := []struct {
		name string
		p    Param
		def  int
		want string
	}{
		{"int dedup", Param{Type: IntRange, Low: 1, High: 3}, 5, "1 2 3"},
		{"int log", Param{Type: IntRange, Low: 1, High: 1000, Log: true}, 4, "1 10 100 1000"},
		{"float points override default", Param{Type: FloatRange, Low: 0, High: 1, Points: 3}, 10, "0 0.5 1"},
		{"float step", Param{Type: FloatRange, Low: 0.1, High: 0.9, Step: 0.2}, 10, "0.1 0.3 0.5 0.7 0.9"},
		{"int step", Param{Type: IntRange, Low: 16, High: 64, Step: 16}, 10, "16 32 48 64"},
		{"single", Param{Type: FloatRange, Low: 2, High: 2}, 10, "2"},
		{"log float", Param{Type: FloatRange, Low: 1e-5, High: 1e-1, Log: true}, 5, "1e-05 0.0001 0.001 0.01 0.1"},
		{"choices", Param{Type: Choice, Choices: []dltune.Value{dltune.Bool(true), dltune.Int(3), dltune.String("x")}}, 2, "true 3 x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vals, err := tt.p.gridValues(tt.def)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, v := range vals {
				got = append(got, v.String())
			}
			if strings.Join(got, " ") != tt.want {
				t.Errorf("grid values %q, want %q", strings.Join(got, " "), tt.want)
			}
		})
	}
}

func TestGridErrors(t *testing.T) {
	tests := []struct {
		name string
		s    *Space
		def  int
	}{
		{"invalid space", &Space{Params: []Param{{Name: "x", Type: FloatRange, Low: 1, High: 0}}}, 3},
		{"default below 2", &Space{Params: []Param{{Name: "x", Type: FloatRange, Low: 0, High: 1}}}, 1},
		{"too large", &Space{Params: []Param{
			{Name: "a", Type: IntRange, Low: 0, High: 1023, Step: 1},
			{Name: "b", Type: IntRange, Low: 0, High: 1024, Step: 1},
		}}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if g, err := tt.s.Grid(tt.def); err == nil {
				t.Errorf("Grid = %d points, want an error", len(g))
			}
			if n, err := tt.s.GridSize(tt.def); err == nil {
				t.Errorf("GridSize = %d, want an error", n)
			}
		})
	}
	// defaultPoints does not matter when no range needs it.
	s := &Space{Params: []Param{{Name: "x", Type: IntRange, Low: 0, High: 4, Step: 2}}}
	if g, err := s.Grid(0); err != nil || len(g) != 3 {
		t.Errorf("Grid(0) = %v, %v; want 3 points", g, err)
	}
}
