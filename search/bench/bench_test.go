package bench

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/search"
)

// TestFunctions checks each built-in function: a valid space, the optimum
// reached at its documented argmin, and never beaten by random points.
func TestFunctions(t *testing.T) {
	f := dltune.Float
	argmin := map[string]dltune.Params{
		"branin": {"x1": f(math.Pi), "x2": f(2.275)},
		"hartmann6": {"x1": f(0.20169), "x2": f(0.150011), "x3": f(0.476874),
			"x4": f(0.275332), "x5": f(0.311652), "x6": f(0.6573)},
		"styblinski-tang10": {},
		"mixed": {"opt": dltune.String("sgd"), "lr": f(math.Pow(10, -1.5)), "momentum": f(0.9), "layers": dltune.Int(3),
			"width": dltune.Int(128), "batchnorm": dltune.Bool(true), "dropout": f(0), "act": dltune.String("relu"), "batch": dltune.Int(64)},
	}
	for i := range 10 {
		argmin["styblinski-tang10"]["u"+string(rune('0'+i))] = f(math.Pow(10, -2.903534))
	}
	argmin["rastrigin6"], argmin["schwefel4"] = dltune.Params{}, dltune.Params{}
	for i := range 6 {
		argmin["rastrigin6"]["x"+string(rune('0'+i))] = f(0)
	}
	for i := range 4 {
		argmin["schwefel4"]["x"+string(rune('0'+i))] = f(schwefelArgmin)
	}
	argmin["hartmann6-noisy"], argmin["branin-noisy"] = argmin["hartmann6"], argmin["branin"]
	argmin["ackley5"], argmin["levy6"] = dltune.Params{}, dltune.Params{}
	for i := range 6 {
		if i < 5 {
			argmin["ackley5"]["x"+string(rune('0'+i))] = f(0)
		}
		argmin["levy6"]["x"+string(rune('0'+i))] = f(1)
	}
	str := dltune.String
	argmin["pipeline"] = dltune.Params{"model": str("boosted"), "depth": dltune.Int(5), "eta": f(math.Pow(10, -1.5)),
		"loss": str("huber"), "delta": f(1), "bins": f(64), "scale": str("standard")}
	for _, fn := range Functions() {
		t.Run(fn.Name, func(t *testing.T) {
			if err := fn.Space.Validate(); err != nil {
				t.Fatal(err)
			}
			p := argmin[fn.Name]
			if err := fn.Space.Contains(p); err != nil {
				t.Fatalf("argmin %v: %v", p, err)
			}
			if y := fn.Eval(p); math.Abs(y-fn.Optimum) > 1e-5*math.Max(1, math.Abs(fn.Optimum)) {
				t.Errorf("f(argmin) = %.8g, want the optimum %.8g", y, fn.Optimum)
			}
			r := rand.New(rand.NewPCG(1, 1))
			for range 2000 {
				q := fn.Space.Sample(r)
				if y := fn.Eval(q); y < fn.Optimum-1e-9 || math.IsNaN(y) {
					t.Fatalf("f(%v) = %v is below the optimum %v", q, y, fn.Optimum)
				}
			}
			if held := fn.Name != "branin" && fn.Name != "hartmann6" && fn.Name != "styblinski-tang10" && fn.Name != "mixed"; fn.HeldOut != held {
				t.Errorf("HeldOut = %v, want %v", fn.HeldOut, held)
			}
			if g, ok := Lookup(fn.Name); !ok || g.Name != fn.Name {
				t.Errorf("Lookup(%q) = %v, %v", fn.Name, g.Name, ok)
			}
		})
	}
	if _, ok := Lookup("nope"); ok {
		t.Error("Lookup(nope) succeeded")
	}
	if n := len(Functions()); n != 11 {
		t.Errorf("%d functions, want 11", n)
	}
}

// TestRunNoise checks that a noisy function's sampler sees noisy losses
// while the regret is the noiseless value at the point observed best.
func TestRunNoise(t *testing.T) {
	fn := NoisyBranin()
	rec := &recorder{s: search.NewRandomSampler(fn.Space, 3)}
	best, _, err := Run(context.Background(), fn, rec, 60, 3)
	if err != nil {
		t.Fatal(err)
	}
	noisy, lowest, want := 0, math.Inf(1), 0.0
	for i, o := range rec.seen {
		y := fn.Eval(o.Params)
		if o.Loss != y {
			noisy++
		}
		if o.Loss < lowest {
			lowest, want = o.Loss, y
		}
		if i < len(best) && best[i] != want {
			t.Fatalf("trial %d: best %v, want the noiseless %v at the lowest observation", i, best[i], want)
		}
	}
	if len(rec.seen) != 59 || noisy < 58 {
		t.Errorf("%d of %d observations carry noise", noisy, len(rec.seen))
	}
	again, _, _ := Run(context.Background(), fn, search.NewRandomSampler(fn.Space, 3), 60, 3)
	if again[59] != best[59] {
		t.Errorf("not deterministic in the seed: %v then %v", best[59], again[59])
	}
}

