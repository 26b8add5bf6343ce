package studyfile

import (
	"fmt"
	"math"
	"path/filepath"

	"go.yaml.in/yaml/v3"

	"github.com/dltune/dltune/core"
	"github.com/dltune/dltune/search"
)

// MaxParallel is the most trials a study trains at once: the bound of
// search.parallel, and of any override of it (a command line's).
const MaxParallel = 1024

// DefaultKeepWeights is search.keep_weights when a study file leaves it
// out: the trials whose weights after their best epoch the store keeps.
const DefaultKeepWeights = 3

// maxRate bounds learning rates below the largest float32, the type the
// core trains in. Messages leave it out of the interval they describe.
const maxRate = 1e38

// The rules of every field. Upper limits on sizes are guard rails against
// typos (an extra zero), far above what dltune's core trains in practice.
var (
	ruleKind       = enumRule("model kind", modelKinds)
	ruleWidth      = intRule(1, 1<<16)
	ruleDepth      = intRule(0, 1000)
	ruleActivation = enumRule("activation", activations)
	ruleLeakySlope = floatRule(0, 1, false, true)
	ruleDropout    = floatRule(0, 1, false, true)
	ruleInit       = enumRule("initializer", initializers)
	ruleFilters    = intRule(1, 1<<16)
	ruleKernel     = intRule(1, 1024)
	ruleStride     = intRule(1, 1024)
	rulePadding    = intRule(0, 1024)
	rulePool       = enumRule("pooling", poolings)
	ruleCrop       = intRule(0, 1024)

	ruleEpochs     = intRule(1, 100000)
	ruleBatchSize  = intRule(1, 1<<20)
	ruleOptimizer  = enumRule("optimizer", optimizers)
	ruleRate       = floatRule(0, maxRate, true, false)
	ruleNonNeg     = floatRule(0, math.Inf(1), false, false)
	ruleUnit       = floatRule(0, 1, false, true) // [0, 1)
	ruleEpsilon    = floatRule(0, 1, true, false) // (0, 1]
	rulePatience   = intRule(0, 100000)
	ruleLoss       = enumRule("loss", losses)
	ruleSchedule   = enumRule("schedule", scheduleKinds)
	ruleWarmup     = intRule(0, 100000)
	ruleStepEpochs = intRule(1, 100000)
	ruleGamma      = floatRule(0, 1, true, false)

	ruleDataKind   = enumRule("data kind", dataKinds)
	ruleGenerator  = enumRule("generator", generators)
	ruleTask       = enumRule("task", tasks)
	ruleNormalize  = enumRule("normalization", normalizations)
	ruleSamples    = intRule(2, 10_000_000)
	ruleClasses    = intRule(2, 1000)
	ruleDataClass  = intRule(2, core.MaxClasses)
	ruleFeatures   = intRule(1, 100000)
	ruleFriedman   = intRule(5, 100000) // five features matter, the rest are noise
	ruleValidation = floatRule(0, 1, true, true)
	ruleText       = &fieldRule{typ: tString}

	ruleStrategy = enumRule("strategy", strategies)
	ruleTrials   = intRule(1, 10_000_000)
	ruleParallel = intRule(1, MaxParallel)
	// ruleKeepWeights bounds the models a study keeps: each may take
	// megabytes.
	ruleKeepWeights = intRule(0, 1000)
	rulePoints      = intRule(2, maxPoints)
	ruleMethod      = enumRule("method", methods)
	ruleStartup     = intRule(0, 1_000_000)
	ruleEta         = intRule(2, 100)
	ruleSampler     = enumRule("sampler", samplers)
	rulePruner      = enumRule("pruner", prunerKinds)
	ruleMinTrials   = intRule(1, 1_000_000)
)

var dataKeys = []string{"kind", "train", "csv", "synthetic", "classes", "validation", "normalize", "test"}

