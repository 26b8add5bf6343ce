package studyfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/core"
)

func mustParse(t testing.TB, name, src string) *Spec {
	t.Helper()
	s, err := Parse(name, []byte(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return s
}

const resolveStudy = `name: r
data: {kind: synthetic, synthetic: {generator: blobs, samples: 100}}
model:
  hidden: [$w1, 7, $w2, $w3]
  activation: $act
  dropout: $drop
train:
  epochs: 10
  batch_size: $batch
  optimizer: $opt
  learning_rate: $lr
  momentum: $mom
  schedule: {kind: cosine, warmup_epochs: 2, min_lr: 1e-6}
space:
  depth: {int: [1, 3]}
  w1: {int: [4, 64]}
  w2: {int: [4, 64], when: "depth >= 2"}
  w3: {int: [4, 64], when: "depth == 3"}
  act: {choice: [relu, tanh]}
  drop: {float: [0, 0.5], step: 0.1}
  batch: {choice: [16, 32]}
  opt: {choice: [sgd, adam]}
  lr: {float: [1e-4, 1e-1], log: true}
  mom: {float: [0, 0.9], when: {opt: [sgd]}}
search: {strategy: random, trials: 5}
`

// TestResolve checks the configurations of representative trials,
// conditional layers and options included.
func TestResolve(t *testing.T) {
	s := mustParse(t, "r.yaml", resolveStudy)
	base := func(over dltune.Params) dltune.Params {
		p := dltune.Params{"depth": dltune.Int(1), "w1": dltune.Int(32), "act": dltune.String("tanh"),
			"drop": dltune.Float(0.2), "batch": dltune.Int(16), "opt": dltune.String("adam"), "lr": dltune.Float(0.01)}
		for k, v := range over {
			p[k] = v
		}
		return p
	}
	for _, tc := range []struct {
		name   string
		p      dltune.Params
		hidden []int
		opt    core.OptimizerConfig
	}{
		{"depth 1 drops w2 and w3", base(nil), []int{32, 7}, core.OptimizerConfig{Name: "adam", LearningRate: 0.01}},
		{"depth 2 keeps w2", base(dltune.Params{"depth": dltune.Int(2), "w2": dltune.Int(5)}), []int{32, 7, 5}, core.OptimizerConfig{Name: "adam", LearningRate: 0.01}},
		{"depth 3 keeps all", base(dltune.Params{"depth": dltune.Int(3), "w2": dltune.Int(5), "w3": dltune.Int(6)}), []int{32, 7, 5, 6}, core.OptimizerConfig{Name: "adam", LearningRate: 0.01}},
		{"sgd takes momentum", base(dltune.Params{"opt": dltune.String("sgd"), "mom": dltune.Float(0.5)}), []int{32, 7}, core.OptimizerConfig{Name: "sgd", LearningRate: 0.01, Momentum: 0.5}},
		{"a float that is whole sets an int field", base(dltune.Params{"w1": dltune.Float(12)}), []int{12, 7}, core.OptimizerConfig{Name: "adam", LearningRate: 0.01}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := s.Resolve(tc.p, 77)
			m, o, sc, tr := c.Model, c.Optimizer, c.Schedule, c.Train
			if err != nil {
				t.Fatal(err)
			}
			wantM := core.MLPConfig{Hidden: tc.hidden, Activation: "tanh", Dropout: 0.2}
			if !reflect.DeepEqual(m, wantM) {
				t.Errorf("model = %+v, want %+v", m, wantM)
			}
			if o != tc.opt {
				t.Errorf("optimizer = %+v, want %+v", o, tc.opt)
			}
			if want := (core.ScheduleConfig{Kind: "cosine", WarmupEpochs: 2, MinRate: 1e-6}); sc != want {
				t.Errorf("schedule = %+v, want %+v", sc, want)
			}
			if want := (core.TrainConfig{Epochs: 10, BatchSize: 16, Seed: 77}); tr != want {
				t.Errorf("train = %+v, want %+v", tr, want)
			}
		})
	}
}

// TestResolveHiddenForms checks the {depth, width} and {depth, widths}
// forms and dropped conditional layers.
func TestResolveHiddenForms(t *testing.T) {
	const tmpl = `name: h
data: {kind: synthetic, synthetic: {generator: moons, samples: 50}}
model: {hidden: %s}
train: {epochs: 1, batch_size: 5, learning_rate: 0.1}
space: %s
search: {strategy: grid, trials: 9, points: 3}
`
	const (
		dw   = `{d: {int: [0, 3]}, w: {int: [1, 9]}}`
		dww3 = `{d: {int: [0, 3]}, w: {int: [1, 9]}, w3: {int: [1, 9], when: "d >= 3"}}`
	)
	for _, tc := range []struct {
		hidden, space string
		p             dltune.Params
		want          []int
	}{
		{"{depth: $d, width: $w}", dw, dltune.Params{"d": dltune.Int(3), "w": dltune.Int(4)}, []int{4, 4, 4}},
		{"{depth: $d, width: $w}", dw, dltune.Params{"d": dltune.Int(0), "w": dltune.Int(4)}, []int{}},
		{"{depth: 2, width: $w}", `{w: {int: [1, 9]}}`, dltune.Params{"w": dltune.Int(4)}, []int{4, 4}},
		{"{depth: $d, widths: [$w, 2, $w3]}", dww3, dltune.Params{"d": dltune.Int(2), "w": dltune.Int(4)}, []int{4, 2}},
		{"{depth: $d, widths: [$w, 2, $w3]}", dww3, dltune.Params{"d": dltune.Int(3), "w": dltune.Int(4), "w3": dltune.Int(8)}, []int{4, 2, 8}},
		{"{depth: $d, widths: [$w, 2, $w3]}", dww3, dltune.Params{"d": dltune.Int(0), "w": dltune.Int(4)}, []int{}},
		{"[$w, $w3]", `{d: {choice: [1, 3]}, w: {int: [1, 9]}, w3: {int: [1, 9], when: "d >= 3"}}`, dltune.Params{"d": dltune.Int(1), "w": dltune.Int(4)}, []int{4}},
		{"[$w, $w3]", `{d: {choice: [1, 3]}, w: {int: [1, 9]}, w3: {int: [1, 9], when: "d >= 3"}}`, dltune.Params{"d": dltune.Int(3), "w": dltune.Int(4), "w3": dltune.Int(2)}, []int{4, 2}},
		{"[]", `{}`, dltune.Params{}, []int{}},
	} {
		s, err := Parse("h.yaml", []byte(fmt.Sprintf(tmpl, tc.hidden, tc.space)))
		if err != nil {
			t.Fatalf("%s: %v", tc.hidden, err)
		}
		c, err := s.Resolve(tc.p, 0)
		m := c.Model
		if err != nil {
			t.Fatalf("%s at %v: %v", tc.hidden, tc.p, err)
		}
		if !reflect.DeepEqual(m.Hidden, tc.want) {
			t.Errorf("%s at %s: hidden %v, want %v", tc.hidden, formatParams(tc.p), m.Hidden, tc.want)
		}
	}
}

// TestResolveErrors checks that bad parameters are an ErrorList naming the
// field and its line, never panics.
func TestResolveErrors(t *testing.T) {
	s := mustParse(t, "r.yaml", resolveStudy)
	good := dltune.Params{"depth": dltune.Int(1), "w1": dltune.Int(32), "act": dltune.String("tanh"),
		"drop": dltune.Float(0.2), "batch": dltune.Int(16), "opt": dltune.String("adam"), "lr": dltune.Float(0.01)}
	with := func(k string, v dltune.Value) dltune.Params {
		p := good.Clone()
		p[k] = v
		return p
	}
	without := func(k string) dltune.Params {
		p := good.Clone()
		delete(p, k)
		return p
	}
	for _, tc := range []struct {
		name string
		p    dltune.Params
		want string
	}{
		{"nil params", nil, `r.yaml:4:12: model.hidden: $w1: the trial has no value for parameter "w1"`},
		{"missing lr", without("lr"), `r.yaml:11:18: train.learning_rate: $lr: the trial has no value for parameter "lr"`},
		{"string for a number", with("lr", dltune.String("fast")), `r.yaml:11:18: train.learning_rate: $lr = fast: expected a number > 0, got string "fast"`},
		{"zero rate", with("lr", dltune.Float(0)), `train.learning_rate: $lr = 0: 0 is out of range: must be > 0`},
		{"fractional batch", with("batch", dltune.Float(16.5)), `r.yaml:9:15: train.batch_size: $batch = 16.5: expected an integer in [1, 1048576], got number 16.5`},
		{"unknown activation", with("act", dltune.String("swish")), `model.activation: $act = swish: unknown activation "swish"`},
		{"dropout 1", with("drop", dltune.Float(1)), `model.dropout: $drop = 1: 1 is out of range: must be in [0, 1)`},
		{"bool for a width", with("w1", dltune.Bool(true)), `model.hidden: $w1 = true: expected an integer`},
		{"min_lr above the rate", with("lr", dltune.Float(1e-7)), `r.yaml:13:54: train.schedule.min_lr: min_lr 1e-06 exceeds learning_rate 1e-07`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := s.Resolve(tc.p, 1)
			m, o, sc, tr := c.Model, c.Optimizer, c.Schedule, c.Train
			if err == nil {
				t.Fatalf("Resolve(%v) = %+v %+v %+v %+v, want an error", tc.p, m, o, sc, tr)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
			var ce *Error
			if !errors.As(err, &ce) || ce.Line == 0 || ce.Field == "" {
				t.Errorf("error %v is not a Error with a line and field", err)
			}
			if m.Hidden != nil || o != (core.OptimizerConfig{}) || tr != (core.TrainConfig{}) {
				t.Errorf("Resolve returned configurations with its error: %+v %+v %+v", m, o, tr)
			}
		})
	}
}

// TestResolveGolden resolves the probe points of every good study file
// and compares with testdata/good/NAME.resolve (-update rewrites them).
func TestResolveGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/good/*.yaml")
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			s, err := ParseFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var sb strings.Builder
			fmt.Fprintf(&sb, "max epochs %d\n", s.MaxEpochs())
			for i, pt := range probes(s.Space) {
				if s.Command != nil {
					argv, env, err := s.CommandLine(pt)
					fmt.Fprintf(&sb, "\n%s\n", formatParams(pt))
					if err != nil {
						fmt.Fprintf(&sb, "  error: %v\n", err)
						continue
					}
					fmt.Fprintf(&sb, "  argv: %q\n  env: %q\n", argv, env)
					continue
				}
				c, err := s.Resolve(pt, uint64(i))
				m, o, sc, tr := c.Model, c.Optimizer, c.Schedule, c.Train
				fmt.Fprintf(&sb, "\n%s\n", formatParams(pt))
				if err != nil {
					fmt.Fprintf(&sb, "  error: %v\n", err)
					continue
				}
				fmt.Fprintf(&sb, "  model: %+v\n  optimizer: %+v\n  schedule: %+v\n  train: %+v\n", m, o, sc, tr)
				if c.Conv != nil {
					fmt.Fprintf(&sb, "  conv: global_pool=%v\n", c.Conv.GlobalPool)
					for _, b := range c.Conv.Blocks {
						fmt.Fprintf(&sb, "    %+v\n", b)
					}
				}
				if c.Augment != (core.AugmentConfig{}) {
					fmt.Fprintf(&sb, "  augment: %+v\n", c.Augment)
				}
			}
			golden := strings.TrimSuffix(path, ".yaml") + ".resolve"
			if *update {
				if err := os.WriteFile(golden, []byte(sb.String()), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if sb.String() != string(want) {
				t.Errorf("resolved configurations of %s:\n%s\nwant (%s):\n%s", path, sb.String(), golden, want)
			}
		})
	}
}

// TestValidate checks that Validate finds trials that fail to resolve and
// names the parameters of one.
func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name, train, space, want string
	}{
		{"ok", "{epochs: 5, batch_size: 8, learning_rate: $lr, schedule: {kind: cosine, min_lr: 1e-5}}",
			"{lr: {float: [1e-4, 1e-1], log: true}}", ""},
		{"min_lr above low rates", "{epochs: 5, batch_size: 8, learning_rate: $lr, schedule: {kind: cosine, min_lr: 1e-3}}",
			"{lr: {float: [1e-4, 1e-1], log: true}}", "v.yaml:3:88: train.schedule.min_lr: min_lr 0.001 exceeds learning_rate 0.0001 (with lr=0.0001)"},
		{"warmup beyond short runs", "{epochs: $e, batch_size: 8, learning_rate: 0.1, schedule: {warmup_epochs: 3}}",
			"{e: {int: [2, 10]}}", "train.schedule.warmup_epochs: warmup_epochs 3 exceeds epochs 2 (with e=2)"},
		{"nesterov without momentum", "{epochs: 5, batch_size: 8, learning_rate: 0.1, optimizer: sgd, nesterov: true, momentum: $m}",
			"{m: {choice: [0, 0.9]}}", "train.nesterov: nesterov needs momentum > 0 (with m=0)"},
		{"regression loss from a choice", "{epochs: 5, batch_size: 8, learning_rate: 0.1, loss: $loss}",
			"{loss: {choice: [mse, binary_cross_entropy]}}", "train.loss: loss binary_cross_entropy needs a classification task"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := "{kind: synthetic, synthetic: {generator: friedman1, samples: 50}}"
			src := fmt.Sprintf("name: v\ndata: %s\ntrain: %s\nmodel: {hidden: [4]}\nspace: %s\nsearch: {strategy: random, trials: 3}\n", data, tc.train, tc.space)
			s := mustParse(t, "v.yaml", src)
			err := s.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Validate: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("Validate = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestResolveAllocs pins Resolve's cost: one allocation, the Hidden slice.
func TestResolveAllocs(t *testing.T) {
	s := mustParse(t, "r.yaml", resolveStudy)
	p := dltune.Params{"depth": dltune.Int(3), "w1": dltune.Int(32), "w2": dltune.Int(5), "w3": dltune.Int(6),
		"act": dltune.String("tanh"), "drop": dltune.Float(0.2), "batch": dltune.Int(16), "opt": dltune.String("sgd"),
		"mom": dltune.Float(0.5), "lr": dltune.Float(0.01)}
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := s.Resolve(p, 1); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 1 {
		t.Errorf("Resolve allocates %v times per call, want at most 1", allocs)
	}
}

// BenchmarkResolve measures resolving one trial's configuration.
func BenchmarkResolve(b *testing.B) {
	s := mustParse(b, "r.yaml", resolveStudy)
	p := dltune.Params{"depth": dltune.Int(3), "w1": dltune.Int(32), "w2": dltune.Int(5), "w3": dltune.Int(6),
		"act": dltune.String("tanh"), "drop": dltune.Float(0.2), "batch": dltune.Int(16), "opt": dltune.String("sgd"),
		"mom": dltune.Float(0.5), "lr": dltune.Float(0.01)}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Resolve(p, 1); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParse measures parsing the reference study file.
func BenchmarkParse(b *testing.B) {
	src, err := os.ReadFile("../examples/reference.yaml")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("reference.yaml", src); err != nil {
			b.Fatal(err)
		}
	}
}

// TestResolveOptionsByName checks that with a $name optimizer or schedule
// kind, a trial gets only the options its value uses: the core refuses
// nesterov without sgd, and a min_lr above the rate whatever the schedule.
func TestResolveOptionsByName(t *testing.T) {
	s := mustParse(t, "o.yaml", `name: o
data: {kind: synthetic, synthetic: {generator: moons, samples: 50}}
model: {hidden: [4]}
train: {epochs: 5, batch_size: 8, learning_rate: 0.001, optimizer: $opt, momentum: 0.9, nesterov: true,
        schedule: {kind: $sched, min_lr: 0.01}}
space:
  opt: {choice: [sgd, adam]}
  sched: {choice: [constant, cosine]}
search: {strategy: grid, trials: 4}
`)
	err := s.Validate()
	if err == nil || !strings.Contains(err.Error(), "min_lr 0.01 exceeds learning_rate 0.001 (with opt=adam, sched=cosine)") {
		t.Fatalf("Validate = %v, want min_lr refused for cosine only", err)
	}
	for _, tc := range []struct {
		opt, sched string
		nesterov   bool
		minRate    float64
	}{
		{"sgd", "constant", true, 0},
		{"adam", "constant", false, 0},
	} {
		c, err := s.Resolve(dltune.Params{"opt": dltune.String(tc.opt), "sched": dltune.String(tc.sched)}, 0)
		if err != nil {
			t.Fatalf("%s %s: %v", tc.opt, tc.sched, err)
		}
		if c.Optimizer.Nesterov != tc.nesterov || c.Schedule.MinRate != tc.minRate {
			t.Errorf("%s %s: nesterov %v min_rate %v, want %v and %v", tc.opt, tc.sched,
				c.Optimizer.Nesterov, c.Schedule.MinRate, tc.nesterov, tc.minRate)
		}
	}
}

// TestValidateData checks that a CNN block that does not fit the data's
// images is reported at the block's field, naming the shapes and the
// parameters of a failing trial.
func TestValidateData(t *testing.T) {
	src := `name: t
data: {kind: idx, train: {images: i.gz, labels: l.gz}}
model:
  kind: cnn
  blocks:
    - {filters: 8, kernel: 3, pool: max, pool_size: $pool}
    - {filters: 8, kernel: $k}
train: {epochs: 1, batch_size: 8, learning_rate: 0.01, augment: {crop: 2}}
space:
  k: {choice: [3, 9]}
  pool: {choice: [2, 4]}
search: {strategy: grid, trials: 4}
`
	s, err := Parse("cnn.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	shape := core.DataShape{Task: core.Classification, Features: 28 * 28, Targets: 1, Classes: 10,
		Train: 100, Validation: 10, Shape: []int{28, 28}}
	err = s.ValidateData(shape)
	want := "cnn.yaml:7:28: model.blocks[1].kernel: a 9x9 kernel (dilation 1, padding 0) does not fit the 6x6 input of block 1 (with k=9, pool=4)"
	if err == nil || err.Error() != want {
		t.Errorf("ValidateData = %v, want %s", err, want)
	}
	var es ErrorList
	if !errors.As(err, &es) || len(es) != 1 {
		t.Errorf("ValidateData = %#v, want an ErrorList of one error", err)
	}
	// Images too small for the crop; no image shape at all.
	shape.Shape, shape.Features = []int{1, 1}, 1
	if err := s.ValidateData(shape); err == nil || !strings.Contains(err.Error(), "cnn.yaml:6:28: model.blocks[0].kernel: a 3x3 kernel") {
		t.Errorf("1x1 images: %v", err)
	}
	shape.Shape, shape.Features = nil, 784
	if err := s.ValidateData(shape); err == nil || !strings.Contains(err.Error(), "model.input: not set, and the data has no image shape") {
		t.Errorf("no shape: %v", err)
	}
}
