package search

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"

	"github.com/dltune/dltune"
)

// A parzen is a Parzen density over one group's dimensions: a mixture of
// n kernels, one per observation and a last one for the prior, each a
// product over the dimensions of a truncated Gaussian (numeric) or a
// categorical distribution (choice).
type parzen struct {
	n, D       int
	logw, cumw []float64 // kernel log weights; cumulative weights
	// Numeric dimension d, kernel k at d*n+k: centre, bandwidth, inverse
	// bandwidth and the constant term of the log density.
	mu, sigma, isig, c []float64
	// Choice dimension d, choice i, kernel k at off[d]+i*n+k.
	off        []int
	prob, logp []float64
}

// fit sets p to the density of the m points pts (m*D model coordinates,
// row-major) with weights w, plus the prior kernel, as opt says. sortIdx
// and mc are scratch.
func (p *parzen) fit(dims []tpeDim, pts, w []float64, opt *TPEOptions, sortIdx *[]muIndex, mc *massCache) {
	priorWeight := opt.PriorWeight
	D, m := len(dims), len(w)
	n := m + 1
	p.n, p.D = n, D
	p.logw = resize(p.logw, n)
	p.cumw = resize(p.cumw, n)
	sum := priorWeight
	for _, x := range w {
		sum += x
	}
	cum := 0.0
	for k := range n {
		x := priorWeight
		if k < m {
			x = w[k]
		}
		p.logw[k] = math.Log(x / sum)
		cum += x / sum
		p.cumw[k] = cum
	}
	p.cumw[n-1] = 1

	p.mu = resize(p.mu, D*n)
	p.sigma = resize(p.sigma, D*n)
	p.isig = resize(p.isig, D*n)
	p.c = resize(p.c, D*n)
	p.off = resize(p.off, D)
	size := 0
	for d := range dims {
		p.off[d] = size
		if dims[d].cat {
			size += dims[d].nc * n
		}
	}
	p.prob = resize(p.prob, size)
	p.logp = resize(p.logp, size)

	for d := range dims {
		dim := &dims[d]
		if dim.cat {
			p.fitChoice(d, dim.nc, pts, m, priorWeight)
			continue
		}
		mu, sig := p.mu[d*n:(d+1)*n], p.sigma[d*n:(d+1)*n]
		for k := range m {
			mu[k] = pts[k*D+d]
		}
		mu[m] = (dim.lo + dim.hi) / 2
		width := dim.hi - dim.lo
		switch {
		case opt.Univariate:
			neighbourSigmas(mu, sig, dim.lo, dim.hi, sortIdx)
		case opt.FixedBandwidth:
			s := opt.Bandwidth * math.Pow(float64(max(m, 1)), -1/float64(D+4)) * width
			for k := range m {
				sig[k] = s
			}
		default:
			s := opt.Bandwidth * math.Pow(float64(max(m, 1)), -1/float64(D+4)) * width
			neighbourSigmas(mu, sig, dim.lo, dim.hi, sortIdx)
			for k := range m {
				sig[k] = min(sig[k], s)
			}
		}
		sig[m] = width
		minSigma := width / min(100, opt.MagicClip*(1+float64(n)))
		isig, c := p.isig[d*n:(d+1)*n], p.c[d*n:(d+1)*n]
		mc.reset()
		for k := range n {
			s := min(max(sig[k], minSigma), width)
			sig[k] = s
			isig[k] = 1 / s
			c[k] = -mc.logNormMass((dim.lo-mu[k])/s, (dim.hi-mu[k])/s)
			if !dim.disc {
				c[k] -= math.Log(s) + logSqrt2Pi
			}
		}
	}
}

// A muIndex is a kernel centre and its index, for sorting.
type muIndex struct {
	mu float64
	k  int
}

// neighbourSigmas sets sig[k] to the larger distance from mu[k] to its
// neighbours among mu (the interval ends standing in for missing
// neighbours), except that the lowest and highest centres take the
// distance to their only neighbour, as Optuna does without
// consider_endpoints.
func neighbourSigmas(mu, sig []float64, lo, hi float64, sortIdx *[]muIndex) {
	n := len(mu)
	idx := resize(*sortIdx, n)
	*sortIdx = idx
	for i := range idx {
		idx[i] = muIndex{mu[i], i}
	}
	slices.SortFunc(idx, func(a, b muIndex) int {
		switch {
		case a.mu < b.mu:
			return -1
		case a.mu > b.mu:
			return 1
		}
		return a.k - b.k
	})
	for j, e := range idx {
		k := e.k
		left, right := lo, hi
		if j > 0 {
			left = idx[j-1].mu
		}
		if j < n-1 {
			right = idx[j+1].mu
		}
		s := max(mu[k]-left, right-mu[k])
		if n >= 2 && j == 0 {
			s = right - mu[k]
		} else if n >= 2 && j == n-1 {
			s = mu[k] - left
		}
		sig[k] = s
	}
}

// fitChoice sets the categorical kernels of choice dimension d: each
// observation's kernel puts weight 1 + priorWeight/n on its choice and
// priorWeight/n on every other, normalized; the prior kernel is uniform.
func (p *parzen) fitChoice(d, nc int, pts []float64, m int, priorWeight float64) {
	n := p.n
	base := p.off[d]
	fill := priorWeight / float64(n)
	norm := 1 + fill*float64(nc)
	for i := range nc {
		row := p.prob[base+i*n : base+(i+1)*n]
		for k := range m {
			row[k] = fill / norm
			if int(pts[k*p.D+d]) == i {
				row[k] = (1 + fill) / norm
			}
		}
		row[m] = 1 / float64(nc)
		lrow := p.logp[base+i*n : base+(i+1)*n]
		for k, x := range row {
			lrow[k] = math.Log(x)
		}
	}
}

