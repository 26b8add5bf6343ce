package studyfile

import (
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"github.com/dltune/dltune/search"
)

// Diff lists how spec differs from prev in ways that make their trials
// incomparable: the search space, the data, the model, the training, the
// seed and the strategy. The order of the space's parameters counts, since
// it decides what each trial draws. The number of trials, the
// parallelism and the weights kept may change freely, and relative data paths are compared as
// absolute paths. Diff returns nil when spec may continue prev's study.
func Diff(prev, spec *Spec) []string {
	diff := spaceDiff(prev.Space, spec.Space)
	a, b := forComparison(prev), forComparison(spec)
	was := strings.Split(string(a.canonical()), "\n")
	now := strings.Split(string(b.canonical()), "\n")
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

// forComparison returns a shallow copy of s without what may change
// between runs of one study, and without the space, which spaceDiff
// compares.
func forComparison(s *Spec) *Spec {
	c := *s
	c.Space = nil
	c.Search.Trials, c.Search.Parallel, c.Search.KeepWeights = 0, 0, DefaultKeepWeights
	c.Data.Test, c.raw.test = nil, nil // no trial sees the test set
	if s.Command != nil {
		// How long a run may take and how it is stopped do not change
		// what a trial measures.
		cmd := *s.Command
		cmd.Timeout, cmd.Grace = 0, 0
		cmd.rawDir = cmd.Dir
		if abs, err := filepath.Abs(cmd.Dir); err == nil {
			cmd.rawDir = abs
		}
		c.Command = &cmd
	}
	for _, p := range []*string{&c.Data.Images, &c.Data.Labels, &c.Data.CSV} {
		if *p != "" {
			if abs, err := filepath.Abs(*p); err == nil {
				*p = abs
			}
		}
	}
	return &c
}

// spaceDiff lists how space now differs from was, one line per parameter
// added, removed or changed, in the form
//
//	space.lr: was float [0.0001, 0.1] log, now float [0.001, 0.1] log
//
// and a last line if the parameters both have are in another order:
//
//	space: order was lr, width, act; now width, lr, act
//
// Order matters: samplers draw the parameters in order, so trial n of a
// reordered space gets other values. spaceDiff returns nil if the spaces
// are the same.
func spaceDiff(was, now *search.Space) []string {
	var a, b []search.Param
	if was != nil {
		a = was.Params
	}
	if now != nil {
		b = now.Params
	}
	inB := make(map[string]*search.Param, len(b))
	for i := range b {
		inB[b[i].Name] = &b[i]
	}
	inA := make(map[string]bool, len(a))
	var out []string
	var orderA, orderB []string
	for i := range a {
		q := &a[i]
		inA[q.Name] = true
		r := inB[q.Name]
		if r != nil {
			orderA = append(orderA, q.Name)
		}
		switch {
		case r == nil:
			out = append(out, "space."+q.Name+": removed (was "+describeParam(q)+")")
		case !reflect.DeepEqual(*q, *r):
			out = append(out, "space."+q.Name+": was "+describeParam(q)+", now "+describeParam(r))
		}
	}
	for i := range b {
		if !inA[b[i].Name] {
			out = append(out, "space."+b[i].Name+": added ("+describeParam(&b[i])+")")
		} else {
			orderB = append(orderB, b[i].Name)
		}
	}
	if !slices.Equal(orderA, orderB) {
		out = append(out, "space: order was "+strings.Join(orderA, ", ")+"; now "+strings.Join(orderB, ", "))
	}
	return out
}

// describeParam formats a parameter the way a study file writes it, in
// words: "int [1, 3] step 1 when depth in [2, 3]".
func describeParam(q *search.Param) string {
	var sb strings.Builder
	switch q.Type {
	case search.FloatRange, search.IntRange:
		if q.Type == search.FloatRange {
			sb.WriteString("float [")
		} else {
			sb.WriteString("int [")
		}
		sb.WriteString(fmtNum(q.Low) + ", " + fmtNum(q.High) + "]")
		if q.Log {
			sb.WriteString(" log")
		}
		if q.Step > 0 {
			sb.WriteString(" step " + fmtNum(q.Step))
		}
		if q.Points > 0 {
			sb.WriteString(" points " + fmtNum(float64(q.Points)))
		}
	case search.Choice:
		sb.WriteString("choice [")
		for i, c := range q.Choices {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString(valueNode(c).Value)
		}
		sb.WriteString("]")
	}
	if q.When != nil {
		sb.WriteString(" when " + q.When.Param + " in [")
		for i, v := range q.When.Values {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString(valueNode(v).Value)
		}
		sb.WriteString("]")
	}
	return sb.String()
}