func (p *parser) data(n *yaml.Node) {
	m := p.mapping(n, "data", dataKeys)
	if m == nil {
		return
	}
	d := &p.spec.Data
	p.require(m, "kind")
	d.Kind = p.litString(m.get("kind"), "data.kind", ruleDataKind, "")
	d.Validation = p.litFloat(m.get("validation"), "data.validation", ruleValidation, 0.2)
	d.Normalize = p.litString(m.get("normalize"), "data.normalize", ruleNormalize, "none")
	// The section of each kind, and which sections the others must not have.
	sections := map[string]string{"idx": "train", "csv": "csv", "synthetic": "synthetic"}
	if d.Kind == "" {
		return
	}
	for kind, sec := range sections {
		if kind != d.Kind && m.has(sec) {
			l, c := m.keyPos(sec)
			p.add(l, c, join("data", sec), "data.%s is for kind %s, but kind is %s", sec, kind, d.Kind)
		}
	}
	p.require(m, sections[d.Kind])
	sn := m.get(sections[d.Kind])
	if sn == nil {
		return
	}
	switch d.Kind {
	case "idx":
		d.Task = core.Classification
		s := p.mapping(sn, "data.train", []string{"images", "labels"})
		if s == nil {
			return
		}
		p.require(s, "images", "labels")
		d.Images, p.spec.raw.images = p.path(s.get("images"), "data.train.images")
		d.Labels, p.spec.raw.labels = p.path(s.get("labels"), "data.train.labels")
	case "csv":
		s := p.mapping(sn, "data.csv", []string{"path", "target", "task"})
		if s == nil {
			return
		}
		p.require(s, "path", "target", "task")
		d.CSV, p.spec.raw.csv = p.path(s.get("path"), "data.csv.path")
		if tn := s.get("target"); tn != nil {
			d.Target = p.text(tn, "data.csv.target")
		}
		switch p.litString(s.get("task"), "data.csv.task", ruleTask, "") {
		case "classification":
			d.Task = core.Classification
		case "regression":
			d.Task = core.Regression
		}
	case "synthetic":
		p.synthetic(sn, d)
	}
	if tn := m.get("test"); tn != nil {
		p.testData(tn, d)
	}
	if cn := m.get("classes"); cn != nil {
		switch {
		case d.Kind == "synthetic":
			p.add(cn.Line, cn.Column, "data.classes", "data.classes is for idx and csv data; synthetic data sets data.synthetic.classes")
		case d.Task == core.Regression:
			p.add(cn.Line, cn.Column, "data.classes", "data.classes is for classification, but the data is regression")
		default:
			d.Classes = p.litInt(cn, "data.classes", ruleDataClass, 0)
		}
	}
}

// testData parses data.test: the held-out test files, in the format of
// the training data.
func (p *parser) testData(n *yaml.Node, d *DataSpec) {
	switch d.Kind {
	case "idx":
		s := p.mapping(n, "data.test", []string{"images", "labels"})
		if s == nil {
			return
		}
		p.require(s, "images", "labels")
		images, rawImages := p.path(s.get("images"), "data.test.images")
		labels, rawLabels := p.path(s.get("labels"), "data.test.labels")
		if images != "" && labels != "" {
			d.Test, p.spec.raw.test = []string{images, labels}, []string{rawImages, rawLabels}
		}
	case "csv":
		s := p.mapping(n, "data.test", []string{"path"})
		if s == nil {
			return
		}
		p.require(s, "path")
		path, raw := p.path(s.get("path"), "data.test.path")
		if path != "" {
			d.Test, p.spec.raw.test = []string{path}, []string{raw}
		}
	default:
		p.add(n.Line, n.Column, "data.test", "data.test is for idx and csv data, not %s", d.Kind)
	}
}