// pick draws a kernel index by weight.
func (p *parzen) pick(r *rand.Rand) int {
	return min(sort.SearchFloat64s(p.cumw, r.Float64()), p.n-1)
}

// logpdfs sets out[j] to the log density at candidate j of c. acc is
// scratch for len(out)*p.n values; col for p.n.
func (p *parzen) logpdfs(dims []tpeDim, c *tpeCands, out []float64, acc, col *[]float64, mc *massCache) {
	n, D, m := p.n, len(dims), len(out)
	*acc = resize(*acc, m*n)
	*col = resize(*col, n)
	a := *acc
	for j := range m {
		copy(a[j*n:(j+1)*n], p.logw)
	}
	for d := range dims {
		switch {
		case dims[d].cat:
			for j := range m {
				base := p.off[d] + int(c.x[j*D+d])*n
				lp, row := p.logp[base:base+n], a[j*n:(j+1)*n]
				for k := range row {
					row[k] += lp[k]
				}
			}
		case dims[d].disc:
			// Candidates share few distinct values: compute each value's
			// column of kernel masses once.
			mu, isig, cst := p.mu[d*n:(d+1)*n], p.isig[d*n:(d+1)*n], p.c[d*n:(d+1)*n]
			cl := *col
			done := c.done[:m]
			clear(done)
			for j := range m {
				if done[j] {
					continue
				}
				x, lo, hi := c.x[j*D+d], c.a[j*D+d], c.b[j*D+d]
				mc.reset()
				for k := range cl {
					cl[k] = cst[k] + mc.logNormMass((lo-mu[k])*isig[k], (hi-mu[k])*isig[k])
				}
				for j2 := j; j2 < m; j2++ {
					if !done[j2] && c.x[j2*D+d] == x {
						done[j2] = true
						row := a[j2*n : (j2+1)*n]
						for k := range row {
							row[k] += cl[k]
						}
					}
				}
			}
		default:
			mu, isig, cst := p.mu[d*n:(d+1)*n], p.isig[d*n:(d+1)*n], p.c[d*n:(d+1)*n]
			for j := range m {
				x, row := c.x[j*D+d], a[j*n:(j+1)*n]
				for k := range row {
					z := (x - mu[k]) * isig[k]
					row[k] += cst[k] - 0.5*z*z
				}
			}
		}
	}
	for j := range m {
		out[j] = logSumExp(a[j*n : (j+1)*n])
	}
}

// tpeCands are the candidates of one suggestion for one group.
type tpeCands struct {
	x, a, b []float64      // model coordinates and discrete intervals, n*D
	vals    []dltune.Value // the candidates' values, n*D
	done    []bool         // scratch of logpdfs, n
	l, g    []float64      // log densities, n
	acc     []float64      // scratch of logpdfs
	col     []float64      // scratch of logpdfs
	mc      massCache      // scratch of logpdfs
}

// draw sets c to n candidates drawn from l: a kernel by weight, then each
// dimension from that kernel.
func (c *tpeCands) draw(r *rand.Rand, l *parzen, g *tpeGroup, n int) {
	D := len(g.dims)
	c.x = resize(c.x, n*D)
	c.a = resize(c.a, n*D)
	c.b = resize(c.b, n*D)
	c.vals = resize(c.vals, n*D)
	c.done = resize(c.done, n)
	for j := range n {
		k := l.pick(r)
		for d := range g.dims {
			dim := &g.dims[d]
			i := j*D + d
			if dim.cat {
				ci := l.drawChoice(r, d, dim.nc, k)
				c.x[i], c.vals[i] = float64(ci), dim.p.Choices[ci]
				continue
			}
			t := sampleTruncNormal(r, l.mu[d*l.n+k], l.sigma[d*l.n+k], dim.lo, dim.hi)
			v := dim.p.untransform(t)
			c.vals[i] = v
			c.x[i] = dim.p.transform(v.Num)
			if dim.disc {
				c.a[i], c.b[i] = dim.cell(c.x[i])
			}
		}
	}
}

// drawChoice draws a choice index from kernel k of choice dimension d.
func (p *parzen) drawChoice(r *rand.Rand, d, nc, k int) int {
	u := r.Float64()
	base := p.off[d]
	for i := range nc - 1 {
		u -= p.prob[base+i*p.n+k]
		if u < 0 {
			return i
		}
	}
	return nc - 1
}

// best returns the index of the candidate with the highest l(x)/g(x), the
// first one on ties.
func (c *tpeCands) best(l, g *parzen, grp *tpeGroup) int {
	n := len(c.x) / len(grp.dims)
	c.l = resize(c.l, n)
	c.g = resize(c.g, n)
	l.logpdfs(grp.dims, c, c.l, &c.acc, &c.col, &c.mc)
	g.logpdfs(grp.dims, c, c.g, &c.acc, &c.col, &c.mc)
	best, bestScore := 0, math.Inf(-1)
	for j := range n {
		if s := c.l[j] - c.g[j]; s > bestScore {
			best, bestScore = j, s
		}
	}
	return best
}
