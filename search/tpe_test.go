package search

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/dltune/dltune"
)

// bowlObservations returns n observations of space at random points with the loss
// sum over parameters of (ToUnit - 0.3)², choices at their unit position.
func bowlObservations(space *Space, n int, seed uint64) []Observation {
	r := rand.New(rand.NewPCG(seed, 99))
	obs := make([]Observation, n)
	for i := range obs {
		p := space.Sample(r)
		obs[i] = Observation{Params: p, Loss: bowlLoss(space, p)}
	}
	return obs
}

func bowlLoss(space *Space, p dltune.Params) float64 {
	loss := 0.0
	for name, v := range p {
		q, _ := space.Param(name)
		u := q.ToUnit(v)
		loss += (u - 0.3) * (u - 0.3)
	}
	return loss
}

func TestNewTPEErrors(t *testing.T) {
	good := unitCubeSpace(2)
	tests := []struct {
		name  string
		space *Space
		opt   TPEOptions
	}{
		{"invalid space", &Space{Params: []Param{{Name: "x", Type: FloatRange, Low: 1, High: 0}}}, TPEOptions{}},
		{"negative startup", good, TPEOptions{Startup: -1}},
		{"negative candidates", good, TPEOptions{Candidates: -1}},
		{"negative prior", good, TPEOptions{PriorWeight: -1}},
		{"nan prior", good, TPEOptions{PriorWeight: math.NaN()}},
		{"negative bandwidth", good, TPEOptions{Bandwidth: -0.1}},
		{"infinite clip", good, TPEOptions{MagicClip: math.Inf(1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewTPE(tt.space, tt.opt); err == nil {
				t.Error("NewTPE succeeded, want an error")
			}
		})
	}
}

// TestTPEStartupIsRandom: below Startup observations TPE proposes exactly
// what a RandomSampler with the same seed does.
func TestTPEStartupIsRandom(t *testing.T) {
	space := mixedTestSpace()
	tpe, err := NewTPE(space, TPEOptions{Seed: 42, Startup: 5})
	if err != nil {
		t.Fatal(err)
	}
	rs := NewRandomSampler(space, 42)
	obs := bowlObservations(space, 4, 1)
	for n := range 8 {
		got, _ := tpe.Sample(obs, nil, n)
		want, _ := rs.Sample(obs, nil, n)
		if !got.Equal(want) {
			t.Fatalf("trial %d: TPE %v, random %v", n, got, want)
		}
	}
	obs = bowlObservations(space, 5, 1)
	got, _ := tpe.Sample(obs, nil, 7)
	if want, _ := rs.Sample(obs, nil, 7); got.Equal(want) {
		t.Fatalf("at Startup observations TPE still samples at random: %v", got)
	}
}

// TestTPEDeterministic: the same observations and number give the same
// proposal, from a fresh sampler or one that served other calls; another
// number gives another.
func TestTPEDeterministic(t *testing.T) {
	for _, opt := range []TPEOptions{{Seed: 3}, {Seed: 3, Univariate: true}} {
		space := mixedTestSpace()
		obs := bowlObservations(space, 60, 2)
		pending := []dltune.Params{obs[0].Params, obs[1].Params}
		a, _ := NewTPE(space, opt)
		b, _ := NewTPE(space, opt)
		p1, err := a.Sample(obs, pending, 60)
		if err != nil {
			t.Fatal(err)
		}
		b.Sample(obs[:30], nil, 30) // dirty b's scratch buffers
		b.Sample(obs, nil, 61)
		p2, _ := b.Sample(obs, pending, 60)
		if !p1.Equal(p2) {
			t.Errorf("univariate %v: same arguments, different proposals:\n%v\n%v", opt.Univariate, p1, p2)
		}
		if p3, _ := a.Sample(obs, pending, 62); p1.Equal(p3) {
			t.Errorf("univariate %v: trials 60 and 62 got the same proposal %v", opt.Univariate, p1)
		}
	}
}

// TestTPEInDomain checks that every proposal is a point of the space,
// conditional parameters included, across modes and observation counts,
// also when observations lie outside the space.
func TestTPEInDomain(t *testing.T) {
	space := mixedTestSpace()
	obs := bowlObservations(space, 120, 5)
	// Observations from an older space: out of range, unknown choice,
	// a missing parameter, a string where a number belongs, a NaN loss.
	weird := []dltune.Params{
		{"lr": dltune.Float(5), "dropout": dltune.Float(0.33), "layers": dltune.Int(9), "width": dltune.Int(1), "opt": dltune.String("rmsprop"), "batch": dltune.Int(7)},
		{"lr": dltune.String("x"), "opt": dltune.String("sgd"), "momentum": dltune.Float(0.5)},
	}
	for _, w := range weird {
		obs = append(obs, Observation{Params: w, Loss: -1})
	}
	obs = append(obs, Observation{Params: obs[3].Params, Loss: math.NaN()})
	for _, opt := range []TPEOptions{{}, {Univariate: true}, {IgnorePending: true}} {
		tpe, err := NewTPE(space, opt)
		if err != nil {
			t.Fatal(err)
		}
		for n := 10; n < len(obs); n += 7 {
			p, err := tpe.Sample(obs[:n], []dltune.Params{obs[n].Params}, n)
			if err != nil {
				t.Fatal(err)
			}
			if err := space.Contains(p); err != nil {
				t.Fatalf("%+v trial %d: proposal %v: %v", opt, n, p, err)
			}
		}
	}
}

// TestTPELearns: on a quadratic bowl TPE's proposals after 60 observations
// are much closer to the optimum than random points.
func TestTPELearns(t *testing.T) {
	space := &Space{Params: []Param{
		{Name: "a", Type: FloatRange, Low: 0, High: 1},
		{Name: "b", Type: FloatRange, Low: 1e-3, High: 1e3, Log: true},
		{Name: "c", Type: IntRange, Low: 0, High: 20},
		{Name: "d", Type: Choice, Choices: stringChoices("w", "x", "y", "z")},
	}}
	for _, opt := range []TPEOptions{{}, {Univariate: true}} {
		tpe, _ := NewTPE(space, opt)
		obs := bowlObservations(space, 10, 7)
		for n := 10; n < 60; n++ {
			p, _ := tpe.Sample(obs, nil, n)
			obs = append(obs, Observation{Params: p, Loss: bowlLoss(space, p)})
		}
		var tpeLoss, randLoss float64
		for _, o := range obs[40:] {
			tpeLoss += o.Loss
		}
		for _, o := range bowlObservations(space, 20, 8) {
			randLoss += o.Loss
		}
		if tpeLoss > randLoss/4 {
			t.Errorf("univariate %v: mean loss of the last 20 proposals %v, random %v", opt.Univariate, tpeLoss/20, randLoss/20)
		}
	}
}

// TestTPEFailedAreBad: failed trials steer proposals away from where they
// failed. The successes are best at the edge of the failing region, so a
// sampler that ignored failures would propose into it (the comparison
// below checks that it does).
func TestTPEFailedAreBad(t *testing.T) {
	space := unitCubeSpace(1)
	var all, succeeded []Observation
	for i := range 40 {
		x := float64(i) / 40
		o := Observation{Params: dltune.Params{"a": dltune.Float(x)}, Loss: math.Inf(1)}
		if x >= 0.5 {
			o.Loss = x
			succeeded = append(succeeded, o)
		}
		all = append(all, o)
	}
	failing := func(obs []Observation) int {
		tpe, _ := NewTPE(space, TPEOptions{Seed: 1})
		n := 0
		for i := range 100 {
			p, _ := tpe.Sample(obs, nil, 40+i)
			if p["a"].Num < 0.5 {
				n++
			}
		}
		return n
	}
	with, without := failing(all), failing(succeeded)
	t.Logf("proposals in the failing half, of 100: %d counting failures, %d ignoring them", with, without)
	if with > 10 || without < 2*with+10 {
		t.Errorf("proposals in the failing half, of 100: %d counting failures, %d ignoring them", with, without)
	}
}

// countNearDuplicates counts the pairs of points closer than eps in the unit
// cube of space.
func countNearDuplicates(space *Space, ps []dltune.Params, eps float64) int {
	n := 0
	for i := range ps {
		for j := range i {
			d := 0.0
			for k := range space.Params {
				q := &space.Params[k]
				u := q.ToUnit(ps[i][q.Name]) - q.ToUnit(ps[j][q.Name])
				d += u * u
			}
			if math.Sqrt(d) < eps {
				n++
			}
		}
	}
	return n
}

// TestTPEConstantLiar simulates 8 parallel workers asking for trials
// while none has finished: with the constant liar the 8 proposals spread
// out; without it they pile up near the best observation.
func TestTPEConstantLiar(t *testing.T) {
	space := unitCubeSpace(2)
	dups := map[bool]int{}
	for seed := range uint64(10) {
		obs := bowlObservations(space, 30, seed)
		for _, ignore := range []bool{false, true} {
			tpe, _ := NewTPE(space, TPEOptions{Seed: seed, IgnorePending: ignore})
			var pending []dltune.Params
			for n := 30; n < 38; n++ {
				p, _ := tpe.Sample(obs, pending, n)
				pending = append(pending, p)
			}
			dups[ignore] += countNearDuplicates(space, pending, 0.05)
		}
	}
	t.Logf("near-duplicate pairs among 8 parallel proposals, 10 seeds: liar %d, no liar %d", dups[false], dups[true])
	if dups[true] < 10 || dups[false]*4 > dups[true] {
		t.Errorf("near-duplicate pairs: with the constant liar %d, without %d; want far fewer with", dups[false], dups[true])
	}
}

// TestTPEConditional: parameters of a branch are modelled on the trials
// that took it, and a branch seen in fewer than Startup trials is sampled
// at random.
func TestTPEConditional(t *testing.T) {
	space := &Space{Params: []Param{
		{Name: "opt", Type: Choice, Choices: stringChoices("sgd", "adam")},
		{Name: "m", Type: FloatRange, Low: 0, High: 1, When: &Condition{Param: "opt", Values: stringChoices("sgd")}},
		{Name: "b", Type: FloatRange, Low: 0, High: 1, When: &Condition{Param: "opt", Values: stringChoices("adam")}},
	}}
	loss := func(p dltune.Params) float64 {
		if p["opt"].Str == "sgd" {
			return math.Abs(p["m"].Num - 0.8)
		}
		return 0.5 + math.Abs(p["b"].Num-0.2)
	}
	tpe, _ := NewTPE(space, TPEOptions{Seed: 9})
	var obs []Observation
	for n := range 80 {
		p, err := tpe.Sample(obs, nil, n)
		if err != nil {
			t.Fatal(err)
		}
		if err := space.Contains(p); err != nil {
			t.Fatal(err)
		}
		obs = append(obs, Observation{Params: p, Loss: loss(p)})
	}
	sgd, near := 0, 0
	for _, o := range obs[50:] {
		if o.Params["opt"].Str == "sgd" {
			sgd++
			if math.Abs(o.Params["m"].Num-0.8) < 0.1 {
				near++
			}
		}
	}
	t.Logf("last 30 trials: %d chose sgd, %d of them with m near 0.8", sgd, near)
	if sgd < 20 || near < sgd*2/3 {
		t.Errorf("last 30 trials: %d chose sgd, %d of them with m near 0.8", sgd, near)
	}
}

// TestTPESampleAllocs pins the allocations of a suggestion: the proposal
// itself, its random source and no per-observation garbage.
func TestTPESampleAllocs(t *testing.T) {
	space := mixedTestSpace()
	obs := bowlObservations(space, 300, 1)
	tpe, _ := NewTPE(space, TPEOptions{})
	tpe.Sample(obs, nil, 300) // size the scratch buffers
	allocs := testing.AllocsPerRun(20, func() { tpe.Sample(obs, nil, 300) })
	if allocs > 8 {
		t.Errorf("%v allocations per suggestion, want at most 8", allocs)
	}
}

// TestTPESplit checks the good group against a full stable sort, for small
// and large Gamma, with ties and infinities.
func TestTPESplit(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	for _, k := range []int{0, 1, 5, 25, 64, 65, 200} {
		tpe := &TPE{opt: TPEOptions{Gamma: func(int) int { return k }}}
		tpe.losses = make([]float64, 300)
		for i := range tpe.losses {
			tpe.losses[i] = float64(r.IntN(40))
			if r.IntN(10) == 0 {
				tpe.losses[i] = math.Inf(1)
			}
		}
		tpe.split()
		idx := make([]int, len(tpe.losses))
		for i := range idx {
			idx[i] = i
		}
		slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(tpe.losses[a], tpe.losses[b]) })
		want := make([]bool, len(idx))
		for _, i := range idx[:k] {
			want[i] = true
		}
		if !slices.Equal(tpe.good, want) {
			t.Errorf("gamma %d: good group differs from a stable sort's", k)
		}
	}
}
