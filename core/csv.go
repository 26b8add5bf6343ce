package core

import (
	"bufio"
	"cmp"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// CSVOptions says how to read a CSV file into a Dataset.
type CSVOptions struct {
	// Target names the column holding the targets; every other column is a
	// numeric feature. Required.
	Target string
	// Task is Classification or Regression. Required.
	Task Task
	// Comma is the field delimiter; 0 means ','.
	Comma rune
}

// LoadCSV reads the CSV file at path (plain or gzip-compressed) into a
// Dataset, as ReadCSV does. Errors begin with "load path: ".
func LoadCSV(path string, opt CSVOptions) (*Dataset, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	defer f.Close()
	return readCSV(f, "load "+path, opt)
}

// ReadCSV reads a CSV table from r into a Dataset; name identifies the
// source in errors, which begin with "read name: ". r may be
// gzip-compressed (recognized by the gzip magic bytes).
//
// The first row is a header naming every column; names are trimmed of
// spaces and must be non-empty and distinct. The column opt.Target holds
// the targets and the others, in file order, become X's columns (and
// Features). Feature cells, and regression targets, must be finite numbers
// in float32 range; spaces around cells are ignored; empty lines are
// skipped.
//
// Classification targets are class labels, numbers or strings. If every
// label is an integer, classes are ordered by value (so "10" follows "9",
// and "01" is the same class as "1"); otherwise labels are ordered by
// their bytes. Labels holds the class names in that order, Y the class
// indices, and Classes their count, which must be at least 2.
//
// Errors name the source and, for a bad cell, its line, column name and
// field number.
func ReadCSV(r io.Reader, name string, opt CSVOptions) (*Dataset, error) {
	return readCSV(r, "read "+name, opt)
}

// csvUTF8BOM is the byte-order mark that some spreadsheets write first.
const csvUTF8BOM = "\ufeff"

// readCSV is ReadCSV with the full error prefix ("read name", "load path").
func readCSV(r io.Reader, prefix string, opt CSVOptions) (*Dataset, error) {
	if opt.Task != Classification && opt.Task != Regression {
		return nil, fmt.Errorf("%s: task is %v, want classification or regression", prefix, opt.Task)
	}
	comma := opt.Comma
	if comma == 0 {
		comma = ','
	}
	if comma == '"' || comma == '\r' || comma == '\n' || comma == utf8.RuneError || !utf8.ValidRune(comma) {
		return nil, fmt.Errorf("%s: invalid field delimiter %q", prefix, comma)
	}

	src, gz, err := gunzipIfGzip(bufio.NewReaderSize(r, 64<<10))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", prefix, err)
	}
	if gz != nil {
		defer gz.Close()
	}
	cr := csv.NewReader(src)
	cr.Comma = comma
	cr.ReuseRecord = true

	header, err := cr.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("%s: empty file, want a header row naming the columns", prefix)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", prefix, err)
	}
	cols, err := csvColumns(header)
	if err != nil {
		return nil, fmt.Errorf("%s: line 1: %w", prefix, err)
	}
	target := slices.Index(cols, opt.Target)
	if target < 0 {
		return nil, fmt.Errorf("%s: no target column named %q; columns are: %s", prefix, opt.Target, strings.Join(cols, ", "))
	}
	if len(cols) < 2 {
		return nil, fmt.Errorf("%s: line 1: the target %q is the only column, want feature columns too", prefix, opt.Target)
	}
	features := slices.Delete(slices.Clone(cols), target, target+1)

	var (
		xs     []float32
		ys     []float32 // regression targets
		ids    []int32   // classification: provisional label ids
		labels csvLabels
	)
	for rows := 0; ; rows++ {
		rec, err := cr.Read()
		if err == io.EOF {
			if rows == 0 {
				return nil, fmt.Errorf("%s: header but no data rows", prefix)
			}
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) && errors.Is(err, csv.ErrFieldCount) {
				return nil, fmt.Errorf("%s: line %d: %d fields, want %d as in the header", prefix, pe.StartLine, len(rec), len(cols))
			}
			return nil, fmt.Errorf("%s: %w", prefix, err)
		}
		for j, cell := range rec {
			cell = strings.TrimSpace(cell)
			if j == target && opt.Task == Classification {
				if cell == "" {
					return nil, csvCellErr(prefix, cr, cols, j, "empty class label")
				}
				ids = append(ids, labels.id(cell))
				continue
			}
			v, msg := csvNumber(cell)
			if msg != "" {
				return nil, csvCellErr(prefix, cr, cols, j, msg)
			}
			if j == target {
				ys = append(ys, v)
			} else {
				xs = append(xs, v)
			}
		}
	}

	n := len(xs) / len(features)
	d := &Dataset{
		X:        &Tensor{Rows: n, Cols: len(features), Data: xs},
		Y:        &Tensor{Rows: n, Cols: 1, Data: ys},
		Task:     opt.Task,
		Features: features,
	}
	if opt.Task == Classification {
		names, remap := labels.classes()
		if len(names) < 2 {
			return nil, fmt.Errorf("%s: target column %q has a single class %q, want at least 2", prefix, opt.Target, names[0])
		}
		ys = make([]float32, n)
		for i, id := range ids {
			ys[i] = float32(remap[id])
		}
		d.Y.Data = ys
		d.Labels = names
		d.Classes = len(names)
	}
	return d, nil
}

