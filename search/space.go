package search

import "github.com/dltune/dltune"

// ParamType is the type of a search-space parameter.
type ParamType uint8

// The types of parameter.
const (
	// FloatRange: a real number in [Low, High].
	FloatRange ParamType = iota + 1
	// IntRange: an integer in [Low, High].
	IntRange
	// Choice: one of Choices (strings, numbers or bools).
	Choice
)

// A Param is one dimension of a search space.
type Param struct {
	Name string
	Type ParamType
	// Low and High bound a FloatRange or IntRange, inclusive.
	Low, High float64
	// Log samples a range uniformly in log space; Low must then be > 0.
	Log bool
	// Step, if > 0, restricts a range to Low, Low+Step, Low+2*Step, ... <= High.
	Step float64
	// Points is the number of grid points of a range without Step, for the
	// grid strategy; 0 means the grid's default.
	Points int
	// Choices are the values of a Choice, in order.
	Choices []dltune.Value
	// When, if not nil, makes the parameter conditional: it exists only in
	// trials where another parameter has one of the given values.
	When *Condition
}

// A Condition makes a parameter exist only when Param takes one of Values.
// Param must come earlier in the space.
type Condition struct {
	Param  string
	Values []dltune.Value
}

// A Space is an ordered set of parameters. A conditional parameter comes
// after the parameter its condition names.
type Space struct {
	Params []Param
}