func (p *parser) synthetic(n *yaml.Node, d *DataSpec) {
	const path = "data.synthetic"
	s := p.mapping(n, path, []string{"generator", "samples", "noise", "classes", "features"})
	if s == nil {
		return
	}
	p.require(s, "generator", "samples")
	d.Generator = p.litString(s.get("generator"), join(path, "generator"), ruleGenerator, "")
	d.Samples = p.litInt(s.get("samples"), join(path, "samples"), ruleSamples, 0)
	d.Noise = p.litFloat(s.get("noise"), join(path, "noise"), ruleNonNeg, 0)
	d.Task = core.Classification
	// fixed reports a key whose value the generator fixes.
	fixed := func(key string, want int) {
		if kn := s.get(key); kn != nil {
			if v := p.litInt(kn, join(path, key), ruleFeatures, want); v != want {
				p.add(kn.Line, kn.Column, join(path, key), "generator %s has %d %s, not %d", d.Generator, want, key, v)
			}
		}
	}
	switch d.Generator {
	case "spirals":
		d.Classes = p.litInt(s.get("classes"), join(path, "classes"), ruleClasses, 2)
		fixed("features", 2)
		d.Features = 2
	case "moons":
		fixed("classes", 2)
		fixed("features", 2)
		d.Classes, d.Features = 2, 2
	case "blobs":
		d.Classes = p.litInt(s.get("classes"), join(path, "classes"), ruleClasses, 3)
		d.Features = p.litInt(s.get("features"), join(path, "features"), ruleFeatures, 2)
	case "friedman1":
		d.Task = core.Regression
		if kn := s.get("classes"); kn != nil {
			p.add(kn.Line, kn.Column, join(path, "classes"), "generator friedman1 is a regression task; it has no classes")
		}
		d.Features = p.litInt(s.get("features"), join(path, "features"), ruleFriedman, 10)
	}
	// The split keeps a class of one sample in the training part: with no
	// more samples than classes, the validation part would be empty.
	if sn := s.get("samples"); sn != nil && d.Classes > 0 && d.Samples > 0 && d.Samples <= d.Classes {
		p.add(sn.Line, sn.Column, join(path, "samples"), "%d samples for %d classes leave the validation part empty; give more samples than classes", d.Samples, d.Classes)
	}
}

// path parses a file path and returns it resolved against the study's
// directory, and as written. It records where the path was written.
func (p *parser) path(n *yaml.Node, path string) (resolved, raw string) {
	if n == nil {
		return "", ""
	}
	p.spec.pathPos = append(p.spec.pathPos, fieldPos{path, n.Line, n.Column})
	v, ok := p.literal(n, path, ruleText)
	if !ok {
		return "", ""
	}
	if v.Str == "" {
		p.add(n.Line, n.Column, path, "empty file path")
		return "", ""
	}
	if filepath.IsAbs(v.Str) {
		return filepath.Clean(v.Str), v.Str
	}
	return filepath.Join(p.dir, v.Str), v.Str
}

// text parses a non-empty name: a string, or a number taken as written.
func (p *parser) text(n *yaml.Node, path string) string {
	n = deref(n)
	if n.Kind == yaml.ScalarNode && (n.ShortTag() == "!!int" || n.ShortTag() == "!!float") {
		return n.Value
	}
	v, ok := p.literal(n, path, ruleText)
	if !ok {
		return ""
	}
	if v.Str == "" {
		p.add(n.Line, n.Column, path, "empty name")
	}
	return v.Str
}

var modelKeys = []string{"kind", "hidden", "activation", "leaky_slope", "dropout", "batch_norm", "init", "blocks", "global_pool"}

func (p *parser) model(n *yaml.Node) {
	m := p.mapping(n, "model", modelKeys)
	if m == nil {
		return
	}
	t := &p.spec.model
	t.kind = p.litString(m.get("kind"), "model.kind", ruleKind, "mlp")
	if t.kind == "cnn" {
		p.require(m, "blocks")
		if bn := m.get("blocks"); bn != nil {
			p.blocks(bn, &t.blocks)
		}
		p.fields(m, []tfield{{"global_pool", &t.globalPool, boolRule, false}})
		if k := p.spec.Data.Kind; k != "" && k != "idx" {
			l, c := m.keyPos("kind")
			p.add(l, c, "model.kind", "cnn needs images (data kind idx), not %s data", k)
		}
	} else {
		p.require(m, "hidden")
		for _, k := range []string{"blocks", "global_pool"} {
			if m.has(k) {
				l, c := m.keyPos(k)
				p.add(l, c, join("model", k), "%s applies to model kind cnn, not %s", k, t.kind)
			}
		}
	}
	if hn := m.get("hidden"); hn != nil {
		p.hidden(hn, &t.hidden)
	}
	p.fields(m, []tfield{
		{"activation", &t.activation, ruleActivation, false},
		{"leaky_slope", &t.leakySlope, ruleLeakySlope, false},
		{"dropout", &t.dropout, ruleDropout, false},
		{"batch_norm", &t.batchNorm, boolRule, false},
		{"init", &t.init, ruleInit, false},
	})
	if t.leakySlope.set && t.activation.set && t.activation.ref == "" && t.activation.lit.Str != "leaky_relu" {
		p.add(t.leakySlope.line, t.leakySlope.col, "model.leaky_slope", "leaky_slope applies to activation leaky_relu, not %s", t.activation.lit.Str)
	}
}