// recorder passes through to s and keeps the observations it was last
// given.
type recorder struct {
	s    search.Sampler
	seen []search.Observation
}

func (r *recorder) Sample(obs []search.Observation, pending []dltune.Params, n int) (dltune.Params, error) {
	r.seen = obs // trials 0..n-1 as the sampler saw them
	return r.s.Sample(obs, pending, n)
}

// TestTPEBeatsRandom is the quality bar of issue 4: on Branin over 20
// seeds, the median regret of TPE after 50 trials (both variants) is well
// below random search's.
func TestTPEBeatsRandom(t *testing.T) {
	res, err := Compare(context.Background(), []Function{Branin()}, []string{"random", "tpe", "tpe-univariate"}, 50, 20, DefaultRegistry().New)
	if err != nil {
		t.Fatal(err)
	}
	random := res[0].Regret[50].Median
	for _, r := range res[1:] {
		got := r.Regret[50].Median
		t.Logf("branin, 20 seeds, median regret after 50 trials: %s %.4g, random %.4g", r.Strategy, got, random)
		if got > random/3 {
			t.Errorf("%s: median regret %.4g after 50 trials, random %.4g: want at most a third", r.Strategy, got, random)
		}
	}
}

// TestMixedTPEBeatsRandom checks the conditional and mixed parameters: TPE
// must beat random search on the mixed function too.
func TestMixedTPEBeatsRandom(t *testing.T) {
	res, err := Compare(context.Background(), []Function{Mixed()}, []string{"random", "tpe"}, 50, 10, DefaultRegistry().New)
	if err != nil {
		t.Fatal(err)
	}
	random, tpe := res[0].Regret[50].Median, res[1].Regret[50].Median
	t.Logf("mixed, 10 seeds, median regret after 50 trials: tpe %.4g, random %.4g", tpe, random)
	if tpe > random*0.75 {
		t.Errorf("mixed: tpe median regret %.4g, random %.4g", tpe, random)
	}
}

