package studyfile

import (
	"reflect"
	"strings"

	"github.com/dltune/dltune/search"
)

// SpaceChanges lists how the search space of s differs from that of old,
// one line per parameter added, removed or changed, in the form
//
//	space.lr: was float [0.0001, 0.1] log, now float [0.001, 0.1] log
//
// and returns nil if the spaces are the same. A run loop that resumes a
// study from a changed file uses it to refuse, saying what changed.
// It is safe for concurrent use.
func (s *Spec) SpaceChanges(old *Spec) []string {
	var a, b []search.Param
	if old.Space != nil {
		a = old.Space.Params
	}
	if s.Space != nil {
		b = s.Space.Params
	}
	now := make(map[string]*search.Param, len(b))
	for i := range b {
		now[b[i].Name] = &b[i]
	}
	was := make(map[string]bool, len(a))
	var out []string
	for i := range a {
		q := &a[i]
		was[q.Name] = true
		r := now[q.Name]
		switch {
		case r == nil:
			out = append(out, "space."+q.Name+": removed (was "+describeParam(q)+")")
		case !reflect.DeepEqual(*q, *r):
			out = append(out, "space."+q.Name+": was "+describeParam(q)+", now "+describeParam(r))
		}
	}
	for i := range b {
		if !was[b[i].Name] {
			out = append(out, "space."+b[i].Name+": added ("+describeParam(&b[i])+")")
		}
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
