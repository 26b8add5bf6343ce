package core

import (
	"math"
	"math/rand/v2"
	"testing"
)

// refLoss is the float64 reference of each loss: the mean over rows.
func refLoss(k lossKind, z []float64, n, c int, labels []int32, y []float32) float64 {
	total := 0.0
	for i := range n {
		zr := z[i*c : (i+1)*c]
		switch k {
		case lossSoftmaxCE:
			s := 0.0
			for _, v := range zr {
				s += math.Exp(v)
			}
			total += math.Log(s) - zr[labels[i]]
		case lossMSE:
			for j, v := range zr {
				d := v - float64(y[i*c+j])
				total += d * d / float64(c)
			}
		case lossBCE:
			for j, v := range zr {
				p := 1 / (1 + math.Exp(-v))
				t := float64(y[i*c+j])
				total -= (t*math.Log(p) + (1-t)*math.Log(1-p)) / float64(c)
			}
		}
	}
	return total / float64(n)
}

func TestLossGradients(t *testing.T) {
	const n, c = 6, 4
	for _, k := range []lossKind{lossSoftmaxCE, lossMSE, lossBCE} {
		t.Run(k.String(), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(5, uint64(k)))
			z := &Tensor{Rows: n, Cols: c, Data: randSlice(rng, n*c, 2)}
			labels := make([]int32, n)
			y := &Tensor{Rows: n, Cols: c, Data: make([]float32, n*c)}
			for i := range labels {
				labels[i] = int32(rng.IntN(c))
			}
			for i := range y.Data {
				switch k {
				case lossMSE:
					y.Data[i] = float32(rng.NormFloat64())
				case lossBCE:
					y.Data[i] = float32(rng.Float64())
				}
			}
			dz := NewTensor(n, c)
			got := k.lossGrad(z, labels, y, dz)
			z64 := to64(z.Data)
			want := refLoss(k, z64, n, c, labels, y.Data)
			if math.Abs(got-want) > 1e-6*max(1, math.Abs(want)) {
				t.Errorf("loss = %v, reference %v", got, want)
			}
			sum, _ := k.lossEval(z, labels, y)
			if math.Abs(sum/n-want) > 1e-6*max(1, math.Abs(want)) {
				t.Errorf("evaluation loss = %v, reference %v", sum/n, want)
			}
			const h = 1e-6
			for i := range z64 {
				old := z64[i]
				z64[i] = old + h
				fp := refLoss(k, z64, n, c, labels, y.Data)
				z64[i] = old - h
				fm := refLoss(k, z64, n, c, labels, y.Data)
				z64[i] = old
				num := (fp - fm) / (2 * h)
				if d := math.Abs(float64(dz.Data[i]) - num); d > 1e-6+1e-5*math.Abs(num) {
					t.Errorf("dz[%d] = %v, finite difference %v", i, dz.Data[i], num)
				}
			}
		})
	}
}

// TestLossStability feeds logits far beyond exp's range: the fused,
// log-sum-exp forms stay finite and exact.
func TestLossStability(t *testing.T) {
	z := &Tensor{Rows: 2, Cols: 3, Data: []float32{1000, 0, -1000, -1000, 1000, 999}}
	dz := NewTensor(2, 3)
	got := lossSoftmaxCE.lossGrad(z, []int32{0, 2}, nil, dz)
	// Row 0 is right with certainty (loss 0); row 1 has loss log(1+e) - 0 ... ≈ 1.3133.
	want := (0 + (math.Log(1+math.Exp(-1)) + 1)) / 2
	if math.Abs(got-want) > 1e-6 {
		t.Errorf("softmax CE = %v, want %v", got, want)
	}
	for i, v := range dz.Data {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			t.Errorf("dz[%d] = %v", i, v)
		}
	}
	zb := &Tensor{Rows: 2, Cols: 1, Data: []float32{200, -200}}
	yb := &Tensor{Rows: 2, Cols: 1, Data: []float32{0, 0}}
	dzb := NewTensor(2, 1)
	if got := lossBCE.lossGrad(zb, nil, yb, dzb); math.Abs(got-100) > 1e-9 {
		t.Errorf("BCE = %v, want 100", got)
	}
	if dzb.Data[0] != 0.5 || dzb.Data[1] != 0 {
		t.Errorf("BCE gradient = %v, want [0.5 0]", dzb.Data)
	}
}

func TestLossAccuracy(t *testing.T) {
	z := &Tensor{Rows: 3, Cols: 3, Data: []float32{1, 2, 3, 3, 2, 1, 0, 5, 0}}
	if _, correct := lossSoftmaxCE.lossEval(z, []int32{2, 1, 1}, nil); correct != 2 {
		t.Errorf("softmax CE correct = %d, want 2", correct)
	}
	zb := &Tensor{Rows: 4, Cols: 1, Data: []float32{1, -1, 2, -3}}
	yb := &Tensor{Rows: 4, Cols: 1, Data: []float32{1, 1, 0, 0}}
	if _, correct := lossBCE.lossEval(zb, nil, yb); correct != 2 {
		t.Errorf("BCE correct = %d, want 2", correct)
	}
}
