package studyfile

import (
	"errors"
	"fmt"
	"strings"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/core"
	"github.com/dltune/dltune/search"
)

// modelTemplate is the model section with its $references unresolved.
type modelTemplate struct {
	kind                                             string // mlp or cnn
	hidden                                           hiddenTemplate
	activation, leakySlope, dropout, batchNorm, init field
	blocks                                           blocksTemplate // cnn
	globalPool                                       field
}

// blocksTemplate is a CNN's convolution blocks: the list, and for
// {depth: D, blocks: [...]} the depth.
type blocksTemplate struct {
	line, col int
	depth     field
	list      []blockTemplate
}

// blockTemplate is one convolution block of a CNN (core.ConvBlock).
type blockTemplate struct {
	filters, kernel, stride, padding, dilation, batchNorm, residual field
	pool, poolSize, poolStride, dropout                             field
}

// hiddenForm is how the file wrote the hidden layers.
type hiddenForm uint8

const (
	// hiddenList: [w1, w2, ...]; a width naming an inactive conditional
	// parameter drops its layer.
	hiddenList hiddenForm = iota + 1
	// hiddenUniform: {depth: D, width: W}, D layers of width W.
	hiddenUniform
	// hiddenPrefix: {depth: D, widths: [w1, w2, ...]}, the first D widths
	// (inactive conditional ones dropped).
	hiddenPrefix
)

type hiddenTemplate struct {
	form      hiddenForm
	line, col int
	depth     field   // hiddenUniform and hiddenPrefix
	widths    []field // one for hiddenUniform
}

// trainTemplate is the train section with its $references unresolved.
type trainTemplate struct {
	epochs, batchSize, optimizer, learningRate, weightDecay  field
	momentum, nesterov, beta1, beta2, epsilon, rho, clipNorm field
	patience, loss                                           field
	schedule                                                 scheduleTemplate
	augment                                                  struct{ crop, flip field }
}

type scheduleTemplate struct {
	kind, warmup, stepEpochs, gamma, minLR field
}

// Resolve returns the training configuration of a trial with parameters
// p: the model and train templates with every $reference replaced by its
// value in p. seed becomes Train.Seed. Model.Inputs and Model.Outputs are
// left 0: they come from the loaded data, and the trainer sets them.
//
// A field whose conditional parameter is absent from p (inactive) takes
// its default; a hidden width naming one drops its layer. Resolve returns an
// ErrorList, never panics, if p lacks a parameter that a field needs or
// holds a value the field cannot take. It is safe for concurrent use and
// allocates only the Hidden slice, a CNN's blocks (and errors).
func (s *Spec) Resolve(p dltune.Params, seed uint64) (core.Config, error) {
	if s.Command != nil {
		return core.Config{}, fmt.Errorf("%s: a command study has no model to resolve: its program trains", s.File)
	}
	r := resolver{p: p, file: s.File}
	m, t := &s.model, &s.train
	var c core.Config
	model, opt, sched, train := &c.Model, &c.Optimizer, &c.Schedule, &c.Train

	model.Hidden = r.hidden(&m.hidden)
	model.Activation = r.str(&m.activation)
	model.LeakySlope = r.num(&m.leakySlope)
	model.Dropout = r.num(&m.dropout)
	model.BatchNorm = r.bool(&m.batchNorm)
	model.Init = r.str(&m.init)
	if m.kind == "cnn" {
		c.Conv = r.conv(m)
	}
	c.Augment = core.AugmentConfig{Crop: r.int(&t.augment.crop), Flip: r.bool(&t.augment.flip)}

	opt.Name = r.str(&t.optimizer)
	if opt.Name == "" {
		opt.Name = "adam"
	}
	opt.LearningRate = r.num(&t.learningRate)
	opt.Momentum = r.num(&t.momentum)
	// Options that a $name optimizer or schedule kind does not use in
	// this trial are left out: the core refuses nesterov without sgd and
	// a min_lr above the rate whatever the schedule.
	opt.Nesterov = r.bool(&t.nesterov) && opt.Name == "sgd"
	opt.Beta1 = r.num(&t.beta1)
	opt.Beta2 = r.num(&t.beta2)
	opt.Epsilon = r.num(&t.epsilon)
	opt.Rho = r.num(&t.rho)
	opt.WeightDecay = r.num(&t.weightDecay)
	opt.ClipNorm = r.num(&t.clipNorm)

	sc := &t.schedule
	sched.Kind = r.str(&sc.kind)
	sched.WarmupEpochs = r.int(&sc.warmup)
	sched.StepEpochs = r.int(&sc.stepEpochs)
	sched.Gamma = r.num(&sc.gamma)
	if sched.Kind == "cosine" {
		sched.MinRate = r.num(&sc.minLR)
	}

	train.Epochs = r.int(&t.epochs)
	train.BatchSize = r.int(&t.batchSize)
	train.Loss = r.str(&t.loss)
	train.Patience = r.int(&t.patience)
	train.Seed = seed

	// Checks across fields, which hold only for some trials.
	if opt.Name == "sgd" && opt.Nesterov && opt.Momentum == 0 {
		r.fail(&t.nesterov, "nesterov needs momentum > 0")
	}
	if sched.Kind == "cosine" && sched.MinRate > opt.LearningRate {
		r.fail(&sc.minLR, "min_lr %s exceeds learning_rate %s", fmtNum(sched.MinRate), fmtNum(opt.LearningRate))
	}
	if sched.WarmupEpochs > train.Epochs {
		r.fail(&sc.warmup, "warmup_epochs %d exceeds epochs %d", sched.WarmupEpochs, train.Epochs)
	}
	if msg := lossProblem(train.Loss, &s.Data); msg != "" {
		r.fail(&t.loss, "%s", msg)
	}
	if r.errs.errs != nil {
		return core.Config{}, r.errs.err()
	}
	return c, nil
}

