package search

import (
	"fmt"

	"github.com/dltune/dltune"
)

// Grid is the grid-search strategy: it starts the points of a space's grid
// (see Space.Grid) in order, each once.
//
// Next compares the grid with every trial of the history, whatever its
// state (running, paused, failed, finished), by Params.Key, so a point is
// never started twice, not even after a resume or when a running trial
// already holds it. It answers Done when every point has been started or
// the budget is spent; it never waits. A study that wants the whole grid
// sets History.Budget to at least Len.
//
// A Grid is not safe for concurrent use.
type Grid struct {
	points []dltune.Params
	keys   []string
	epochs int
}

var _ Strategy = (*Grid)(nil)

// NewGrid returns a grid strategy over space with points grid points for
// each range that has no Step or Points of its own, starting each trial
// with an epoch budget of epochs. It returns an error if the space is
// invalid, its grid is too large (see MaxGrid) or epochs < 1.
func NewGrid(space *Space, points, epochs int) (*Grid, error) {
	if epochs < 1 {
		return nil, fmt.Errorf("grid: epochs %d: need at least 1", epochs)
	}
	pts, err := space.Grid(points)
	if err != nil {
		return nil, err
	}
	keys := make([]string, len(pts))
	for i, p := range pts {
		keys[i] = p.Key()
	}
	return &Grid{points: pts, keys: keys, epochs: epochs}, nil
}

// Len returns the number of grid points.
func (g *Grid) Len() int { return len(g.points) }

// Points returns the grid points in the order the strategy starts them.
// The caller must not modify them.
func (g *Grid) Points() []dltune.Params { return g.points }

// Next starts the first grid point no trial of h holds, or answers Done
// when there is none or h's budget is spent.
func (g *Grid) Next(h *History) (Decision, error) {
	if h.Started() >= h.Budget {
		return Decision{Action: Done}, nil
	}
	tried := make(map[string]bool, len(h.Trials))
	for _, t := range h.Trials {
		tried[t.Params.Key()] = true
	}
	for i, k := range g.keys {
		if !tried[k] {
			return Decision{Action: Start, Params: g.points[i].Clone(), Epochs: g.epochs}, nil
		}
	}
	return Decision{Action: Done}, nil
}
