package dltune

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Kind is the type of a hyperparameter value.
type Kind uint8

// The kinds of value a hyperparameter takes.
const (
	KindFloat Kind = iota + 1
	KindInt
	KindString
	KindBool
)

// String returns the kind's name as it appears in study files.
func (k Kind) String() string {
	switch k {
	case KindFloat:
		return "float"
	case KindInt:
		return "int"
	case KindString:
		return "string"
	case KindBool:
		return "bool"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// A Value is one hyperparameter value: a float, an int, a string or a bool.
// Numbers and bools are held in Num (a bool as 0 or 1), strings in Str.
// The zero Value is invalid.
type Value struct {
	Kind Kind
	Num  float64
	Str  string
}

// Float returns a float value.
func Float(f float64) Value { return Value{Kind: KindFloat, Num: f} }

// Int returns an int value.
func Int(i int) Value { return Value{Kind: KindInt, Num: float64(i)} }

// String returns a string value.
func String(s string) Value { return Value{Kind: KindString, Str: s} }

// Bool returns a bool value.
func Bool(b bool) Value {
	if b {
		return Value{Kind: KindBool, Num: 1}
	}
	return Value{Kind: KindBool}
}

// IsNumber reports whether v is a float or an int.
func (v Value) IsNumber() bool { return v.Kind == KindFloat || v.Kind == KindInt }

// Int returns v as an int, rounding a float to the nearest integer.
func (v Value) Int() int { return int(math.Round(v.Num)) }

// Bool returns v as a bool.
func (v Value) Bool() bool { return v.Num != 0 }

// Equal reports whether v and w are the same value. An int and a float are
// equal when they hold the same number.
func (v Value) Equal(w Value) bool {
	switch {
	case v.IsNumber() && w.IsNumber():
		return v.Num == w.Num
	case v.Kind != w.Kind:
		return false
	case v.Kind == KindString:
		return v.Str == w.Str
	}
	return v.Num == w.Num
}

// String formats v as it would be written in a study file.
func (v Value) String() string {
	switch v.Kind {
	case KindFloat:
		return strconv.FormatFloat(v.Num, 'g', -1, 64)
	case KindInt:
		return strconv.FormatInt(int64(v.Num), 10)
	case KindString:
		return v.Str
	case KindBool:
		return strconv.FormatBool(v.Bool())
	}
	return "<invalid>"
}

// MarshalJSON encodes v as a JSON number, string or bool.
func (v Value) MarshalJSON() ([]byte, error) {
	switch v.Kind {
	case KindFloat:
		if math.IsNaN(v.Num) || math.IsInf(v.Num, 0) {
			return nil, fmt.Errorf("value %v is not finite", v.Num)
		}
		s := strconv.FormatFloat(v.Num, 'g', -1, 64)
		if !strings.ContainsAny(s, ".eEn") {
			s += ".0" // keep the kind: 1.0 stays a float
		}
		return []byte(s), nil
	case KindInt:
		return []byte(strconv.FormatInt(int64(v.Num), 10)), nil
	case KindString:
		return json.Marshal(v.Str)
	case KindBool:
		return []byte(strconv.FormatBool(v.Bool())), nil
	}
	return nil, fmt.Errorf("marshal value: invalid kind %d", v.Kind)
}

// UnmarshalJSON decodes a JSON number, string or bool. A number written
// without a fraction or exponent is an int.
func (v *Value) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0:
		return fmt.Errorf("unmarshal value: empty input")
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("unmarshal value: %w", err)
		}
		*v = String(s)
	case string(b) == "true":
		*v = Bool(true)
	case string(b) == "false":
		*v = Bool(false)
	default:
		s := string(b)
		if !strings.ContainsAny(s, ".eE") {
			i, err := strconv.ParseInt(s, 10, 64)
			if err == nil && i >= -(1<<53) && i <= 1<<53 {
				*v = Int(int(i))
				return nil
			}
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsInf(f, 0) {
			return fmt.Errorf("unmarshal value: %q is not a number, string or bool", s)
		}
		*v = Float(f)
	}
	return nil
}

// Params are the hyperparameter values of one trial, by parameter name.
// A conditional parameter that is not active is absent.
type Params map[string]Value

// Names returns the parameter names in sorted order.
func (p Params) Names() []string {
	names := make([]string, 0, len(p))
	for n := range p {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Key returns a canonical string for p: two Params have the same key if and
// only if they hold equal values under the same names.
func (p Params) Key() string {
	var sb strings.Builder
	for i, n := range p.Names() {
		if i > 0 {
			sb.WriteByte(',')
		}
		v := p[n]
		sb.WriteString(strconv.Quote(n))
		sb.WriteByte('=')
		if v.IsNumber() {
			sb.WriteString(strconv.FormatFloat(v.Num, 'g', -1, 64))
		} else if v.Kind == KindString {
			sb.WriteString(strconv.Quote(v.Str))
		} else {
			sb.WriteString(v.String())
		}
	}
	return sb.String()
}

// Equal reports whether p and q hold equal values under the same names.
func (p Params) Equal(q Params) bool {
	if len(p) != len(q) {
		return false
	}
	for n, v := range p {
		w, ok := q[n]
		if !ok || !v.Equal(w) {
			return false
		}
	}
	return true
}

// Clone returns a copy of p.
func (p Params) Clone() Params {
	q := make(Params, len(p))
	for n, v := range p {
		q[n] = v
	}
	return q
}