// conv resolves a CNN's blocks: the first depth of them if the file gave
// a depth.
func (r *resolver) conv(m *modelTemplate) *core.ConvConfig {
	b := &m.blocks
	list := b.list
	if b.depth.set {
		d := r.int(&b.depth)
		if d > len(list) {
			r.fail(&b.depth, "depth %d exceeds the %d blocks listed", d, len(list))
			return nil
		}
		list = list[:d]
	}
	c := &core.ConvConfig{GlobalPool: r.bool(&m.globalPool), Blocks: make([]core.ConvBlock, len(list))}
	for i := range list {
		t := &list[i]
		pool := r.str(&t.pool)
		if pool == "none" {
			pool = ""
		}
		c.Blocks[i] = core.ConvBlock{
			Filters: r.int(&t.filters), Kernel: r.int(&t.kernel), Stride: r.int(&t.stride),
			Padding: r.int(&t.padding), Dilation: r.int(&t.dilation),
			BatchNorm: r.bool(&t.batchNorm), Residual: r.bool(&t.residual),
			Pool: pool, PoolSize: r.int(&t.poolSize), PoolStride: r.int(&t.poolStride),
			Dropout: r.num(&t.dropout),
		}
		if pool == "" && (c.Blocks[i].PoolSize != 0 || c.Blocks[i].PoolStride != 0) {
			f := &t.poolSize
			if !f.set {
				f = &t.poolStride
			}
			r.fail(f, "%s needs pool max or avg", f.path[strings.LastIndex(f.path, ".")+1:])
		}
		if cb := &c.Blocks[i]; cb.Residual {
			switch {
			case cb.Padding != 0:
				r.fail(&t.padding, "a residual block pads its convolutions itself (\"same\" padding); leave padding out")
			case cb.Dilation > 1:
				r.fail(&t.dilation, "residual blocks are not dilated")
			case cb.BatchNorm:
				r.fail(&t.batchNorm, "a residual block always has batch normalization; leave batch_norm out")
			case cb.Kernel%2 == 0:
				r.fail(&t.kernel, "a residual block needs an odd kernel size, not %d", cb.Kernel)
			}
		}
	}
	return c
}

// resolver resolves fields against one trial's parameters, collecting
// errors.
type resolver struct {
	p    dltune.Params
	file string
	errs reporter
}

