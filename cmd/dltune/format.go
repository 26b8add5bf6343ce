package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
	"github.com/spf13/cobra"

	"github.com/dltune/dltune"
)

// A format is how a command prints what it found: a table for people, JSON
// or CSV for programs. Commands take it from --format and hand their report
// to its print method, so no command decides per row how to print.
type format string

const (
	formatTable format = "table"
	formatJSON  format = "json"
	formatCSV   format = "csv"
)

// addFormatFlag adds --format to cmd, stored in f. It accepts the formats
// given, the first being the default, and refuses others while the flags
// are parsed.
func addFormatFlag(cmd *cobra.Command, f *format, allowed ...format) {
	*f = allowed[0]
	names := make([]string, len(allowed))
	for i, a := range allowed {
		names[i] = string(a)
	}
	cmd.Flags().Var(&formatValue{f, allowed, names}, "format", "output format: "+oneOf(names))
}

// formatValue is the pflag.Value of --format.
type formatValue struct {
	f       *format
	allowed []format
	names   []string
}

func (v *formatValue) String() string { return string(*v.f) }

// Type is "string", so that help shows the flag as it shows other strings.
func (v *formatValue) Type() string { return "string" }

func (v *formatValue) Set(s string) error {
	if !slices.Contains(v.allowed, format(s)) {
		return fmt.Errorf("unknown format (want %s)", oneOf(v.names))
	}
	*v.f = format(s)
	return nil
}

// A report is what a command prints, in each form --format can ask for.
type report struct {
	// JSON is what --format json encodes.
	JSON any
	// Header and Rows are the table for people and the CSV for programs.
	Header []string
	Rows   [][]cell
	// Empty, if not "", is printed for people instead of a table without
	// rows.
	Empty string
	// Text, if not nil, prints for people instead of the table.
	Text func(io.Writer) error
}

// print writes r to w in format f.
func (f format) print(w io.Writer, r report) error {
	switch f {
	case formatJSON:
		return writeJSON(w, r.JSON)
	case formatCSV:
		return writeCSV(w, r.Header, render(r.Rows, func(c cell) string { return c.exact }))
	}
	switch {
	case r.Text != nil:
		return r.Text(w)
	case len(r.Rows) == 0 && r.Empty != "":
		_, err := fmt.Fprintln(w, r.Empty)
		return err
	}
	return writeTable(w, r.Header, render(r.Rows, func(c cell) string { return c.human }))
}

// A cell is one value of a report's row, as people read it in a table and
// as programs read it in CSV: a table rounds numbers and shows "-" for no
// value, CSV keeps every digit and leaves the field empty.
type cell struct{ human, exact string }

// text is a cell that reads the same for people and programs.
func text(s string) cell { return cell{s, s} }

func integer(n int) cell { return text(strconv.Itoa(n)) }

// float is a number that a table shows to 4 significant digits.
func float(f float64) cell { return cell{num(f), exact(f)} }

// fixed is a number that a table shows with prec decimals.
func fixed(f float64, prec int) cell { return cell{strconv.FormatFloat(f, 'f', prec, 64), exact(f)} }

// none is a missing value.
var none = cell{"-", ""}

// value is a parameter's value.
func value(v dltune.Value) cell {
	if v.Kind == dltune.KindFloat {
		return float(v.Num)
	}
	return text(v.String())
}

func exact(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

func render(rows [][]cell, side func(cell) string) [][]string {
	out := make([][]string, len(rows))
	for i, r := range rows {
		out[i] = make([]string, len(r))
		for j, c := range r {
			out[i][j] = side(c)
		}
	}
	return out
}

// oneOf formats names for a message: "a, b or c". (core and studyfile
// keep the same few lines for their messages: no package of ours is the
// natural home of an exported string helper.)
func oneOf(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// writeTable renders a table for people, every cell cleaned for the
// terminal.
func writeTable(w io.Writer, header []string, rows [][]string) error {
	t := tablewriter.NewTable(w,
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAlignment(tw.AlignRight),
	)
	h := make([]any, len(header))
	for i, s := range header {
		h[i] = clean(s)
	}
	t.Header(h...)
	for _, r := range rows {
		c := make([]string, len(r))
		for i, s := range r {
			c[i] = clean(s)
		}
		if err := t.Append(c); err != nil {
			return err
		}
	}
	return t.Render()
}

// writeCSV renders a header and rows as CSV.
func writeCSV(w io.Writer, header []string, rows [][]string) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return err
	}
	if err := cw.WriteAll(rows); err != nil {
		return err
	}
	return cw.Error()
}

// writeJSON renders v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// num formats a float for tables: 4 significant digits.
func num(f float64) string { return strconv.FormatFloat(f, 'g', 4, 64) }