// hidden parses the hidden layers: a list of widths, {depth, width} or
// {depth, widths}.
func (p *parser) hidden(n *yaml.Node, h *hiddenTemplate) {
	const path = "model.hidden"
	n = deref(n)
	h.line, h.col = n.Line, n.Column
	switch n.Kind {
	case yaml.SequenceNode:
		h.form = hiddenList
		p.widths(n, path, h)
		return
	case yaml.MappingNode:
	default:
		p.add(n.Line, n.Column, path, "expected a list of widths, {depth: D, width: W} or {depth: D, widths: [W1, W2, ...]}, got %s", describeNode(n))
		return
	}
	m := p.mapping(n, path, []string{"depth", "width", "widths"})
	if m == nil {
		return
	}
	p.require(m, "depth")
	if dn := m.get("depth"); dn != nil {
		p.templateField(dn, join(path, "depth"), ruleDepth, &h.depth)
		h.depth.required = true
	}
	switch {
	case m.has("width") && m.has("widths"):
		l, c := m.keyPos("widths")
		p.add(l, c, join(path, "widths"), "give width (every layer the same) or widths (one per layer), not both")
	case m.has("width"):
		h.form = hiddenUniform
		h.widths = make([]field, 1)
		p.templateField(m.get("width"), join(path, "width"), ruleWidth, &h.widths[0])
		h.widths[0].required = true
	case m.has("widths"):
		h.form = hiddenPrefix
		p.widths(m.get("widths"), join(path, "widths"), h)
		if h.depth.set && h.depth.ref == "" && h.depth.lit.Int() > len(h.widths) {
			p.add(h.depth.line, h.depth.col, h.depth.path, "depth %d exceeds the %d widths listed", h.depth.lit.Int(), len(h.widths))
		}
	default:
		p.add(m.node.Line, m.node.Column, join(path, "width"), "missing width (every layer the same) or widths (one per layer)")
	}
}

var blockKeys = []string{"filters", "kernel", "stride", "padding", "dilation", "batch_norm", "residual",
	"pool", "pool_size", "pool_stride", "dropout"}

// blocks parses a CNN's convolution blocks: a list of blocks, or
// {depth: D, blocks: [...]}, the first D of them.
func (p *parser) blocks(n *yaml.Node, b *blocksTemplate) {
	const path = "model.blocks"
	n = deref(n)
	b.line, b.col = n.Line, n.Column
	list, listPath := n, path
	switch n.Kind {
	case yaml.SequenceNode:
	case yaml.MappingNode:
		m := p.mapping(n, path, []string{"depth", "blocks"})
		if m == nil {
			return
		}
		p.require(m, "depth", "blocks")
		if dn := m.get("depth"); dn != nil {
			p.templateField(dn, join(path, "depth"), ruleDepth, &b.depth)
			b.depth.required = true
		}
		if list = m.get("blocks"); list == nil {
			return
		}
		listPath = join(path, "blocks")
	default:
		p.add(n.Line, n.Column, path, "expected a list of blocks or {depth: D, blocks: [...]}, got %s", describeNode(n))
		return
	}
	elems, ok := p.sequence(list, listPath, "a list of blocks")
	if !ok {
		return
	}
	if len(elems) > int(ruleDepth.hi) {
		p.add(list.Line, list.Column, listPath, "%d blocks; at most %d", len(elems), int(ruleDepth.hi))
		return
	}
	if len(elems) == 0 {
		p.add(list.Line, list.Column, listPath, "a cnn needs at least one block")
	}
	b.list = make([]blockTemplate, len(elems))
	for i, e := range elems {
		bp := fmt.Sprintf("%s[%d]", listPath, i)
		bm := p.mapping(e, bp, blockKeys)
		if bm == nil {
			continue
		}
		p.require(bm, "filters", "kernel")
		t := &b.list[i]
		p.fields(bm, []tfield{
			{"filters", &t.filters, ruleFilters, true},
			{"kernel", &t.kernel, ruleKernel, true},
			{"stride", &t.stride, ruleStride, false},
			{"padding", &t.padding, rulePadding, false},
			{"dilation", &t.dilation, ruleStride, false},
			{"batch_norm", &t.batchNorm, boolRule, false},
			{"residual", &t.residual, boolRule, false},
			{"pool", &t.pool, rulePool, false},
			{"pool_size", &t.poolSize, ruleKernel, false},
			{"pool_stride", &t.poolStride, ruleStride, false},
			{"dropout", &t.dropout, ruleDropout, false},
		})
	}
	if b.depth.set && b.depth.ref == "" && b.depth.lit.Int() > len(b.list) {
		p.add(b.depth.line, b.depth.col, b.depth.path, "depth %d exceeds the %d blocks listed", b.depth.lit.Int(), len(b.list))
	}
}

