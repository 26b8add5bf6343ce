package main

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dltune/dltune/core"
)

type predictOptions struct {
	*globals
	Model  string
	Input  string
	Format format
	Proba  bool
}

func newPredictCmd(g *globals, runF func(context.Context, *predictOptions) error) *cobra.Command {
	o := &predictOptions{globals: g}
	cmd := &cobra.Command{
		Use:   "predict -m MODEL.dltm INPUT",
		Short: "Predict with a model file, one line per sample, in input order",
		Long: `Predict with a model file on new samples, normalized as the training data was.
INPUT is a CSV file (.csv, or .csv.gz) with a header row naming the model's
feature columns (in any order; the target column, if present, is ignored),
read and answered in batches as it streams; or an IDX file of images of the
training images' size.

Each sample gets one line, in input order: its row number (1-based) and the
predicted class (its label) or the predicted values; --proba adds each
class's probability. --format csv (the default) writes a header row; json
writes one object per line. A regression model's outputs have the same
names in both: the target column's, or y1, y2 and so on.`,
		Example: `  dltune predict -m model.dltm new.csv --proba
  dltune predict -m model.dltm t10k-images-idx3-ubyte.gz --format json`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.Model == "" {
				return usageError{fmt.Errorf("name the model file with -m")}
			}
			o.Input = args[0]
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return runPredict(cmd.Context(), o)
		},
	}
	cmd.Flags().StringVarP(&o.Model, "model", "m", "", "the model file (.dltm)")
	addFormatFlag(cmd, &o.Format, formatCSV, formatJSON)
	cmd.Flags().BoolVar(&o.Proba, "proba", false, "add each class's probability")
	return cmd
}

// predictBatch is the number of samples predicted at once.
const predictBatch = 256

func runPredict(ctx context.Context, o *predictOptions) error {
	m, err := loadModelFile(o.Model)
	if err != nil {
		return err
	}
	if o.Proba && m.Task() != core.Classification {
		return usageError{fmt.Errorf("--proba: %s predicts values (%v), not classes", o.Model, m.Task())}
	}
	w := bufio.NewWriter(o.stdout)
	out := newPredictWriter(w, m, o.Format, o.Proba)
	name := strings.ToLower(o.Input)
	if strings.HasSuffix(name, ".csv") || strings.HasSuffix(name, ".csv.gz") {
		err = predictCSV(ctx, m, o.Input, out)
	} else {
		err = predictIDX(ctx, m, o.Input, out)
	}
	if ferr := w.Flush(); err == nil {
		err = ferr
	}
	return err
}

