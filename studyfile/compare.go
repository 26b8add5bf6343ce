package studyfile

import (
	"path/filepath"
	"strings"
)

// Diff lists how spec differs from prev in ways that make their trials
// incomparable: the search space, the data, the model, the training, the
// seed and the strategy. The number of trials and the parallelism may
// change freely, and relative data paths are compared as absolute paths.
// It returns nil when spec may continue prev's study.
func Diff(prev, spec *Spec) []string {
	diff := spec.SpaceChanges(prev)
	a, b := comparable(prev), comparable(spec)
	was := strings.Split(string(a.Canonical()), "\n")
	now := strings.Split(string(b.Canonical()), "\n")
	inNow := make(map[string]int, len(now))
	for _, l := range now {
		inNow[l]++
	}
	inWas := make(map[string]int, len(was))
	for _, l := range was {
		inWas[l]++
	}
	for _, l := range was {
		if inNow[l] == 0 && strings.TrimSpace(l) != "" {
			diff = append(diff, "was: "+strings.TrimSpace(l))
		}
	}
	for _, l := range now {
		if inWas[l] == 0 && strings.TrimSpace(l) != "" {
			diff = append(diff, "now: "+strings.TrimSpace(l))
		}
	}
	return diff
}

// comparable returns a shallow copy of s without what may change between
// runs of one study.
func comparable(s *Spec) *Spec {
	c := *s
	c.Space = nil
	c.Search.Trials, c.Search.Parallel = 0, 0
	for _, p := range []*string{&c.Data.Images, &c.Data.Labels, &c.Data.CSV} {
		if *p != "" {
			if abs, err := filepath.Abs(*p); err == nil {
				*p = abs
			}
		}
	}
	return &c
}