// widths parses a list of layer widths into h.widths.
func (p *parser) widths(n *yaml.Node, path string, h *hiddenTemplate) {
	elems, ok := p.sequence(n, path, "a list of widths")
	if !ok {
		return
	}
	if len(elems) > int(ruleDepth.hi) {
		p.add(n.Line, n.Column, path, "%d layers; at most %d", len(elems), int(ruleDepth.hi))
		return
	}
	h.widths = make([]field, len(elems))
	for i, e := range elems {
		p.templateField(e, path, ruleWidth, &h.widths[i])
	}
}

var trainKeys = []string{"epochs", "batch_size", "optimizer", "learning_rate", "weight_decay", "momentum",
	"nesterov", "beta1", "beta2", "epsilon", "rho", "clip_norm", "schedule", "patience", "loss", "augment"}

// optimizerOptions lists the optimizers each optimizer option applies to.
var optimizerOptions = []struct {
	key  string
	opts []string
}{
	{"momentum", []string{"sgd", "rmsprop"}},
	{"nesterov", []string{"sgd"}},
	{"beta1", []string{"adam", "adamw"}},
	{"beta2", []string{"adam", "adamw"}},
	{"epsilon", []string{"adam", "adamw", "rmsprop"}},
	{"rho", []string{"rmsprop"}},
}

func (p *parser) train(n *yaml.Node) {
	m := p.mapping(n, "train", trainKeys)
	if m == nil {
		return
	}
	t := &p.spec.train
	p.require(m, "epochs", "batch_size", "learning_rate")
	p.fields(m, []tfield{
		{"epochs", &t.epochs, ruleEpochs, true},
		{"batch_size", &t.batchSize, ruleBatchSize, true},
		{"optimizer", &t.optimizer, ruleOptimizer, false},
		{"learning_rate", &t.learningRate, ruleRate, true},
		{"weight_decay", &t.weightDecay, ruleNonNeg, false},
		{"momentum", &t.momentum, ruleUnit, false},
		{"nesterov", &t.nesterov, boolRule, false},
		{"beta1", &t.beta1, ruleUnit, false},
		{"beta2", &t.beta2, ruleUnit, false},
		{"epsilon", &t.epsilon, ruleEpsilon, false},
		{"rho", &t.rho, ruleUnit, false},
		{"clip_norm", &t.clipNorm, ruleNonNeg, false},
		{"patience", &t.patience, rulePatience, false},
		{"loss", &t.loss, ruleLoss, false},
	})
	if !t.optimizer.set || t.optimizer.ref == "" {
		opt := "adam"
		if t.optimizer.set {
			opt = t.optimizer.lit.Str
		}
		for _, o := range optimizerOptions {
			if m.has(o.key) && !contains(o.opts, opt) {
				l, c := m.keyPos(o.key)
				p.add(l, c, join("train", o.key), "%s applies to optimizer %s, not %s", o.key, oneOf(o.opts), opt)
			}
		}
	}
	if t.loss.set && t.loss.ref == "" {
		if msg := lossProblem(t.loss.lit.Str, &p.spec.Data); msg != "" {
			p.add(t.loss.line, t.loss.col, "train.loss", "%s", msg)
		}
	}
	if sn := m.get("schedule"); sn != nil {
		p.schedule(sn, &t.schedule)
	}
	if an := m.get("augment"); an != nil {
		const path = "train.augment"
		if k := p.spec.model.kind; k != "cnn" {
			l, c := m.keyPos("augment")
			p.add(l, c, path, "augment applies to model kind cnn, not %s", k)
		}
		if am := p.mapping(an, path, []string{"crop", "flip"}); am != nil {
			p.fields(am, []tfield{
				{"crop", &t.augment.crop, ruleCrop, false},
				{"flip", &t.augment.flip, boolRule, false},
			})
		}
	}
}