// predictCSV streams the rows of a CSV file through m.
func predictCSV(ctx context.Context, m *core.Model, path string, out *predictWriter) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	br := bufio.NewReader(f)
	var r io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		if r, err = gzipReader(br); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return fmt.Errorf("%s: header: %w", path, err)
	}
	header = slices.Clone(header) // the next Read reuses its fields
	// A spreadsheet may begin the file with a byte-order mark, which
	// core's CSV loader drops too.
	header[0] = strings.TrimPrefix(header[0], "\ufeff")
	cols, err := featureColumns(m, header)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	x := core.NewTensor(predictBatch, m.Inputs())
	n := 0
	flush := func() error {
		if n == 0 {
			return nil
		}
		p, err := m.Predict(&core.Tensor{Rows: n, Cols: x.Cols, Data: x.Data[:n*x.Cols]})
		if err != nil {
			return err
		}
		n = 0
		return out.write(p)
	}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		row := x.Row(n)
		for j, c := range cols {
			v, err := strconv.ParseFloat(strings.TrimSpace(rec[c]), 32)
			switch {
			case errors.Is(err, strconv.ErrRange):
				return fmt.Errorf("%s:%d: column %s: %s is out of float32 range", path, line, header[c], strconv.Quote(rec[c]))
			case err != nil:
				return fmt.Errorf("%s:%d: column %s: %s is not a number", path, line, header[c], strconv.Quote(rec[c]))
			case math.IsNaN(v) || math.IsInf(v, 0):
				return fmt.Errorf("%s:%d: column %s: %s is not a finite number", path, line, header[c], strconv.Quote(rec[c]))
			}
			row[j] = float32(v)
		}
		if n++; n == predictBatch {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// featureColumns returns, for each of the model's inputs, its column in
// header.
func featureColumns(m *core.Model, header []string) ([]int, error) {
	names := make([]string, len(header))
	for i, h := range header {
		names[i] = strings.TrimSpace(h)
	}
	want := m.Features()
	if want == nil {
		// The training data named no features: take the columns in order.
		cols := make([]int, 0, m.Inputs())
		for i, h := range names {
			if h != m.Info.Target || m.Info.Target == "" {
				cols = append(cols, i)
			}
		}
		if len(cols) != m.Inputs() {
			return nil, fmt.Errorf("%d feature columns; the model takes %d", len(cols), m.Inputs())
		}
		return cols, nil
	}
	cols := make([]int, len(want))
	for j, f := range want {
		if cols[j] = slices.Index(names, f); cols[j] < 0 {
			return nil, fmt.Errorf("no column %s; the model takes %s", f, strings.Join(want, ", "))
		}
	}
	for _, h := range names {
		if h != m.Info.Target && !slices.Contains(want, h) {
			return nil, fmt.Errorf("column %s is not one of the model's features (%s)", h, strings.Join(want, ", "))
		}
	}
	return cols, nil
}

// predictIDX predicts on the images of an IDX file.
func predictIDX(ctx context.Context, m *core.Model, path string, out *predictWriter) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	img, err := core.ReadIDX(f)
	if err != nil && strings.HasPrefix(err.Error(), "not an IDX file") {
		return fmt.Errorf("%s: %w (a CSV file's name ends in .csv or .csv.gz)", path, err)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if len(img.Dims) < 2 {
		return fmt.Errorf("%s: %d-dimensional IDX data; the model takes samples of %d values", path, len(img.Dims), m.Inputs())
	}
	if err := m.CheckSample(img.Dims[1:]); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	size := m.Inputs()
	data := img.Float32s()
	n := img.Dims[0]
	for lo := 0; lo < n; lo += predictBatch {
		if err := ctx.Err(); err != nil {
			return err
		}
		hi := min(lo+predictBatch, n)
		p, err := m.Predict(&core.Tensor{Rows: hi - lo, Cols: size, Data: data[lo*size : hi*size]})
		if err != nil {
			return err
		}
		if err := out.write(p); err != nil {
			return err
		}
	}
	return nil
}

// predictWriter writes predictions, one line per sample.
type predictWriter struct {
	w      io.Writer
	m      *core.Model
	format format
	proba  bool
	labels []string
	// outputs names a regression model's outputs, as both formats name
	// them: the target column for one output, else y1, y2 and so on.
	outputs []string
	row     int
	csv     *csv.Writer
}

// outputNames returns the names of a regression model's cols outputs.
func (pw *predictWriter) outputNames(cols int) []string {
	if cols == 1 && pw.m.Info.Target != "" && pw.m.Info.Target != "row" {
		return []string{pw.m.Info.Target}
	}
	names := make([]string, cols)
	for j := range names {
		names[j] = "y" + strconv.Itoa(j+1)
	}
	return names
}

func newPredictWriter(w io.Writer, m *core.Model, f format, proba bool) *predictWriter {
	pw := &predictWriter{w: w, m: m, format: f, proba: proba}
	if m.Task() == core.Classification {
		pw.labels = m.Labels()
		if pw.labels == nil {
			for c := range m.Classes() {
				pw.labels = append(pw.labels, strconv.Itoa(c))
			}
		}
	}
	return pw
}

// classProbs returns the class probabilities of a row of predictions: the
// softmax row, or 1-p and p for one binary output.
func (pw *predictWriter) classProbs(p []float32) []float32 {
	if len(p) == 1 && len(pw.labels) == 2 {
		return []float32{1 - p[0], p[0]}
	}
	return p
}

func (pw *predictWriter) write(p *core.Tensor) error {
	if pw.labels == nil && pw.outputs == nil {
		pw.outputs = pw.outputNames(p.Cols)
	}
	if pw.format == formatCSV && pw.csv == nil {
		pw.csv = csv.NewWriter(pw.w)
		header := []string{"row"}
		switch {
		case pw.labels != nil:
			header = append(header, "class")
			if pw.proba {
				for _, l := range pw.labels {
					header = append(header, "p_"+l)
				}
			}
		default:
			header = append(header, pw.outputs...)
		}
		if err := pw.csv.Write(header); err != nil {
			return err
		}
	}
	for i := range p.Rows {
		pw.row++
		r := p.Row(i)
		var err error
		if pw.format == formatJSON {
			err = pw.writeJSON(r)
		} else {
			err = pw.writeCSV(r)
		}
		if err != nil {
			return err
		}
	}
	if pw.csv != nil {
		pw.csv.Flush()
		return pw.csv.Error()
	}
	return nil
}

func fmt32(v float32) string { return strconv.FormatFloat(float64(v), 'g', -1, 32) }

func (pw *predictWriter) writeCSV(r []float32) error {
	rec := []string{strconv.Itoa(pw.row)}
	if pw.labels == nil {
		for _, v := range r {
			rec = append(rec, fmt32(v))
		}
		return pw.csv.Write(rec)
	}
	probs := pw.classProbs(r)
	rec = append(rec, pw.labels[argmax32(probs)])
	if pw.proba {
		for _, v := range probs {
			rec = append(rec, fmt32(v))
		}
	}
	return pw.csv.Write(rec)
}

func (pw *predictWriter) writeJSON(r []float32) error {
	if pw.labels == nil {
		return pw.writeJSONValues(r)
	}
	type line struct {
		Row   int                `json:"row"`
		Class string             `json:"class"`
		Proba map[string]float32 `json:"proba,omitempty"`
	}
	l := line{Row: pw.row}
	{
		probs := pw.classProbs(r)
		l.Class = pw.labels[argmax32(probs)]
		if pw.proba {
			l.Proba = make(map[string]float32, len(probs))
			for c, v := range probs {
				l.Proba[pw.labels[c]] = v
			}
		}
	}
	b, err := json.Marshal(l)
	if err != nil {
		return err
	}
	_, err = pw.w.Write(append(b, '\n'))
	return err
}

// writeJSONValues writes a regression model's outputs r as one object
// with the keys of the CSV's header, in its order: row, then the outputs.
func (pw *predictWriter) writeJSONValues(r []float32) error {
	b := append(strconv.AppendInt([]byte(`{"row":`), int64(pw.row), 10), ',')
	for j, v := range r {
		if j > 0 {
			b = append(b, ',')
		}
		k, err := json.Marshal(pw.outputs[j])
		if err != nil {
			return err
		}
		x, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("row %d: %s: %w", pw.row, pw.outputs[j], err)
		}
		b = append(append(append(b, k...), ':'), x...)
	}
	_, err := pw.w.Write(append(b, "}\n"...))
	return err
}

func argmax32(r []float32) int {
	best := 0
	for j, v := range r {
		if v > r[best] {
			best = j
		}
	}
	return best
}

func gzipReader(r io.Reader) (io.Reader, error) {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("gzip header: %w", err)
	}
	return gz, nil
}
