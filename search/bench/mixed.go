package bench

import (
	"math"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/search"
)

// Mixed returns a function shaped like a neural network's tuning problem,
// with every kind of parameter: a choice of optimizer with conditional
// parameters, a log-scaled learning rate, ints (one log-scaled), a stepped
// float, a bool choice and a numeric choice. Lower is better:
//
//	opt = sgd:     (log10 lr + 1.5)² + 4 (momentum - 0.9)²   momentum in [0, 0.99], only for sgd
//	opt = adam:    (log10 lr + 3)² + 0.1 + 2 (beta1 - 0.9)²  beta1 in [0.5, 0.999], only for adam
//	opt = rmsprop: (log10 lr + 2.5)² + 0.5
//	+ 0.1 (layers - 3)²                layers int in [1, 6]
//	+ 0.05 (log2 width - 7)²           width int in [16, 1024], log
//	+ 2 dropout²        if batchnorm   dropout in [0, 0.5], step 0.05
//	+ 0.2 + 2 (dropout - 0.2)²  if not batchnorm
//	+ {relu: 0, tanh: 0.3, none: 1}[act]
//	+ {32: 0.15, 64: 0, 128: 0.05, 256: 0.3}[batch]
//
// Its minimum is 0, at opt sgd, lr 10^-1.5, momentum 0.9, layers 3, width
// 128, batchnorm true, dropout 0, act relu, batch 64. Adam, with one
// parameter fewer to tune, comes within 0.1 of it: a sampler that does not
// model the conditional parameters well settles there.
func Mixed() Function {
	str := dltune.String
	opt := &search.Condition{Param: "opt"}
	sgd, adam := *opt, *opt
	sgd.Values = []dltune.Value{str("sgd")}
	adam.Values = []dltune.Value{str("adam")}
	return Function{
		Name: "mixed",
		Space: &search.Space{Params: []search.Param{
			{Name: "opt", Type: search.Choice, Choices: []dltune.Value{str("sgd"), str("adam"), str("rmsprop")}},
			{Name: "lr", Type: search.FloatRange, Low: 1e-5, High: 1, Log: true},
			{Name: "momentum", Type: search.FloatRange, Low: 0, High: 0.99, When: &sgd},
			{Name: "beta1", Type: search.FloatRange, Low: 0.5, High: 0.999, When: &adam},
			{Name: "layers", Type: search.IntRange, Low: 1, High: 6},
			{Name: "width", Type: search.IntRange, Low: 16, High: 1024, Log: true},
			{Name: "batchnorm", Type: search.Choice, Choices: []dltune.Value{dltune.Bool(true), dltune.Bool(false)}},
			{Name: "dropout", Type: search.FloatRange, Low: 0, High: 0.5, Step: 0.05},
			{Name: "act", Type: search.Choice, Choices: []dltune.Value{str("relu"), str("tanh"), str("none")}},
			{Name: "batch", Type: search.Choice, Choices: []dltune.Value{dltune.Int(32), dltune.Int(64), dltune.Int(128), dltune.Int(256)}},
		}},
		Optimum: 0,
		Eval:    mixed,
	}
}

func mixed(p dltune.Params) float64 {
	sq := func(x float64) float64 { return x * x }
	lr := math.Log10(p["lr"].Num)
	var y float64
	switch p["opt"].Str {
	case "sgd":
		y = sq(lr+1.5) + 4*sq(p["momentum"].Num-0.9)
	case "adam":
		y = sq(lr+3) + 0.1 + 2*sq(p["beta1"].Num-0.9)
	default:
		y = sq(lr+2.5) + 0.5
	}
	y += 0.1 * sq(p["layers"].Num-3)
	y += 0.05 * sq(math.Log2(p["width"].Num)-7)
	if d := p["dropout"].Num; p["batchnorm"].Bool() {
		y += 2 * sq(d)
	} else {
		y += 0.2 + 2*sq(d-0.2)
	}
	switch p["act"].Str {
	case "tanh":
		y += 0.3
	case "none":
		y += 1
	}
	switch p["batch"].Int() {
	case 32:
		y += 0.15
	case 128:
		y += 0.05
	case 256:
		y += 0.3
	}
	return y
}