func (p *parser) schedule(n *yaml.Node, s *scheduleTemplate) {
	const path = "train.schedule"
	n = deref(n)
	if n.Kind == yaml.ScalarNode {
		p.templateField(n, join(path, "kind"), ruleSchedule, &s.kind)
		return
	}
	m := p.mapping(n, path, []string{"kind", "warmup_epochs", "step_epochs", "gamma", "min_lr"})
	if m == nil {
		return
	}
	p.fields(m, []tfield{
		{"kind", &s.kind, ruleSchedule, false},
		{"warmup_epochs", &s.warmup, ruleWarmup, false},
		{"step_epochs", &s.stepEpochs, ruleStepEpochs, false},
		{"gamma", &s.gamma, ruleGamma, false},
		{"min_lr", &s.minLR, ruleNonNeg, false},
	})
	if s.kind.ref != "" {
		return
	}
	kind := "constant"
	if s.kind.set {
		kind = s.kind.lit.Str
	}
	for _, o := range []struct{ key, kind string }{{"step_epochs", "step"}, {"gamma", "step"}, {"min_lr", "cosine"}} {
		if m.has(o.key) && kind != o.kind {
			l, c := m.keyPos(o.key)
			p.add(l, c, join(path, o.key), "%s applies to schedule %s, not %s", o.key, o.kind, kind)
		}
	}
}

// A tfield names a template field for fields.
type tfield struct {
	key      string
	f        *field
	rule     *fieldRule
	required bool
}

// fields parses the template fields of m that are present.
func (p *parser) fields(m *mapping, fs []tfield) {
	for _, tf := range fs {
		if n := m.get(tf.key); n != nil {
			p.templateField(n, join(m.path, tf.key), tf.rule, tf.f)
			tf.f.required = tf.required
		}
	}
}

var searchKeys = []string{"strategy", "trials", "parallel", "keep_weights", "points", "method", "startup", "univariate",
	"min_epochs", "max_epochs", "eta", "sampler", "pruner"}

// strategyOptions lists the search options each strategy takes besides
// strategy, trials and parallel.
var strategyOptions = map[string][]string{
	"grid":               {"points", "pruner"},
	"random":             {"pruner"},
	"bayesian":           {"method", "startup", "univariate", "pruner"},
	"successive-halving": {"min_epochs", "max_epochs", "eta", "sampler", "startup"},
	"asha":               {"min_epochs", "max_epochs", "eta", "sampler", "startup"},
	"hyperband":          {"min_epochs", "max_epochs", "eta", "sampler", "startup"},
}

