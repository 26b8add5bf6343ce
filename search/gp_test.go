package search

import (
	"math"
	"sync"
	"testing"

	"github.com/dltune/dltune"
)

// TestGPDeterministic checks that a suggestion depends only on the seed, the
// trial number, the observations and the pending trials: a resumed study,
// which builds a new GP and asks with the same history, gets the same
// answer as one that never stopped.
func TestGPDeterministic(t *testing.T) {
	s := gpMixedSpace()
	obs := gpBenchObs(s, 40)
	pending := []dltune.Params{obs[38].Params, obs[39].Params}
	obs = obs[:38]
	a, err := NewGP(s, GPOptions{Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewGP(s, GPOptions{Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	want := make([]dltune.Params, 3)
	for i := range want {
		want[i], err = a.Sample(obs, pending, 100+i)
		if err != nil {
			t.Fatal(err)
		}
		gpCheckParams(t, s, want[i])
	}
	if want[0].Equal(want[1]) && want[1].Equal(want[2]) {
		t.Errorf("trials 100-102 all got %v", want[0])
	}
	// Another sampler with the same seed, called concurrently, agrees.
	var wg sync.WaitGroup
	got := make([]dltune.Params, len(want))
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], _ = b.Sample(obs, pending, 100+i)
		}()
	}
	wg.Wait()
	for i := range got {
		if !got[i].Equal(want[i]) {
			t.Errorf("trial %d: %v, then %v", 100+i, want[i], got[i])
		}
	}
	c, err := NewGP(s, GPOptions{Seed: 8})
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := c.Sample(obs, pending, 100); p.Equal(want[0]) {
		t.Errorf("seeds 7 and 8 both propose %v", p)
	}
}

func TestGPStartupIsRandom(t *testing.T) {
	s := gpMixedSpace()
	g, err := NewGP(s, GPOptions{Seed: 1, Startup: 5})
	if err != nil {
		t.Fatal(err)
	}
	obs := gpBenchObs(s, 4)
	seen := map[string]bool{}
	for i := 0; i < 20; i++ {
		p, err := g.Sample(obs, nil, i)
		if err != nil {
			t.Fatal(err)
		}
		gpCheckParams(t, s, p)
		seen[p.Key()] = true
	}
	if len(seen) != 20 {
		t.Errorf("20 random startup trials gave %d distinct points", len(seen))
	}
}

func TestGPDegenerate(t *testing.T) {
	s := gpMixedSpace()
	base := gpBenchObs(s, 12)
	inf, nan := math.Inf(1), math.NaN()
	with := func(f func(i int, o *Observation)) []Observation {
		obs := make([]Observation, len(base))
		for i := range obs {
			obs[i] = Observation{Params: base[i].Params.Clone(), Loss: base[i].Loss}
			f(i, &obs[i])
		}
		return obs
	}
	cases := []struct {
		name    string
		obs     []Observation
		pending []dltune.Params
	}{
		{"none", nil, nil},
		{"pending only", nil, []dltune.Params{base[0].Params}},
		{"one", base[:1], nil},
		{"two", base[:2], nil},
		{"all equal", with(func(_ int, o *Observation) { o.Loss = 3 }), nil},
		{"all failed", with(func(_ int, o *Observation) { o.Loss = inf }), nil},
		{"NaN and -Inf", with(func(i int, o *Observation) {
			if i%2 == 0 {
				o.Loss = nan
			} else if i%3 == 0 {
				o.Loss = math.Inf(-1)
			}
		}), nil},
		{"duplicates", with(func(i int, o *Observation) { o.Params = base[0].Params; o.Loss = float64(i % 2) }), nil},
		{"huge losses", with(func(i int, o *Observation) { o.Loss = math.Pow(10, float64(i*25)) }), nil},
		{"foreign params", with(func(i int, o *Observation) {
			o.Params = dltune.Params{"lr": dltune.String("high"), "other": dltune.Int(i), "units": dltune.Float(-5)}
		}), []dltune.Params{{"opt": dltune.Int(3)}}},
		{"pending duplicates", base, []dltune.Params{base[0].Params, base[0].Params, base[0].Params}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g, err := NewGP(s, GPOptions{Seed: 3, Startup: -1, Candidates: 64, Restarts: 2})
			if err != nil {
				t.Fatal(err)
			}
			p, err := g.Sample(c.obs, c.pending, len(c.obs))
			if err != nil {
				t.Fatal(err)
			}
			gpCheckParams(t, s, p)
		})
	}
}

func TestGPFailedTrialsCountAsBad(t *testing.T) {
	// The loss rises from x = 0.3 and the trials below 0.3 failed. Were the
	// failures dropped, the model would extrapolate the slope below 0.3;
	// counted as bad, they keep suggestions near the edge of the failures.
	s := &Space{Params: []Param{{Name: "x", Type: FloatRange, Low: 0, High: 1}}}
	var obs []Observation
	for i := 0; i < 12; i++ {
		x := (float64(i) + 0.5) / 12
		loss := x
		if x < 0.3 {
			loss = math.Inf(1)
		}
		obs = append(obs, Observation{Params: dltune.Params{"x": dltune.Float(x)}, Loss: loss})
	}
	g, err := NewGP(s, GPOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	for n := 12; n < 17; n++ {
		p, err := g.Sample(obs, nil, n)
		if err != nil {
			t.Fatal(err)
		}
		if x := p["x"].Num; x < 0.2 || x > 0.45 {
			t.Errorf("trial %d: x = %.3f, want near the best finite trial at 0.29-0.38", n, x)
		}
	}
}

// gpNearDuplicates counts the pairs of ps closer than eps in the encoding.
func gpNearDuplicates(enc *gpEncoder, ps []dltune.Params, eps float64) int {
	us := make([][]float64, len(ps))
	for i, p := range ps {
		us[i] = make([]float64, enc.dim)
		enc.encode(p, us[i], make([]int, len(enc.params)))
	}
	count := 0
	for i := range us {
		for j := i + 1; j < len(us); j++ {
			var d float64
			for k := range us[i] {
				d += (us[i][k] - us[j][k]) * (us[i][k] - us[j][k])
			}
			if math.Sqrt(d) < eps {
				count++
			}
		}
	}
	return count
}

func TestGPPendingSpreadsSuggestions(t *testing.T) {
	// Eight workers ask for a trial at once after 20 finished ones. Without
	// the kriging believer every worker is sent to the same optimum of the
	// acquisition; with it, each pending trial flattens the acquisition
	// around itself.
	f := gpBranin()
	enc := newGPEncoder(f.space)
	const workers, eps = 8, 0.005
	var with, without int
	for seed := uint64(0); seed < 3; seed++ {
		g, err := NewGP(f.space, GPOptions{Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		var obs []Observation
		for i := 0; i < 20; i++ {
			p, _ := g.Sample(obs, nil, i)
			obs = append(obs, Observation{Params: p, Loss: f.f(p)})
		}
		var fantasy, blind []dltune.Params
		for w := 0; w < workers; w++ {
			p, _ := g.Sample(obs, fantasy, 20+w)
			fantasy = append(fantasy, p)
			q, _ := g.Sample(obs, nil, 20+w)
			blind = append(blind, q)
		}
		with += gpNearDuplicates(enc, fantasy, eps)
		without += gpNearDuplicates(enc, blind, eps)
	}
	t.Logf("near-duplicate pairs (distance < %v) over 3 seeds: %d with pending, %d without", eps, with, without)
	if with != 0 || without < 3*workers {
		t.Errorf("near-duplicate pairs: %d with pending (want 0), %d without (want ≥ %d)", with, without, 3*workers)
	}
}