// csvColumns validates a header row and returns its trimmed column names.
func csvColumns(header []string) ([]string, error) {
	cols := make([]string, len(header))
	seen := make(map[string]int, len(header))
	for j, h := range header {
		if j == 0 {
			h = strings.TrimPrefix(h, csvUTF8BOM)
		}
		h = strings.TrimSpace(h)
		if h == "" {
			return nil, fmt.Errorf("column %d has no name", j+1)
		}
		if k, dup := seen[h]; dup {
			return nil, fmt.Errorf("columns %d and %d are both named %q", k+1, j+1, h)
		}
		seen[h] = j
		cols[j] = h
	}
	return cols, nil
}

// csvNumber parses a trimmed cell as a finite float32; on failure it
// returns a message saying what is wrong.
func csvNumber(cell string) (float32, string) {
	if cell == "" {
		return 0, "empty cell, want a number"
	}
	v, err := strconv.ParseFloat(cell, 32)
	switch {
	case errors.Is(err, strconv.ErrRange):
		return 0, fmt.Sprintf("%q is out of float32 range", cell)
	case err != nil:
		return 0, fmt.Sprintf("%q is not a number", cell)
	case math.IsNaN(v) || math.IsInf(v, 0):
		return 0, fmt.Sprintf("%q is not a finite number", cell)
	}
	return float32(v), ""
}

// csvCellErr reports a bad field j of the record cr just read.
func csvCellErr(prefix string, cr *csv.Reader, cols []string, j int, msg string) error {
	line, _ := cr.FieldPos(j)
	return fmt.Errorf("%s: line %d, column %q (field %d): %s", prefix, line, cols[j], j+1, msg)
}

// csvLabels assigns provisional ids to class labels in order of first
// appearance, and orders them into classes at the end.
type csvLabels struct {
	ids   map[string]int32
	names []string // by provisional id
}

// id returns label's provisional id.
func (l *csvLabels) id(label string) int32 {
	if id, ok := l.ids[label]; ok {
		return id
	}
	if l.ids == nil {
		l.ids = make(map[string]int32)
	}
	id := int32(len(l.names))
	l.ids[label] = id
	l.names = append(l.names, label)
	return id
}

// classes returns the class names in class order and, for each provisional
// id, its class index. If every label is an integer, labels with the same
// value are one class named by its decimal value, ordered by value;
// otherwise labels are classes ordered by their bytes.
func (l *csvLabels) classes() (names []string, remap []int) {
	values := make([]int64, len(l.names))
	integers := true
	for i, s := range l.names {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			integers = false
			break
		}
		values[i] = v
	}
	remap = make([]int, len(l.names))
	if integers {
		distinct := slices.Compact(slices.Sorted(slices.Values(values)))
		for i, v := range values {
			remap[i], _ = slices.BinarySearch(distinct, v)
		}
		names = make([]string, len(distinct))
		for c, v := range distinct {
			names[c] = strconv.FormatInt(v, 10)
		}
		return names, remap
	}
	order := make([]int, len(l.names))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(l.names[a], l.names[b]) })
	names = make([]string, len(order))
	for c, id := range order {
		names[c] = l.names[id]
		remap[id] = c
	}
	return names, remap
}
