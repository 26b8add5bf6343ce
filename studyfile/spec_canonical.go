package studyfile

import (
	"bytes"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/search"
)

// canonical returns the study in a normal form: keys in the reference's
// order, defaults written out, conditions in the map form with their
// values listed, comments and layout dropped. Parsing it under the same
// file name gives a Spec equal to s but for Source, so two study files
// with equal canonical forms run the same study. It is safe for
// concurrent use.
func (s *Spec) canonical() []byte {
	root := mapNode(false)
	put(root, "name", strNode(s.Name))
	put(root, "seed", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatUint(s.Seed, 10)})
	if s.Command != nil {
		put(root, "command", s.canonicalCommand())
	} else {
		put(root, "data", s.canonicalData())
		put(root, "model", s.canonicalModel())
		put(root, "train", s.canonicalTrain())
	}
	if s.Space != nil && len(s.Space.Params) > 0 {
		space := mapNode(false)
		for i := range s.Space.Params {
			put(space, s.Space.Params[i].Name, canonicalParam(&s.Space.Params[i]))
		}
		put(root, "space", space)
	}
	put(root, "search", s.canonicalSearch())

	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		// Every node above is a plain scalar, list or mapping.
		panic("studyfile: encode canonical form: " + err.Error())
	}
	enc.Close()
	return buf.Bytes()
}

func (s *Spec) canonicalData() *yaml.Node {
	d := &s.Data
	m := mapNode(false)
	put(m, "kind", strNode(d.Kind))
	switch d.Kind {
	case "idx":
		sec := mapNode(true)
		put(sec, "images", strNode(s.raw.images))
		put(sec, "labels", strNode(s.raw.labels))
		put(m, "train", sec)
	case "csv":
		sec := mapNode(true)
		put(sec, "path", strNode(s.raw.csv))
		put(sec, "target", strNode(d.Target))
		put(sec, "task", strNode(d.Task.String()))
		put(m, "csv", sec)
	case "synthetic":
		sec := mapNode(true)
		put(sec, "generator", strNode(d.Generator))
		put(sec, "samples", intNode(d.Samples))
		put(sec, "noise", valueNode(dltune.Float(d.Noise)))
		switch d.Generator {
		case "spirals":
			put(sec, "classes", intNode(d.Classes))
		case "blobs":
			put(sec, "classes", intNode(d.Classes))
			put(sec, "features", intNode(d.Features))
		case "friedman1":
			put(sec, "features", intNode(d.Features))
		}
		put(m, "synthetic", sec)
	}
	if d.Kind != "synthetic" && d.Classes > 0 {
		put(m, "classes", intNode(d.Classes))
	}
	put(m, "validation", valueNode(dltune.Float(d.Validation)))
	put(m, "normalize", strNode(d.Normalize))
	if t := s.raw.test; len(t) > 0 {
		sec := mapNode(true)
		if d.Kind == "idx" {
			put(sec, "images", strNode(t[0]))
			put(sec, "labels", strNode(t[1]))
		} else {
			put(sec, "path", strNode(t[0]))
		}
		put(m, "test", sec)
	}
	return m
}

func (s *Spec) canonicalModel() *yaml.Node {
	t := &s.model
	m := mapNode(false)
	kind := t.kind
	if kind == "" {
		kind = "mlp"
	}
	put(m, "kind", strNode(kind))
	if kind == "cnn" {
		b := &t.blocks
		list := make([]*yaml.Node, len(b.list))
		for i := range b.list {
			bt := &b.list[i]
			bm := mapNode(true)
			for _, kf := range []struct {
				key string
				f   *field
			}{
				{"filters", &bt.filters}, {"kernel", &bt.kernel}, {"stride", &bt.stride}, {"padding", &bt.padding},
				{"dilation", &bt.dilation}, {"batch_norm", &bt.batchNorm}, {"residual", &bt.residual},
				{"pool", &bt.pool}, {"pool_size", &bt.poolSize}, {"pool_stride", &bt.poolStride}, {"dropout", &bt.dropout},
			} {
				putField(bm, kf.key, kf.f)
			}
			list[i] = bm
		}
		if b.depth.set {
			bm := mapNode(false)
			put(bm, "depth", fieldNode(&b.depth))
			put(bm, "blocks", listNode(list...))
			put(m, "blocks", bm)
		} else {
			put(m, "blocks", listNode(list...))
		}
		putField(m, "global_pool", &t.globalPool)
	}
	h := &t.hidden
	switch h.form {
	case hiddenList:
		put(m, "hidden", fieldList(h.widths))
	case hiddenUniform:
		hm := mapNode(true)
		put(hm, "depth", fieldNode(&h.depth))
		put(hm, "width", fieldNode(&h.widths[0]))
		put(m, "hidden", hm)
	case hiddenPrefix:
		hm := mapNode(true)
		put(hm, "depth", fieldNode(&h.depth))
		put(hm, "widths", fieldList(h.widths))
		put(m, "hidden", hm)
	}
	putField(m, "activation", &t.activation)
	putField(m, "leaky_slope", &t.leakySlope)
	putField(m, "dropout", &t.dropout)
	putField(m, "batch_norm", &t.batchNorm)
	putField(m, "init", &t.init)
	return m
}

