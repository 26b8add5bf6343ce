package core

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

type refFunc = func(x []float64, n int, p [][]float64) []float64

// refConv is the float64 reference of conv2D: the textbook loops.
func refConv(in imageShape, f, k, stride, pad, dil int, act activation, bias bool) (refFunc, imageShape) {
	oh, ow := convOut(in.h, k, stride, pad, dil), convOut(in.w, k, stride, pad, dil)
	out := imageShape{f, oh, ow}
	return func(x []float64, n int, p [][]float64) []float64 {
		y := make([]float64, n*out.size())
		for s := range n {
			for o := range f {
				for oy := range oh {
					for ox := range ow {
						v := 0.0
						if bias {
							v = p[1][o]
						}
						for c := range in.c {
							for ki := range k {
								for kj := range k {
									iy, ix := oy*stride-pad+ki*dil, ox*stride-pad+kj*dil
									if iy < 0 || iy >= in.h || ix < 0 || ix >= in.w {
										continue
									}
									v += p[0][((o*in.c+c)*k+ki)*k+kj] * x[s*in.size()+(c*in.h+iy)*in.w+ix]
								}
							}
						}
						y[s*out.size()+(o*oh+oy)*ow+ox] = refAct(act, v)
					}
				}
			}
		}
		return y
	}, out
}

func refPool(in imageShape, k, stride int, isMax bool) refFunc {
	oh, ow := convOut(in.h, k, stride, 0, 1), convOut(in.w, k, stride, 0, 1)
	return func(x []float64, n int, p [][]float64) []float64 {
		y := make([]float64, 0, n*in.c*oh*ow)
		for pl := range n * in.c {
			xc := x[pl*in.plane():]
			for oy := range oh {
				for ox := range ow {
					m, s := math.Inf(-1), 0.0
					for ki := range k {
						for kj := range k {
							v := xc[(oy*stride+ki)*in.w+ox*stride+kj]
							m = max(m, v)
							s += v
						}
					}
					if isMax {
						y = append(y, m)
					} else {
						y = append(y, s/float64(k*k))
					}
				}
			}
		}
		return y
	}
}

func refBatchNorm2D(sh imageShape, act activation) refFunc {
	return func(x []float64, n int, p [][]float64) []float64 {
		y := make([]float64, len(x))
		pl := sh.plane()
		cnt := float64(n * pl)
		for c := range sh.c {
			mean, v := 0.0, 0.0
			for s := range n {
				for i := range pl {
					mean += x[(s*sh.c+c)*pl+i]
				}
			}
			mean /= cnt
			for s := range n {
				for i := range pl {
					d := x[(s*sh.c+c)*pl+i] - mean
					v += d * d
				}
			}
			v /= cnt
			for s := range n {
				for i := range pl {
					o := (s*sh.c+c)*pl + i
					y[o] = refAct(act, p[0][c]*(x[o]-mean)/math.Sqrt(v+bnEpsilon)+p[1][c])
				}
			}
		}
		return y
	}
}

func refResidual(in imageShape, f, k, stride int, act activation) refFunc {
	c1, s1 := refConv(in, f, k, stride, k/2, 1, activation{}, false)
	b1 := refBatchNorm2D(s1, act)
	c2, s2 := refConv(s1, f, k, 1, k/2, 1, activation{}, false)
	b2 := refBatchNorm2D(s2, activation{})
	proj := s2 != in
	cp, _ := refConv(in, f, 1, stride, 0, 1, activation{}, false)
	bp := refBatchNorm2D(s2, activation{})
	return func(x []float64, n int, p [][]float64) []float64 {
		h := b2(c2(b1(c1(x, n, p[0:1]), n, p[1:3]), n, p[3:4]), n, p[4:6])
		s := x
		if proj {
			s = bp(cp(x, n, p[6:7]), n, p[7:9])
		}
		y := make([]float64, len(h))
		for i := range h {
			y[i] = refAct(act, h[i]+s[i])
		}
		return y
	}
}

