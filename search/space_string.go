package search

import (
	"strconv"
	"strings"

	"github.com/dltune/dltune"
)

// String returns the parameter type's name: float, int or choice.
func (t ParamType) String() string {
	switch t {
	case FloatRange:
		return "float"
	case IntRange:
		return "int"
	case Choice:
		return "choice"
	}
	return "type(" + strconv.Itoa(int(t)) + ")"
}

// String returns c as "opt in [sgd, adam]", or "none" for a nil condition.
func (c *Condition) String() string {
	if c == nil {
		return "none"
	}
	return c.Param + " in " + values(c.Values)
}

func values(vs []dltune.Value) string {
	var sb strings.Builder
	sb.WriteByte('[')
	for i, v := range vs {
		if i > 0 {
			sb.WriteString(", ")
		}
		if v.Kind == dltune.KindString {
			sb.WriteString(strconv.Quote(v.Str))
		} else {
			sb.WriteString(v.String())
		}
	}
	sb.WriteByte(']')
	return sb.String()
}