func (r *resolver) fail(f *field, format string, args ...any) {
	r.errs.file = r.file
	r.errs.add(f.line, f.col, f.path, format, args...)
}

// value returns f's value in this trial; false if f is unset, names an
// inactive conditional parameter, or fails.
func (r *resolver) value(f *field) (dltune.Value, bool) {
	if !f.set {
		return dltune.Value{}, false
	}
	if f.ref == "" {
		return f.lit, true
	}
	v, ok := r.p[f.ref]
	if !ok {
		if !f.cond {
			r.fail(f, "$%s: the trial has no value for parameter %q", f.ref, f.ref)
		}
		return dltune.Value{}, false
	}
	if msg := f.rule.check(v); msg != "" {
		r.fail(f, "$%s = %s: %s", f.ref, v, msg)
		return dltune.Value{}, false
	}
	return v, true
}

func (r *resolver) num(f *field) float64 {
	v, _ := r.value(f)
	return v.Num
}

func (r *resolver) int(f *field) int {
	v, ok := r.value(f)
	if !ok {
		return 0
	}
	return v.Int()
}

func (r *resolver) str(f *field) string {
	v, _ := r.value(f)
	return v.Str
}

func (r *resolver) bool(f *field) bool {
	v, _ := r.value(f)
	return v.Bool()
}

func (r *resolver) hidden(h *hiddenTemplate) []int {
	switch h.form {
	case hiddenList:
		out := make([]int, 0, len(h.widths))
		for i := range h.widths {
			if v, ok := r.value(&h.widths[i]); ok {
				out = append(out, v.Int())
			}
		}
		return out
	case hiddenUniform:
		d, w := r.int(&h.depth), r.int(&h.widths[0])
		out := make([]int, d)
		for i := range out {
			out[i] = w
		}
		return out
	case hiddenPrefix:
		d := r.int(&h.depth)
		if d > len(h.widths) {
			r.fail(&h.depth, "depth %d exceeds the %d widths listed", d, len(h.widths))
			return nil
		}
		out := make([]int, 0, d)
		for i := range h.widths[:d] {
			if v, ok := r.value(&h.widths[i]); ok {
				out = append(out, v.Int())
			}
		}
		return out
	}
	return nil
}

// Validate checks what Parse cannot see in the file alone: fields that
// fail for some trials, such as a cosine min_lr above the low end of a
// learning-rate range. It resolves a set of probe points and reports the
// fields that fail. The probes take every choice of every parameter and
// both ends of every range, in several combinations, conditions respected. Its errors are an ErrorList whose entries name the
// parameters of a failing probe. It is safe for concurrent use.
func (s *Spec) Validate() error {
	seen := map[string]bool{}
	var all ErrorList
	for _, pt := range probes(s.Space) {
		var err error
		if s.Command != nil {
			_, _, err = s.CommandLine(pt)
		} else {
			_, err = s.Resolve(pt, 0)
		}
		var es ErrorList
		if !errors.As(err, &es) {
			continue
		}
		for _, e := range es {
			if seen[e.Field] {
				continue
			}
			seen[e.Field] = true
			c := *e
			if len(pt) > 0 {
				c.Msg += " (with " + formatParams(pt) + ")"
			}
			all = append(all, &c)
		}
	}
	if len(all) == 0 {
		return nil
	}
	sortErrors(all)
	return all
}

// maxProbes bounds the points Validate resolves per pass, and
// maxProbeValues the parameter values of a pass.
const (
	maxProbes      = 256
	maxProbeValues = 100000
)