// convGradCases are the convolutional layers for TestLayerGradients and
// TestBackwardWithoutInput.
func convGradCases(n int) []gradCase {
	var g Gemm
	var cases []gradCase
	in := imageShape{2, 5, 6}
	for _, c := range []struct {
		f, k, stride, pad, dil int
		act                    activation
		bias                   bool
	}{
		{3, 3, 1, 1, 1, activation{kind: actReLU}, true},
		{3, 3, 2, 0, 1, activation{}, false},
		{2, 2, 1, 1, 2, activation{kind: actTanh}, true},
		{4, 1, 1, 0, 1, activation{kind: actGELU}, true},
		{3, 3, 2, 1, 1, activation{kind: actLeakyReLU, slope: 0.1}, true},
		{2, 1, 2, 0, 1, activation{}, true},
		{2, 5, 1, 2, 1, activation{kind: actReLU}, true},
		{2, 3, 1, 3, 3, activation{}, true},
		{2, 3, 1, 0, 1, activation{}, true}, // stride 1, narrower output
	} {
		l := newConv2D("conv", in, c.f, c.k, c.stride, c.pad, c.dil, n, c.bias, c.act, &g)
		ref, out := refConv(in, c.f, c.k, c.stride, c.pad, c.dil, c.act, c.bias)
		cases = append(cases, gradCase{
			name: fmt.Sprintf("conv/k%d/s%d/p%d/d%d/%v/bias=%v", c.k, c.stride, c.pad, c.dil, c.act, c.bias),
			l:    l, in: in.size(), out: out.size(), ref: ref,
		})
	}
	for _, c := range []struct{ k, stride int }{{2, 2}, {3, 2}, {2, 1}} {
		mp := newMaxPool2D("maxpool", in, c.k, c.stride, n)
		cases = append(cases, gradCase{name: fmt.Sprintf("maxpool/k%d/s%d", c.k, c.stride), l: mp,
			in: in.size(), out: mp.out.size(), ref: refPool(in, c.k, c.stride, true)})
		ap := newAvgPool2D("avgpool", in, c.k, c.stride, n)
		cases = append(cases, gradCase{name: fmt.Sprintf("avgpool/k%d/s%d", c.k, c.stride), l: ap,
			in: in.size(), out: ap.out.size(), ref: refPool(in, c.k, c.stride, false)})
	}
	cases = append(cases, gradCase{name: "globalavgpool", l: newGlobalAvgPool("gap", in, n), in: in.size(), out: in.c,
		ref: func(x []float64, n int, p [][]float64) []float64 {
			y := make([]float64, n*in.c)
			for i := range y {
				for _, v := range x[i*in.plane() : (i+1)*in.plane()] {
					y[i] += v / float64(in.plane())
				}
			}
			return y
		}})
	cases = append(cases, gradCase{name: "flatten", l: &flatten{name: "flatten", in: in}, in: in.size(), out: in.size(),
		ref: func(x []float64, n int, p [][]float64) []float64 { return append([]float64(nil), x...) }})
	for _, act := range []activation{{}, {kind: actReLU}, {kind: actGELU}} {
		bn := newBatchNorm2D("bn", in, n, act)
		bn.setState(make([]float32, bn.stateLen()))
		cases = append(cases, gradCase{name: fmt.Sprintf("batchnorm2d/%v", act), l: bn, in: in.size(), out: in.size(),
			ref: refBatchNorm2D(in, act)})
	}
	for _, c := range []struct {
		in             imageShape
		f, k, stride   int
		act            activation
		wantProjection bool
	}{
		{imageShape{3, 4, 4}, 3, 3, 1, activation{kind: actReLU}, false},
		{imageShape{2, 5, 5}, 3, 3, 2, activation{kind: actReLU}, true},
		{imageShape{2, 4, 4}, 3, 1, 1, activation{kind: actTanh}, true},
	} {
		r := newResidual("res", c.in, c.f, c.k, c.stride, n, c.act, &g)
		if (r.proj != nil) != c.wantProjection {
			panic("residual block: unexpected shortcut")
		}
		for _, bn := range r.norms() {
			bn.setState(make([]float32, bn.stateLen()))
		}
		cases = append(cases, gradCase{name: fmt.Sprintf("residual/%v/f%d/k%d/s%d/%v", c.in, c.f, c.k, c.stride, c.act), l: r,
			in: c.in.size(), out: r.out.size(), ref: refResidual(c.in, c.f, c.k, c.stride, c.act)})
	}
	dr := newDropout("dropout", in.size(), n, 0.3, rand.NewPCG(1, 3))
	var mask []float64
	cases = append(cases, gradCase{
		name: "dropout/nchw", l: dr, in: in.size(), out: in.size(),
		setup: func() { mask = to64(dr.mask.view(n).Data) },
		ref: func(x []float64, n int, p [][]float64) []float64 {
			y := make([]float64, len(x))
			for i, v := range x {
				y[i] = v * mask[i]
			}
			return y
		},
	})
	return cases
}

func TestConvOut(t *testing.T) {
	for _, c := range []struct{ n, k, stride, pad, dil, want int }{
		{28, 3, 1, 1, 1, 28},
		{28, 2, 2, 0, 1, 14},
		{7, 2, 2, 0, 1, 3},
		{5, 3, 2, 0, 1, 2},
		{5, 3, 1, 0, 2, 1},
		{4, 3, 1, 0, 2, 0}, // a dilated 3x3 spans 5
		{2, 3, 1, 0, 1, 0},
		{2, 3, 1, 1, 1, 2},
	} {
		if got := convOut(c.n, c.k, c.stride, c.pad, c.dil); got != c.want {
			t.Errorf("convOut(%d, k=%d, s=%d, p=%d, d=%d) = %d, want %d", c.n, c.k, c.stride, c.pad, c.dil, got, c.want)
		}
	}
}