func (s *Spec) canonicalTrain() *yaml.Node {
	t := &s.train
	m := mapNode(false)
	for _, kf := range []struct {
		key string
		f   *field
	}{
		{"epochs", &t.epochs}, {"batch_size", &t.batchSize}, {"optimizer", &t.optimizer},
		{"learning_rate", &t.learningRate}, {"weight_decay", &t.weightDecay}, {"momentum", &t.momentum},
		{"nesterov", &t.nesterov}, {"beta1", &t.beta1}, {"beta2", &t.beta2}, {"epsilon", &t.epsilon},
		{"rho", &t.rho}, {"clip_norm", &t.clipNorm},
	} {
		putField(m, kf.key, kf.f)
	}
	sc := &t.schedule
	sm := mapNode(true)
	putField(sm, "kind", &sc.kind)
	putField(sm, "warmup_epochs", &sc.warmup)
	putField(sm, "step_epochs", &sc.stepEpochs)
	putField(sm, "gamma", &sc.gamma)
	putField(sm, "min_lr", &sc.minLR)
	if len(sm.Content) > 0 {
		put(m, "schedule", sm)
	}
	putField(m, "patience", &t.patience)
	putField(m, "loss", &t.loss)
	am := mapNode(true)
	putField(am, "crop", &t.augment.crop)
	putField(am, "flip", &t.augment.flip)
	if len(am.Content) > 0 {
		put(m, "augment", am)
	}
	return m
}

func canonicalParam(q *search.Param) *yaml.Node {
	m := mapNode(true)
	switch q.Type {
	case search.FloatRange, search.IntRange:
		kind, lo, hi := "float", valueNode(dltune.Float(q.Low)), valueNode(dltune.Float(q.High))
		if q.Type == search.IntRange {
			kind, lo, hi = "int", intNode(int(q.Low)), intNode(int(q.High))
		}
		put(m, kind, listNode(lo, hi))
		if q.Log {
			put(m, "log", boolNode(true))
		}
		if q.Step > 0 {
			if q.Type == search.IntRange {
				put(m, "step", intNode(int(q.Step)))
			} else {
				put(m, "step", valueNode(dltune.Float(q.Step)))
			}
		}
		if q.Points > 0 {
			put(m, "points", intNode(q.Points))
		}
	case search.Choice:
		vals := make([]*yaml.Node, len(q.Choices))
		for i, c := range q.Choices {
			vals[i] = valueNode(c)
		}
		put(m, "choice", listNode(vals...))
	}
	if q.When != nil {
		vals := make([]*yaml.Node, len(q.When.Values))
		for i, v := range q.When.Values {
			vals[i] = valueNode(v)
		}
		w := mapNode(true)
		put(w, q.When.Param, listNode(vals...))
		put(m, "when", w)
	}
	return m
}

func (s *Spec) canonicalSearch() *yaml.Node {
	ss := &s.Search
	m := mapNode(false)
	put(m, "strategy", strNode(ss.Strategy))
	put(m, "trials", intNode(ss.Trials))
	put(m, "parallel", intNode(ss.Parallel))
	if ss.KeepWeights != DefaultKeepWeights {
		put(m, "keep_weights", intNode(ss.KeepWeights))
	}
	switch ss.Strategy {
	case "grid":
		if ss.Points > 0 {
			put(m, "points", intNode(ss.Points))
		}
	case "bayesian":
		put(m, "method", strNode(ss.Method))
		put(m, "startup", intNode(ss.Startup))
		if ss.Method == "tpe" {
			put(m, "univariate", boolNode(ss.Univariate))
		}
	case "successive-halving", "asha", "hyperband":
		put(m, "min_epochs", intNode(ss.MinEpochs))
		put(m, "max_epochs", intNode(ss.MaxEpochs))
		put(m, "eta", intNode(ss.Eta))
		put(m, "sampler", strNode(ss.Sampler))
		if ss.Sampler != "random" {
			put(m, "startup", intNode(ss.Startup))
		}
	}
	if pr := ss.Pruner; pr != nil {
		pm := mapNode(true)
		put(pm, "kind", strNode(pr.Kind))
		put(pm, "warmup_epochs", intNode(pr.WarmupEpochs))
		put(pm, "min_trials", intNode(pr.MinTrials))
		put(m, "pruner", pm)
	}
	return m
}

func mapNode(flow bool) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	if flow {
		n.Style = yaml.FlowStyle
	}
	return n
}

func listNode(elems ...*yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle, Content: elems}
}

func put(m *yaml.Node, key string, v *yaml.Node) {
	m.Content = append(m.Content, strNode(key), v)
}

func putField(m *yaml.Node, key string, f *field) {
	if f.set {
		put(m, key, fieldNode(f))
	}
}

func fieldNode(f *field) *yaml.Node {
	if f.ref != "" {
		return strNode("$" + f.ref)
	}
	return valueNode(f.lit)
}

func fieldList(fs []field) *yaml.Node {
	elems := make([]*yaml.Node, len(fs))
	for i := range fs {
		elems[i] = fieldNode(&fs[i])
	}
	return listNode(elems...)
}

func strNode(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
}

func intNode(i int) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(i)}
}

func boolNode(b bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(b)}
}

// valueNode writes v so that it reads back with the same kind: a float
// always has a point or an exponent.
func valueNode(v dltune.Value) *yaml.Node {
	switch v.Kind {
	case dltune.KindFloat:
		s := strconv.FormatFloat(v.Num, 'g', -1, 64)
		if !strings.ContainsAny(s, ".e") {
			s += ".0"
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: s}
	case dltune.KindInt:
		return intNode(v.Int())
	case dltune.KindBool:
		return boolNode(v.Bool())
	}
	return strNode(v.Str)
}
