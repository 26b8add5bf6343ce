package plot

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/dltune/dltune"
)

// sampleTrials returns at most n of trials, by number: the n/2 of lowest
// loss, and of the others an evenly spaced sample by number (every k-th),
// so that the plot still shows where the search went and what it tried
// late and early. It returns trials itself when n <= 0 or there are no
// more than n. note says what was drawn, for the title.
func sampleTrials(trials []*dltune.Trial, loss func(*dltune.Trial) float64, n int) (drawn []*dltune.Trial, note string) {
	if n <= 0 || len(trials) <= n {
		return trials, ""
	}
	byLoss := slices.Clone(trials)
	slices.SortStableFunc(byLoss, func(a, b *dltune.Trial) int {
		return cmp.Or(cmp.Compare(loss(a), loss(b)), cmp.Compare(a.Number, b.Number))
	})
	best := n / 2
	drawn = slices.Clone(byLoss[:best])
	rest := byLoss[best:]
	slices.SortFunc(rest, func(a, b *dltune.Trial) int { return cmp.Compare(a.Number, b.Number) })
	others := n - best
	for i := range others {
		drawn = append(drawn, rest[i*len(rest)/others])
	}
	slices.SortFunc(drawn, func(a, b *dltune.Trial) int { return cmp.Compare(a.Number, b.Number) })
	return drawn, fmt.Sprintf("drawn: the best %d and %d others evenly spread, of %d", best, others, len(trials))
}
