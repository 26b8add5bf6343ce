package studyfile

import "github.com/dltune/dltune/core"

// FixedSize reports whether training takes the same memory in every trial:
// whether no field that core.Config.EstimateMemory reads (model.hidden,
// activation, batch_norm, dropout, the blocks of a cnn, train.optimizer,
// momentum, batch_size, loss, augment) names a parameter. If so, it also returns the configuration of one
// trial, from which to estimate that memory, so that a study none of whose
// trials can fit is refused before it runs. The spec must have passed
// Validate; FixedSize returns false if the configuration does not resolve.
// It is safe for concurrent use.
func (s *Spec) FixedSize() (core.Config, bool) {
	if s.Command != nil {
		return core.Config{}, false // its program's memory is its own
	}
	m, t := &s.model, &s.train
	fields := []*field{&m.activation, &m.batchNorm, &m.dropout, &m.hidden.depth,
		&t.optimizer, &t.momentum, &t.batchSize, &t.loss}
	for i := range m.hidden.widths {
		fields = append(fields, &m.hidden.widths[i])
	}
	fields = append(fields, &m.blocks.depth, &m.globalPool, &t.augment.crop, &t.augment.flip)
	for i := range m.blocks.list {
		b := &m.blocks.list[i]
		fields = append(fields, &b.filters, &b.kernel, &b.stride, &b.padding, &b.dilation, &b.batchNorm,
			&b.residual, &b.pool, &b.poolSize, &b.poolStride, &b.dropout)
	}
	for _, f := range fields {
		if f.set && f.ref != "" {
			return core.Config{}, false
		}
	}
	c, err := s.Resolve(probes(s.Space)[0], 0)
	if err != nil {
		return core.Config{}, false
	}
	return c, true
}
