package study

import (
	"errors"
	"fmt"

	"github.com/dltune/dltune"
)

// ErrNotFailed is returned when a trial that has not failed is named for a
// retry.
var ErrNotFailed = errors.New("only failed trials can be retried")

// Retries chooses the trials to run again, for Options.Retry: the trials
// named by numbers, in that order, then, if failed is set, every failed
// trial that no trial retries yet, by number. Each trial is listed once,
// however often it is named or selected. A named trial that does not exist
// is an error matching dltune.ErrNotFound, one that has not failed an error
// matching ErrNotFailed; both errors begin with "trial N".
func Retries(trials []*dltune.Trial, numbers []int, failed bool) ([]int, error) {
	byNumber := make(map[int]*dltune.Trial, len(trials))
	retried := map[int]bool{}
	for _, t := range trials {
		byNumber[t.Number] = t
		if t.RetryOf >= 0 {
			retried[t.RetryOf] = true
		}
	}
	var list []int
	listed := map[int]bool{}
	for _, n := range numbers {
		t, ok := byNumber[n]
		switch {
		case !ok:
			return nil, fmt.Errorf("trial %d: %w", n, dltune.ErrNotFound)
		case t.State != dltune.Failed:
			return nil, fmt.Errorf("trial %d is %s: %w", n, t.State, ErrNotFailed)
		case !listed[n]:
			listed[n] = true
			list = append(list, n)
		}
	}
	if failed {
		for _, t := range trials {
			if t.State == dltune.Failed && !retried[t.Number] && !listed[t.Number] {
				listed[t.Number] = true
				list = append(list, t.Number)
			}
		}
	}
	return list, nil
}
