package study

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/dltune/dltune"
)

func TestRetries(t *testing.T) {
	trials := []*dltune.Trial{
		{Number: 0, State: dltune.Complete, RetryOf: -1},
		{Number: 1, State: dltune.Failed, RetryOf: -1},
		{Number: 2, State: dltune.Failed, RetryOf: -1}, // retried by 4
		{Number: 3, State: dltune.Failed, RetryOf: -1},
		{Number: 4, State: dltune.Complete, RetryOf: 2},
		{Number: 5, State: dltune.Running, RetryOf: -1},
	}
	tests := []struct {
		name    string
		numbers []int
		failed  bool
		want    []int
		err     error  // matched with errors.Is
		msg     string // the error's text
	}{
		{"nothing", nil, false, nil, nil, ""},
		{"named", []int{3, 1}, false, []int{3, 1}, nil, ""},
		{"named twice", []int{3, 1, 3}, false, []int{3, 1}, nil, ""},
		{"named and retried before", []int{2}, false, []int{2}, nil, ""},
		{"failed", nil, true, []int{1, 3}, nil, ""},
		// dltune retry 3 --failed ran trial 3 twice.
		{"named and failed", []int{3}, true, []int{3, 1}, nil, ""},
		{"missing", []int{1, 9}, false, nil, dltune.ErrNotFound, "trial 9: "},
		{"complete", []int{0}, true, nil, ErrNotFailed, "trial 0 is complete: only failed trials can be retried"},
		{"running", []int{5}, false, nil, ErrNotFailed, "trial 5 is running: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Retries(trials, tt.numbers, tt.failed)
			if tt.err != nil {
				if !errors.Is(err, tt.err) || !strings.HasPrefix(err.Error(), tt.msg) || got != nil {
					t.Errorf("Retries = %v, %v; want error %q matching %v", got, err, tt.msg, tt.err)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Errorf("Retries = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}