// probes returns points of space that together take every choice and both
// ends of every range, in two passes: all parameters in step, and each
// parameter shifted by its index, so that low ends meet high ends.
func probes(space *search.Space) []dltune.Params {
	if space == nil {
		return []dltune.Params{{}}
	}
	cands := make([][]dltune.Value, len(space.Params))
	k := 1
	for i := range space.Params {
		q := &space.Params[i]
		switch q.Type {
		case search.Choice:
			cands[i] = q.Choices
		case search.IntRange:
			lo, hi := bounds(q)
			cands[i] = []dltune.Value{dltune.Int(int(lo)), dltune.Int(int(hi))}
		default:
			lo, hi := bounds(q)
			cands[i] = []dltune.Value{dltune.Float(lo), dltune.Float(hi)}
		}
		k = max(k, len(cands[i]))
	}
	// Bound the work: k points of every parameter, twice.
	k = min(k, maxProbes, max(1, maxProbeValues/max(1, len(space.Params))))
	// The values of each condition, as sets.
	when := make([]map[valueKey]bool, len(space.Params))
	for i := range space.Params {
		if c := space.Params[i].When; c != nil {
			when[i] = make(map[valueKey]bool, len(c.Values))
			for _, v := range c.Values {
				when[i][keyOf(v)] = true
			}
		}
	}
	var out []dltune.Params
	for pass := range 2 {
		for j := range k {
			pt := make(dltune.Params, len(space.Params))
			for i := range space.Params {
				q := &space.Params[i]
				if q.When != nil {
					v, ok := pt[q.When.Param]
					if !ok || !when[i][keyOf(v)] {
						continue
					}
				}
				c := cands[i]
				pt[q.Name] = c[(j+pass*i)%len(c)]
			}
			out = append(out, pt)
		}
	}
	return out
}

// formatParams formats parameters as "a=1, b=relu" in name order.
func formatParams(p dltune.Params) string {
	var sb strings.Builder
	for i, n := range p.Names() {
		if i > 0 {
			sb.WriteString(", ")
		}
		fmt.Fprintf(&sb, "%s=%s", n, p[n])
	}
	return sb.String()
}

// ValidateData checks the trials' configurations against the data they
// will train on (d, from core.ShapeOf): what the file alone cannot tell,
// such as a CNN block whose kernel does not fit the images or a pool that
// shrinks them below 1×1. It resolves the probe points as Validate does
// and reports each field's first failure, with the shapes, as an
// ErrorList. Call it after Validate, once the data is loaded and before
// any trial trains. It is safe for concurrent use.
func (s *Spec) ValidateData(d core.DataShape) error {
	seen := map[string]bool{}
	var all ErrorList
	for _, pt := range probes(s.Space) {
		c, err := s.Resolve(pt, 0)
		if err != nil {
			continue
		}
		if _, err := c.EstimateMemory(d); err != nil {
			path, msg, ok := strings.Cut(err.Error(), ": ")
			if !ok || strings.ContainsAny(path, " ") {
				path, msg = "", err.Error()
			}
			if seen[path] {
				continue
			}
			seen[path] = true
			e := &Error{File: s.File, Field: path, Msg: msg}
			e.Line, e.Column = s.fieldPos(path)
			if len(pt) > 0 {
				e.Msg += " (with " + formatParams(pt) + ")"
			}
			all = append(all, e)
		}
	}
	if len(all) == 0 {
		return nil
	}
	sortErrors(all)
	return all
}

// fieldPos returns where the file sets the field of a core configuration
// error, such as model.blocks[2].kernel, or the nearest enclosing place it
// knows; 0, 0 if none.
func (s *Spec) fieldPos(path string) (line, col int) {
	m, t := &s.model, &s.train
	var f *field
	var i int
	var key string
	switch {
	case strings.HasPrefix(path, "model.blocks["):
		if _, err := fmt.Sscanf(path, "model.blocks[%d].%s", &i, &key); err == nil && i >= 0 && i < len(m.blocks.list) {
			b := &m.blocks.list[i]
			f = map[string]*field{"filters": &b.filters, "kernel": &b.kernel, "stride": &b.stride,
				"padding": &b.padding, "dilation": &b.dilation, "batch_norm": &b.batchNorm, "residual": &b.residual,
				"pool": &b.pool, "pool_size": &b.poolSize, "pool_stride": &b.poolStride, "dropout": &b.dropout}[key]
			if f != nil && !f.set {
				f = &b.kernel
			}
		}
	case strings.HasPrefix(path, "augment"):
		f = &t.augment.crop
		if !f.set {
			f = &t.augment.flip
		}
	}
	if f != nil && f.set {
		return f.line, f.col
	}
	if m.blocks.line > 0 {
		return m.blocks.line, m.blocks.col
	}
	return m.hidden.line, m.hidden.col
}