func (p *parser) search(n *yaml.Node) {
	m := p.mapping(n, "search", searchKeys)
	if m == nil {
		return
	}
	p.searchMap = m
	s := &p.spec.Search
	p.require(m, "strategy", "trials")
	s.Strategy = p.litString(m.get("strategy"), "search.strategy", ruleStrategy, "")
	s.Trials = p.litInt(m.get("trials"), "search.trials", ruleTrials, 0)
	s.Parallel = p.litInt(m.get("parallel"), "search.parallel", ruleParallel, 1)
	s.KeepWeights = p.litInt(m.get("keep_weights"), "search.keep_weights", ruleKeepWeights, DefaultKeepWeights)
	if s.Strategy == "" {
		return
	}
	allowed := strategyOptions[s.Strategy]
	for _, k := range searchKeys[4:] {
		if m.has(k) && !contains(allowed, k) {
			l, c := m.keyPos(k)
			p.add(l, c, join("search", k), "%s is not an option of strategy %s (it takes %s)", k, s.Strategy, oneOf(append([]string{"trials", "parallel", "keep_weights"}, allowed...)))
		}
	}
	switch s.Strategy {
	case "grid":
		s.Points = p.litInt(m.get("points"), "search.points", rulePoints, 0)
	case "bayesian":
		s.Method = p.litString(m.get("method"), "search.method", ruleMethod, "tpe")
		s.Startup = p.litInt(m.get("startup"), "search.startup", ruleStartup, 10)
		s.Univariate = p.litBool(m.get("univariate"), "search.univariate", false)
		if s.Univariate && s.Method != "tpe" {
			l, c := m.keyPos("univariate")
			p.add(l, c, "search.univariate", "univariate applies to method tpe, not %s", s.Method)
		}
	case "successive-halving", "asha", "hyperband":
		s.MinEpochs = p.litInt(m.get("min_epochs"), "search.min_epochs", ruleEpochs, 1)
		s.MaxEpochs = p.litInt(m.get("max_epochs"), "search.max_epochs", ruleEpochs, 0)
		s.Eta = p.litInt(m.get("eta"), "search.eta", ruleEta, 3)
		s.Sampler = p.litString(m.get("sampler"), "search.sampler", ruleSampler, "random")
		if s.Sampler != "random" {
			s.Startup = p.litInt(m.get("startup"), "search.startup", ruleStartup, 10)
		} else if m.has("startup") {
			l, c := m.keyPos("startup")
			p.add(l, c, "search.startup", "startup applies to sampler tpe or gp, not random")
		}
	}
	if pn := m.get("pruner"); pn != nil && contains(allowed, "pruner") {
		s.Pruner = p.pruner(pn)
	}
}

func (p *parser) pruner(n *yaml.Node) *PrunerSpec {
	const path = "search.pruner"
	pr := &PrunerSpec{MinTrials: 5}
	if deref(n).Kind == yaml.ScalarNode {
		pr.Kind = p.litString(n, join(path, "kind"), rulePruner, "")
		return pr
	}
	m := p.mapping(n, path, []string{"kind", "warmup_epochs", "min_trials"})
	if m == nil {
		return nil
	}
	p.require(m, "kind")
	pr.Kind = p.litString(m.get("kind"), join(path, "kind"), rulePruner, "")
	pr.WarmupEpochs = p.litInt(m.get("warmup_epochs"), join(path, "warmup_epochs"), ruleWarmup, 0)
	pr.MinTrials = p.litInt(m.get("min_trials"), join(path, "min_trials"), ruleMinTrials, 5)
	return pr
}

// lossProblem says why loss cannot train on data d, or returns "".
func lossProblem(loss string, d *DataSpec) string {
	switch {
	case loss == "":
	case d.Task == core.Regression && loss != "mse":
		return fmt.Sprintf("loss %s needs a classification task, but the data is regression", loss)
	case d.Task == core.Classification && loss == "mse":
		return "loss mse needs a regression task, but the data is classification"
	case d.Task == core.Classification && loss == "binary_cross_entropy" && d.Classes > 0 && d.Classes != 2:
		return fmt.Sprintf("loss binary_cross_entropy needs 2 classes, but the data has %d", d.Classes)
	}
	return ""
}