// TestMaxPoolTies checks that a window of equal values sends its gradient
// to one input only, whichever loop computes it.
func TestMaxPoolTies(t *testing.T) {
	in := imageShape{1, 4, 4}
	for _, k := range []int{2, 3} {
		p := newMaxPool2D("maxpool", in, k, 2, 1)
		x := &Tensor{Rows: 1, Cols: 16, Data: make([]float32, 16)}
		p.forward(x, true)
		dy := &Tensor{Rows: 1, Cols: p.out.size(), Data: make([]float32, p.out.size())}
		for i := range dy.Data {
			dy.Data[i] = 1
		}
		dx := p.backward(dy, true)
		sum := float32(0)
		for _, v := range dx.Data {
			sum += v
		}
		if sum != float32(p.out.size()) {
			t.Errorf("k=%d: input gradients sum to %v, want %d", k, sum, p.out.size())
		}
	}
}

// TestPlaneReluKernels checks that the assembly ReLU kernels of the
// convolution agree with the portable loops bit for bit, NaN and lengths
// that are not multiples of 8 included.
func TestPlaneReluKernels(t *testing.T) {
	if !useActAsm {
		t.Skip("no assembly kernels on this CPU or build")
	}
	rng := rand.New(rand.NewPCG(5, 5))
	nan := float32(math.NaN())
	for _, n := range []int{1, 7, 8, 9, 31, 32, 33, 100, 784} {
		y := randSlice(rng, n, 1)
		dy := randSlice(rng, n, 1)
		y[n/2] = nan
		run := func(asm bool) (relu, d []float32, sum float32) {
			defer func(v bool) { useActAsm = v }(useActAsm)
			useActAsm = asm
			relu = append([]float32(nil), y...)
			planeRelu(relu, 0.25)
			d = append([]float32(nil), dy...)
			sum = planeReluBack(d, relu)
			return relu, d, sum
		}
		r1, d1, s1 := run(true)
		r0, d0, s0 := run(false)
		same := func(a, b float32) bool { return math.Float32bits(a) == math.Float32bits(b) }
		for i := range r1 {
			if !same(r1[i], r0[i]) || !same(d1[i], d0[i]) {
				t.Fatalf("n=%d element %d: assembly %v, %v; Go %v, %v", n, i, r1[i], d1[i], r0[i], d0[i])
			}
		}
		if !same(s1, s0) {
			t.Errorf("n=%d: sums %v (assembly) and %v (Go)", n, s1, s0)
		}
		if r1[n/2] == r1[n/2] {
			t.Errorf("n=%d: ReLU lost a NaN", n)
		}
	}
}

// TestMaxPoolKernel checks the assembly 2×2 max-pooling loop against the
// portable one bit for bit, on widths with and without a remainder of 8
// outputs, with ties (zeros, as after a ReLU) and NaN.
func TestMaxPoolKernel(t *testing.T) {
	if !useActAsm {
		t.Skip("no assembly kernels on this CPU or build")
	}
	rng := rand.New(rand.NewPCG(6, 6))
	for _, sh := range []imageShape{{2, 28, 28}, {3, 14, 14}, {1, 7, 7}, {2, 6, 35}, {1, 2, 2}, {1, 3, 33}} {
		n := 2
		x := &Tensor{Rows: n, Cols: sh.size(), Data: randSlice(rng, n*sh.size(), 1)}
		for i := range x.Data {
			if x.Data[i] < 0 {
				x.Data[i] = 0
			}
		}
		x.Data[len(x.Data)/3] = float32(math.NaN())
		run := func(asm bool) ([]float32, []int32) {
			defer func(v bool) { useActAsm = v }(useActAsm)
			useActAsm = asm
			p := newMaxPool2D("pool", sh, 2, 2, n)
			y := p.forward(x, true)
			return append([]float32(nil), y.Data...), append([]int32(nil), p.arg[:len(y.Data)]...)
		}
		y1, a1 := run(true)
		y0, a0 := run(false)
		for i := range y0 {
			if math.Float32bits(y1[i]) != math.Float32bits(y0[i]) || a1[i] != a0[i] {
				t.Fatalf("%v output %d: assembly %v at %d, Go %v at %d", sh, i, y1[i], a1[i], y0[i], a0[i])
			}
		}
	}
}
