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
	// Classes, if > 0, states the number of classes of a classification
	// target: its labels must then be the integers 0 to Classes-1, each
	// its own class index, and classes without samples are allowed. If 0,
	// the labels found are the classes (see ReadCSV).
	Classes int
	// MinClasses is the fewest classes a classification target may hold
	// when Classes is 0; 0 means 2, as training needs. Test data for a
	// trained model may hold any of its classes: 1.
	MinClasses int
	// Comma is the field delimiter; 0 means ','.
	Comma rune
	// MaxBytes bounds the bytes read after decompression, and the memory
	// the values take as float32; 0 means DefaultMaxDataBytes. Set it from
	// the memory the process can spare.
	MaxBytes int64
	// MaxLineBytes bounds the length of a line; 0 means
	// DefaultMaxLineBytes.
	MaxLineBytes int64
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
// indices, and Classes their count, which must be at least 2. With
// opt.Classes stated, labels must be the integers 0 to opt.Classes-1
// instead, each its own class index.
//
// A file larger than opt.MaxBytes, values that would take more memory, or
// a line longer than opt.MaxLineBytes is an error: a path that names
// /dev/zero or a binary file fails early instead of exhausting memory.
//
// Errors name the source and, for a bad cell, its line, column name and
// field number. They quote the file's content only escaped and cut short.
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
	if opt.Classes < 0 || opt.Classes > MaxClasses || opt.Classes > 0 && opt.Task != Classification {
		return nil, fmt.Errorf("%s: stated class count %d: want 0, or 2 to %d for classification", prefix, opt.Classes, MaxClasses)
	}
	comma := opt.Comma
	if comma == 0 {
		comma = ','
	}
	if comma == '"' || comma == '\r' || comma == '\n' || comma == utf8.RuneError || !utf8.ValidRune(comma) {
		return nil, fmt.Errorf("%s: invalid field delimiter %q", prefix, comma)
	}

	maxBytes := cmp.Or(opt.MaxBytes, DefaultMaxDataBytes)
	maxLine := cmp.Or(opt.MaxLineBytes, DefaultMaxLineBytes)
	if maxBytes < 0 || maxLine < 0 {
		return nil, fmt.Errorf("%s: negative size limit (MaxBytes %d, MaxLineBytes %d)", prefix, opt.MaxBytes, opt.MaxLineBytes)
	}
	if size := dataReaderSize(r); size > maxBytes {
		return nil, fmt.Errorf("%s: file of %s is larger than the size limit of %s", prefix, byteSize(size), byteSize(maxBytes))
	}
	src, gz, err := gunzipIfGzip(bufio.NewReaderSize(r, 64<<10))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", prefix, err)
	}
	if gz != nil {
		defer gz.Close()
	}
	cr := csv.NewReader(&boundedReader{r: src, max: maxBytes, maxLine: maxLine, line: 1})
	cr.Comma = comma
	cr.ReuseRecord = true

	header, err := cr.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("%s: empty file, want a header row naming the columns", prefix)
	}
	if err != nil {
		return nil, csvReadErr(prefix, err)
	}
	cols, err := csvColumns(header)
	if err != nil {
		return nil, fmt.Errorf("%s: line 1: %w", prefix, err)
	}
	target := slices.Index(cols, opt.Target)
	if target < 0 {
		return nil, fmt.Errorf("%s: no target column named %s; %s", prefix, excerpt(opt.Target), csvColumnList(cols))
	}
	if len(cols) < 2 {
		return nil, fmt.Errorf("%s: line 1: the target %s is the only column, want feature columns too", prefix, excerpt(opt.Target))
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
			return nil, csvReadErr(prefix, err)
		}
		if held := 4 * int64(len(xs)+len(ys)+len(ids)+len(rec)); held > maxBytes {
			line, _ := cr.FieldPos(0)
			return nil, fmt.Errorf("%s: line %d: the values read so far take more than the size limit of %s", prefix, line, byteSize(maxBytes))
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
		if least := cmp.Or(opt.MinClasses, 2); len(names) < least {
			has := fmt.Sprintf("%d classes", len(names))
			if len(names) == 1 {
				has = "a single class " + excerpt(names[0])
			}
			return nil, fmt.Errorf("%s: target column %s has %s, want at least %d", prefix, excerpt(opt.Target), has, least)
		}
		if opt.Classes > 0 {
			if names, remap, err = labels.indices(opt.Classes); err != nil {
				return nil, fmt.Errorf("%s: target column %s: %w", prefix, excerpt(opt.Target), err)
			}
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
			return nil, fmt.Errorf("columns %d and %d are both named %s", k+1, j+1, excerpt(h))
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
		return 0, excerpt(cell) + " is out of float32 range"
	case err != nil:
		return 0, excerpt(cell) + " is not a number"
	case math.IsNaN(v) || math.IsInf(v, 0):
		return 0, excerpt(cell) + " is not a finite number"
	}
	return float32(v), ""
}

// csvCellErr reports a bad field j of the record cr just read.
func csvCellErr(prefix string, cr *csv.Reader, cols []string, j int, msg string) error {
	line, _ := cr.FieldPos(j)
	return fmt.Errorf("%s: line %d, column %s (field %d): %s", prefix, line, excerpt(cols[j]), j+1, msg)
}

// csvReadErr wraps an error of the CSV reader: a parse error or a bound
// that the source went past.
func csvReadErr(prefix string, err error) error {
	var le *limitError
	if errors.As(err, &le) {
		return fmt.Errorf("%s: %w", prefix, le)
	}
	return fmt.Errorf("%s: %w", prefix, err)
}

// csvMaxListed is how many column names an error lists at most.
const csvMaxListed = 8

// csvColumnList describes the columns of a header for an error: a few of
// their names, each quoted short.
func csvColumnList(cols []string) string {
	var b strings.Builder
	if len(cols) == 1 {
		b.WriteString("the header has 1 column: ")
	} else {
		fmt.Fprintf(&b, "the header has %d columns: ", len(cols))
	}
	for i, c := range cols[:min(len(cols), csvMaxListed)] {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(excerpt(c))
	}
	if len(cols) > csvMaxListed {
		b.WriteString(", …")
	}
	return b.String()
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

// indices returns the class names 0 to k-1 and, for each provisional id,
// its label read as a class index, or an error if a label is not an
// integer in [0, k).
func (l *csvLabels) indices(k int) (names []string, remap []int, err error) {
	remap = make([]int, len(l.names))
	for i, s := range l.names {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil || v < 0 || v >= int64(k) {
			return nil, nil, fmt.Errorf("label %s is not a class index 0 to %d, as the stated class count %d needs", excerpt(s), k-1, k)
		}
		remap[i] = int(v)
	}
	names = make([]string, k)
	for c := range names {
		names[c] = strconv.Itoa(c)
	}
	return names, remap, nil
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