// checkSearch checks what the strategy needs of the space; the space is
// built.
func (p *parser) checkSearch() {
	s := &p.spec.Search
	m := p.searchMap
	if m == nil || p.spec.Space == nil {
		return
	}
	if len(p.spec.Space.Params) == 0 {
		for _, o := range []struct{ key, val string }{{"method", s.Method}, {"sampler", s.Sampler}} {
			if o.val == "gp" {
				l, c := m.keyPos(o.key)
				p.add(l, c, join("search", o.key), "%s gp models the space, but the space has no parameters", o.key)
			}
		}
	}
	if s.Strategy != "grid" || len(p.errs) > 0 {
		return
	}
	for _, q := range p.order {
		r := &q.param
		if r.Type != search.Choice && r.Step == 0 && r.Points == 0 && r.Low != r.High && s.Points == 0 {
			p.add(q.line, q.col, q.path, "the grid needs the points of this range: set points or step here, or search.points for every range")
		}
	}
	if len(p.errs) > 0 {
		return
	}
	if _, err := p.spec.Space.GridSize(s.Points); err != nil {
		l, c := m.keyPos("strategy")
		p.add(l, c, "search.strategy", "the grid has more than %d points, the most it may have; give its ranges fewer points or larger steps", search.MaxGrid)
	}
}

// checkStrategy checks what the strategy needs of the train section.
func (p *parser) checkStrategy() {
	s := &p.spec.Search
	m := p.searchMap
	if m == nil || !halving(s.Strategy) {
		return
	}
	var epochs int
	if cmd := p.spec.Command; cmd != nil {
		if cmd.Epochs == 0 {
			return
		}
		epochs = cmd.Epochs
	} else {
		e := &p.spec.train.epochs
		if !e.set {
			return
		}
		if e.ref != "" {
			p.add(e.line, e.col, e.path, "strategy %s sets each trial's epochs itself; train.epochs must be a number (the most epochs a trial trains)", s.Strategy)
			return
		}
		epochs = e.lit.Int()
	}
	switch {
	case s.MaxEpochs == 0:
		s.MaxEpochs = epochs
	case s.MaxEpochs > epochs && p.spec.Command != nil:
		l, c := m.keyPos("max_epochs")
		p.add(l, c, "search.max_epochs", "max_epochs %d exceeds command.epochs %d", s.MaxEpochs, epochs)
	case s.MaxEpochs > epochs:
		l, c := m.keyPos("max_epochs")
		p.add(l, c, "search.max_epochs", "max_epochs %d exceeds train.epochs %d (schedules are laid out over train.epochs)", s.MaxEpochs, epochs)
	}
	if s.MinEpochs > s.MaxEpochs && s.MaxEpochs > 0 {
		l, c := m.keyPos("min_epochs")
		p.add(l, c, "search.min_epochs", "min_epochs %d exceeds max_epochs %d", s.MinEpochs, s.MaxEpochs)
	}
}

// checkRefs checks every $reference: the parameter exists, every value it
// takes fits the field, and a field that needs a value in every trial does
// not name a conditional parameter.
func (p *parser) checkRefs() {
	names := make([]string, 0, len(p.order))
	for _, q := range p.order {
		names = append(names, q.param.Name)
	}
	for _, f := range p.uses {
		info := p.params[f.ref]
		if info == nil && p.broken[f.ref] {
			continue
		}
		if info == nil {
			p.add(f.line, f.col, f.path, "$%s: no parameter %q in space%s", f.ref, f.ref, suggest(f.ref, names))
			continue
		}
		info.used = true
		if msg := fits(f.rule, &info.param); msg != "" {
			p.add(f.line, f.col, f.path, "$%s: %s", f.ref, msg)
			continue
		}
		f.cond = info.when != nil
		if f.cond && f.required {
			p.add(f.line, f.col, f.path, "$%s: parameter %q is conditional, but this field needs a value in every trial", f.ref, f.ref)
		}
	}
	h := &p.spec.model.hidden
	if h.form == hiddenPrefix && h.depth.ref != "" {
		if info := p.params[h.depth.ref]; info != nil {
			if _, hi := bounds(&info.param); int(hi) > len(h.widths) {
				p.add(h.depth.line, h.depth.col, h.depth.path, "$%s can be %d, but only %d widths are listed", h.depth.ref, int(hi), len(h.widths))
			}
		}
	}
}

// checkUnused reports parameters that no field and no condition uses.
func (p *parser) checkUnused() {
	for _, q := range p.order {
		if !q.used && !p.mentioned[q.param.Name] {
			p.add(q.line, q.col, q.path, "parameter %q is not used: refer to it as $%s in model or train, or remove it", q.param.Name, q.param.Name)
		}
	}
}
