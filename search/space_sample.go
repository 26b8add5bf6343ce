package search

import (
	"math"
	"math/rand/v2"

	"github.com/dltune/dltune"
)

// Sample draws a point of the space uniformly at random from r: a range
// uniformly (in log space if Log), a stepped range or an int range uniformly
// over its values (a log int range log-uniformly over [Low-0.5, High+0.5],
// then rounded), a choice uniformly over its choices. Only the parameters
// that are active given the others are drawn. Ints come back as
// dltune.Int, floats as dltune.Float, choices as given.
//
// The draws follow the order of s.Params, so the same r state gives the
// same point. Sample panics on an invalid space (an empty choice).
func (s *Space) Sample(r *rand.Rand) dltune.Params {
	out := make(dltune.Params, len(s.Params))
	for i := range s.Params {
		p := &s.Params[i]
		if p.When != nil && !s.Active(out, p.Name) {
			continue
		}
		out[p.Name] = p.sample(r)
	}
	return out
}

// sample draws one value of p.
func (p *Param) sample(r *rand.Rand) dltune.Value {
	switch {
	case p.Type == Choice:
		return p.Choices[r.IntN(len(p.Choices))]
	case p.Log && p.Type == IntRange:
		lo, hi := math.Log(p.Low-0.5), math.Log(p.High+0.5)
		x := math.Round(math.Exp(lo + r.Float64()*(hi-lo)))
		return p.value(min(max(x, p.Low), p.High))
	case p.Log:
		lo, hi := math.Log(p.Low), math.Log(p.High)
		return p.value(math.Exp(lo + r.Float64()*(hi-lo)))
	case p.Step > 0 || p.Type == IntRange:
		return p.stepValue(r.IntN(p.steps()))
	}
	return p.value(p.Low + r.Float64()*(p.High-p.Low))
}