func TestCompareDeterministic(t *testing.T) {
	run := func() []Result {
		res, err := Compare(context.Background(), []Function{Branin(), Mixed()}, []string{"tpe", "random"}, 30, 4, DefaultRegistry().New)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	a, b := run(), run()
	if len(a) != 4 {
		t.Fatalf("%d results, want 4", len(a))
	}
	for i := range a {
		if a[i].Function != b[i].Function || a[i].Strategy != b[i].Strategy {
			t.Fatalf("result %d: %s/%s then %s/%s", i, a[i].Function, a[i].Strategy, b[i].Function, b[i].Strategy)
		}
		for _, c := range []int{25, 30} {
			if a[i].Regret[c] != b[i].Regret[c] {
				t.Errorf("%s/%s after %d: %+v then %+v", a[i].Function, a[i].Strategy, c, a[i].Regret[c], b[i].Regret[c])
			}
		}
	}
	if a[0].Function != "branin" || a[0].Strategy != "tpe" || a[1].Strategy != "random" || a[2].Function != "mixed" {
		t.Errorf("results out of order: %s/%s, %s/%s, %s/...", a[0].Function, a[0].Strategy, a[1].Function, a[1].Strategy, a[2].Function)
	}
}

func TestCompareErrors(t *testing.T) {
	reg := DefaultRegistry()
	if _, err := Compare(context.Background(), Functions(), []string{"random", "nope"}, 5, 2, reg.New); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("unknown strategy: %v", err)
	}
	if _, err := Compare(context.Background(), Functions(), []string{"random"}, 0, 2, reg.New); err == nil {
		t.Error("0 trials: no error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Compare(ctx, Functions(), []string{"random"}, 5, 2, reg.New); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// outside proposes a point outside every built-in space.
type outside struct{}

func (outside) Sample([]search.Observation, []dltune.Params, int) (dltune.Params, error) {
	return dltune.Params{"x1": dltune.Float(99)}, nil
}

func TestRun(t *testing.T) {
	best, dt, err := Run(context.Background(), Branin(), search.NewRandomSampler(Branin().Space, 1), 40, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(best) != 40 || dt < 0 {
		t.Fatalf("%d values, %v per suggestion", len(best), dt)
	}
	for i := 1; i < len(best); i++ {
		if best[i] > best[i-1] {
			t.Fatalf("best-so-far rose at trial %d: %v", i, best)
		}
	}
	if _, _, err := Run(context.Background(), Branin(), outside{}, 3, 1); err == nil {
		t.Error("a sampler proposing outside the space: no error")
	}
}

func TestCheckpoints(t *testing.T) {
	tests := []struct {
		trials int
		want   string
	}{
		{100, "[25 50 100]"}, {30, "[25 30]"}, {10, "[10]"}, {200, "[25 50 100 200]"}, {50, "[25 50]"},
	}
	for _, tt := range tests {
		b, _ := json.Marshal(Checkpoints(tt.trials))
		if got := strings.ReplaceAll(string(b), ",", " "); got != tt.want {
			t.Errorf("Checkpoints(%d) = %s, want %s", tt.trials, got, tt.want)
		}
	}
}

func TestQuartiles(t *testing.T) {
	q := quartiles([]float64{5, 1, 4, 2, 3})
	if q != (Quartiles{Median: 3, Q1: 2, Q3: 4}) {
		t.Errorf("quartiles of 1..5 = %+v", q)
	}
	q = quartiles([]float64{4, 1, 3, 2})
	if q != (Quartiles{Median: 2.5, Q1: 1.75, Q3: 3.25}) {
		t.Errorf("quartiles of 1..4 = %+v", q)
	}
}

func TestResultJSON(t *testing.T) {
	r := Result{Function: "branin", Strategy: "tpe", MsPerSuggest: 0.5, Regret: Regret{
		100: {Median: 0.01, Q1: 0.005, Q3: 0.02},
		25:  {Median: 1, Q1: 0.5, Q3: 2},
		50:  {Median: 0.1, Q1: 0.05, Q3: 0.2},
	}}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"function":"branin","strategy":"tpe","held_out":false,"regret":{"25":{"median":1,"q1":0.5,"q3":2},"50":{"median":0.1,"q1":0.05,"q3":0.2},"100":{"median":0.01,"q1":0.005,"q3":0.02}},"ms_per_suggest":0.5}`
	if string(b) != want {
		t.Errorf("JSON:\n%s\nwant\n%s", b, want)
	}
	var back Result
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Regret[100] != r.Regret[100] || back.Function != "branin" || back.MsPerSuggest != 0.5 {
		t.Errorf("round trip: %+v", back)
	}
}

func TestWriteTable(t *testing.T) {
	var sb strings.Builder
	res := []Result{{Function: "branin", Strategy: "tpe", Regret: Regret{25: {1, 0.5, 2}, 50: {0.1, 0.05, 0.2}}, MsPerSuggest: 0.25},
		{Function: "pipeline", Strategy: "tpe", HeldOut: true, Regret: Regret{25: {3, 2, 4}, 50: {2, 1, 3}}, MsPerSuggest: 0.5}}
	if err := WriteTable(&sb, res); err != nil {
		t.Fatal(err)
	}
	want := "GROUP     FUNCTION  STRATEGY  REGRET@25 [Q1, Q3]  REGRET@50 [Q1, Q3]  MS/SUGGEST\n" +
		"tuned     branin    tpe       1 [0.5, 2]          0.1 [0.05, 0.2]     0.250\n" +
		"held-out  pipeline  tpe       3 [2, 4]            2 [1, 3]            0.500\n"
	if sb.String() != want {
		t.Errorf("table:\n%s\nwant\n%s", sb.String(), want)
	}
}

func TestRegistry(t *testing.T) {
	reg := DefaultRegistry()
	if got := strings.Join(reg.Names(), ","); got != "gp,random,tpe,tpe-univariate" {
		t.Errorf("Names = %s", got)
	}
	for _, name := range reg.Names() {
		s, err := reg.New(name, Branin().Space, 1)
		if err != nil || s == nil {
			t.Errorf("New(%q) = %v, %v", name, s, err)
		}
	}
	_, err := reg.New("cmaes", Branin().Space, 1)
	if err == nil || !strings.Contains(err.Error(), "gp, random, tpe, tpe-univariate") {
		t.Errorf("New(cmaes) = %v, want an error listing the strategies", err)
	}
	bad := &search.Space{Params: []search.Param{{Name: "x"}}}
	if _, err := reg.New("tpe", bad, 1); err == nil {
		t.Error("tpe on an invalid space: no error")
	}
}
