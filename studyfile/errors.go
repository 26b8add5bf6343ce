package studyfile

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// An Error is one problem with a study file: where it is and what is
// wrong. Its Error method formats it the way compilers do,
//
//	study.yaml:12:5: space.lr.float: low 0.1 > high 0.001
//
// so that editors can jump to it. Line and Column are 1-based; 0 means
// unknown, and the part is left out of the message.
type Error struct {
	File   string // the study file's name as given to Parse or ParseFile
	Line   int
	Column int
	// Field is the dotted path of the key at fault, such as
	// "space.lr.float" or "train.schedule.kind"; empty for problems of the
	// file as a whole (YAML syntax, size).
	Field string
	Msg   string
}

// Error returns "file:line:column: field: message".
func (e *Error) Error() string {
	var sb strings.Builder
	sb.WriteString(e.File)
	if e.Line > 0 {
		if e.File != "" {
			sb.WriteByte(':')
		}
		sb.WriteString(strconv.Itoa(e.Line))
		if e.Column > 0 {
			sb.WriteByte(':')
			sb.WriteString(strconv.Itoa(e.Column))
		}
	}
	if sb.Len() > 0 {
		sb.WriteString(": ")
	}
	if e.Field != "" {
		sb.WriteString(e.Field)
		sb.WriteString(": ")
	}
	sb.WriteString(e.Msg)
	return sb.String()
}

// An ErrorList is all the problems found in a study file, sorted by
// position. Parse, ParseFile, Validate and Resolve return their errors as
// ErrorList, so that
//
//	var errs studyfile.ErrorList
//	if errors.As(err, &errs) { for _, e := range errs { ... } }
//
// lists them all, and errors.As with a *Error target finds the first.
type ErrorList []*Error

// Error returns the errors one per line.
func (es ErrorList) Error() string {
	var sb strings.Builder
	for i, e := range es {
		if i > 0 {
			sb.WriteByte('\n')
		}
		sb.WriteString(e.Error())
	}
	return sb.String()
}

// Unwrap returns the errors, for errors.Is and errors.As.
func (es ErrorList) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// maxErrors bounds the errors reported for one file: past it the file is
// too broken for more to help.
const maxErrors = 100

// reporter collects the errors of one file.
type reporter struct {
	file string
	errs ErrorList
	more int // errors dropped past maxErrors
}

func (l *reporter) add(line, col int, field, format string, args ...any) {
	if len(l.errs) >= maxErrors {
		l.more++
		return
	}
	l.errs = append(l.errs, &Error{File: l.file, Line: line, Column: col, Field: field, Msg: fmt.Sprintf(format, args...)})
}

// err returns the collected errors sorted by position, or nil.
func (l *reporter) err() error {
	if len(l.errs) == 0 {
		return nil
	}
	es := slices.Clone(l.errs)
	sortErrors(es)
	if l.more > 0 {
		es = append(es, &Error{File: l.file, Msg: fmt.Sprintf("%d more errors not shown", l.more)})
	}
	return es
}

func sortErrors(es ErrorList) {
	slices.SortStableFunc(es, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column), cmp.Compare(a.Field, b.Field))
	})
}
