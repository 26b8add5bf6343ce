package search

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/dltune/dltune"
)

// FuzzGPSample checks that the GP never panics: NewGP fails exactly on
// invalid spaces (spaces decoded by fuzzSpace), and on a valid one Sample
// returns a point of the space for any losses, NaN, infinities and huge
// values included (8 bytes of losses a trial, as float64 bits), with and
// without pending trials.
func FuzzGPSample(f *testing.F) {
	f.Add([]byte{0, 1, 2, 5, 0, 0, 0, 0, 1, 3, 0, 0, 3, 2, 0, 3}, []byte{}, uint8(0))
	f.Add([]byte{0, 3, 0, 0, 0, 3, 0, 0, 1, 1, 3, 5, 0, 0, 0, 9, 2, 2, 5, 8, 1, 0, 0, 0},
		[]byte("\x00\x00\x00\x00\x00\x00\xf0\x7f\x00\x00\x00\x00\x00\x00\xf8\x7f\x9a\x99\x99\x99\x99\x99\xb9\x3f"), uint8(2))
	f.Fuzz(func(t *testing.T, spaceBytes, lossBytes []byte, pending uint8) {
		s := fuzzSpace(spaceBytes)
		g, err := NewGP(s, GPOptions{Seed: 1, Startup: 2, Candidates: 16, Restarts: 1})
		if (err != nil) != (s.Validate() != nil || len(s.Params) == 0) {
			t.Fatalf("NewGP error %v, Validate %v", err, s.Validate())
		}
		if err != nil {
			return
		}
		r := rand.New(rand.NewPCG(3, 4))
		var obs []Observation
		for i := 0; i+8 <= len(lossBytes) && len(obs) < 12; i += 8 {
			loss := math.Float64frombits(binary.LittleEndian.Uint64(lossBytes[i:]))
			obs = append(obs, Observation{Params: s.Sample(r), Loss: loss})
		}
		var pend []dltune.Params
		for range pending % 4 {
			pend = append(pend, s.Sample(r))
		}
		p, err := g.Sample(obs, pend, len(obs))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Contains(p); err != nil {
			t.Fatalf("space %+v, %d observations: %v: %v", s.Params, len(obs), p, err)
		}
	})
}
