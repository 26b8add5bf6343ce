package core

import (
	"math/rand/v2"
	"strconv"
)

// newConvModel builds a convolutional network from a validated plan and
// the dense part of its configuration (Inputs and Outputs set), for
// batches of up to maxRows samples, and initializes it from seed.
//
// Block i (from 1) is named conv<i>, its batch normalization conv<i>.bn, or
// for a residual block res<i> with res<i>.conv1, res<i>.conv2 and
// res<i>.proj inside; the dense layers are dense1, dense2, ... as in an
// MLP.
func newConvModel(p *convPlan, cfg *MLPConfig, globalPool bool, act activation, init, outInit initKind, maxRows int, seed uint64) *model {
	m := &model{in: cfg.Inputs, out: cfg.Outputs, maxRows: maxRows, actKind: act.kind,
		dropRNG: rand.NewPCG(seed, streamDropout)}
	for i, b := range p.blocks {
		k := strconv.Itoa(i + 1)
		in, out := p.shapes[i], p.conv[i]
		if b.Residual {
			r := newResidual("res"+k, in, b.Filters, b.Kernel, b.Stride, maxRows, act, &m.gemm)
			m.layers = append(m.layers, r)
			units := []*rowBuffer{&r.bn1.y, &r.y, nil}
			for j, c := range r.convs() {
				m.addConv(c, units[j])
			}
		} else if b.BatchNorm {
			c := newConv2D("conv"+k, in, b.Filters, b.Kernel, b.Stride, b.Padding, b.Dilation, maxRows, false, activation{}, &m.gemm)
			bn := newBatchNorm2D("conv"+k+".bn", out, maxRows, act)
			m.layers = append(m.layers, c, bn)
			m.addConv(c, &bn.y)
		} else {
			c := newConv2D("conv"+k, in, b.Filters, b.Kernel, b.Stride, b.Padding, b.Dilation, maxRows, true, act, &m.gemm)
			m.layers = append(m.layers, c)
			m.addConv(c, &c.y)
		}
		switch b.Pool {
		case "max":
			m.layers = append(m.layers, newMaxPool2D("pool"+k, out, b.PoolSize, b.PoolStride, maxRows))
		case "avg":
			m.layers = append(m.layers, newAvgPool2D("pool"+k, out, b.PoolSize, b.PoolStride, maxRows))
		}
		if b.Dropout > 0 {
			dr := newDropout("conv"+k+".dropout", p.shapes[i+1].size(), maxRows, b.Dropout, m.dropRNG)
			m.layers = append(m.layers, dr)
			m.drops = append(m.drops, dr)
		}
	}
	last := p.shapes[len(p.blocks)]
	if globalPool {
		m.layers = append(m.layers, newGlobalAvgPool("global_pool", last, maxRows))
	} else {
		m.layers = append(m.layers, &flatten{name: "flatten", in: last})
	}
	m.addDenses(cfg, p.out.size(), act, maxRows)
	m.finish(init, outInit, seed)
	return m
}

func (m *model) addConv(c *conv2D, units *rowBuffer) {
	m.weighted = append(m.weighted, weightedLayer{name: c.name, w: c.w, fanIn: c.fanIn, fanOut: c.fanOut,
		units: units, plane: c.out.plane()})
}
