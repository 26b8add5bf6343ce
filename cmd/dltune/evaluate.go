package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/dltune/dltune/core"
	"github.com/dltune/dltune/study"
)

type evaluateOptions struct {
	*globals
	// Model is -m; Study is --study. One of them is set.
	Model  string
	Study  string
	Data   []string
	Format format
	// MaxMemory is --max-memory in bytes; 0 if not given.
	MaxMemory int64
	// DataRoot is --data-root; "" if not given.
	DataRoot string
}

func newEvaluateCmd(g *globals, runF func(context.Context, *evaluateOptions) error) *cobra.Command {
	o := &evaluateOptions{globals: g}
	cmd := &cobra.Command{
		Use:   "evaluate (-m MODEL.dltm | --study NAME) [DATA...]",
		Short: "Score a model file, or a study's best trial, on test data",
		Long: `Score a model file on test data that no trial saw: DATA is an IDX pair (images,
then labels) or a CSV file in the format of the study's data (its feature
columns and target column).

With --study instead of -m, evaluate takes the study's best trial as after
its best epoch (as dltune export does, without writing a file: from the
weights the store keeps, or by replaying it) and scores it on DATA, or on
the study file's data.test when DATA is not given.

Classifiers get the loss, the accuracy, each class's precision, recall and
support, and the confusion matrix (rows: the true class, columns: the
predicted one); regression models get the loss, RMSE, MAE and R². The model
normalizes the data as its training data was.

--format json prints one object; a precision or recall that is undefined
(a class never predicted, or absent) is null.`,
		Example: `  dltune evaluate -m model.dltm t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz
  dltune evaluate -m model.dltm test.csv --format json
  dltune evaluate --study fashion-mnist`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 2 || (len(args) == 0 && o.Study == "") {
				return usageError{fmt.Errorf("name the test data: an IDX pair (images and labels) or one CSV file")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case o.Model == "" && o.Study == "":
				return usageError{fmt.Errorf("name the model file with -m, or the study with --study")}
			case o.Model != "" && o.Study != "":
				return usageError{fmt.Errorf("-m and --study exclude each other")}
			}
			if len(args) > 0 {
				o.Data = args
			}
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return runEvaluate(cmd.Context(), o)
		},
	}
	cmd.Flags().StringVarP(&o.Model, "model", "m", "", "the model file (.dltm)")
	cmd.Flags().StringVar(&o.Study, "study", "", "score the best trial of this study")
	addFormatFlag(cmd, &o.Format, formatTable, formatJSON)
	addMaxMemoryFlag(cmd, &o.MaxMemory)
	addDataRootFlag(cmd, &o.DataRoot)
	return cmd
}

func runEvaluate(ctx context.Context, o *evaluateOptions) error {
	mem, err := memoryLimit(o.MaxMemory)
	if err != nil {
		return err
	}
	var m *core.Model
	name := o.Model
	if o.Study != "" {
		m, o.Data, err = bestModel(ctx, o, mem)
		name = "" // the report names the study and trial
	} else {
		m, err = loadModelFile(o.Model)
	}
	if err != nil {
		return err
	}
	d, err := study.LoadTestData(m, o.Data, mem.Bytes/2)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	e, err := m.Evaluate(d)
	if err != nil {
		return fmt.Errorf("%s: %w", o.Data[0], err)
	}
	r := newEvalReport(name, m, e)
	return o.Format.print(o.stdout, report{JSON: r, Text: r.print})
}

func loadModelFile(path string) (*core.Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m, err := core.LoadModel(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// bestModel returns the model of the best trial of o.Study and
// the test files: o.Data, or else the study's data.test.
func bestModel(ctx context.Context, o *evaluateOptions, mem study.MemoryLimit) (*core.Model, []string, error) {
	db, name, err := o.openStudy(ctx, o.Study)
	if err != nil {
		return nil, nil, err
	}
	defer db.Close()
	spec, err := study.Load(ctx, db, name)
	if err != nil {
		return nil, nil, err
	}
	files := o.Data
	if len(files) == 0 {
		if files = spec.Data.Test; len(files) == 0 {
			return nil, nil, usageError{fmt.Errorf("study %s has no data.test: name the test files, or add data.test to its study file and run it again (its trials are kept)", clean(name))}
		}
	}
	if err := confine(spec, o.DataRoot); err != nil {
		return nil, nil, err
	}
	trials, err := db.Trials(ctx, name)
	if err != nil {
		return nil, nil, err
	}
	t, err := study.Best(spec, trials)
	if err != nil {
		return nil, nil, err
	}
	w, what, err := storedWeights(ctx, db, name, spec.Search.KeepWeights, t)
	if err != nil {
		return nil, nil, err
	}
	fmt.Fprintf(o.stderr, "study %s: %s\n", clean(name), what)
	m, err := study.Export(ctx, spec, t, study.ExportOptions{Memory: mem, Weights: w})
	return m, files, err
}

// evalReport is what evaluate prints, and its JSON form.
type evalReport struct {
	Model   string          `json:"model,omitempty"`
	Info    core.ModelInfo  `json:"info"`
	Task    string          `json:"task"`
	Samples int             `json:"samples"`
	Loss    float64         `json:"loss"`
	Acc     *float64        `json:"accuracy,omitempty"`
	Classes []evalClass     `json:"classes,omitempty"`
	Matrix  [][]int         `json:"confusion,omitempty"`
	Reg     *evalRegression `json:"regression,omitempty"`
}

type evalClass struct {
	Label     string   `json:"label"`
	Precision *float64 `json:"precision"`
	Recall    *float64 `json:"recall"`
	Support   int      `json:"support"`
}

type evalRegression struct {
	RMSE float64  `json:"rmse"`
	MAE  float64  `json:"mae"`
	R2   *float64 `json:"r2"`
}

func finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

func newEvalReport(file string, m *core.Model, e *core.Evaluation) *evalReport {
	r := &evalReport{Model: file, Info: m.Info, Task: m.Task().String(), Samples: e.Samples, Loss: e.Loss}
	if m.Task() == core.Regression {
		r.Reg = &evalRegression{RMSE: e.RMSE, MAE: e.MAE, R2: finite(e.R2)}
		return r
	}
	r.Acc = &e.Accuracy
	r.Matrix = e.Confusion
	for c := range e.Confusion {
		label := strconv.Itoa(c)
		if l := m.Labels(); l != nil {
			label = l[c]
		}
		support := 0
		for _, v := range e.Confusion[c] {
			support += v
		}
		r.Classes = append(r.Classes, evalClass{Label: label, Precision: finite(e.Precision[c]), Recall: finite(e.Recall[c]), Support: support})
	}
	return r
}

// print writes the report for people.
func (r *evalReport) print(w io.Writer) error {
	i := r.Info
	from := fmt.Sprintf("study %s, trial %d, %s", clean(i.Study), i.Trial, plural(i.Epochs, "epoch"))
	if i.Refit {
		from += " on training and validation data"
	}
	if r.Model != "" {
		from = clean(r.Model) + " (" + from + ")"
	}
	fmt.Fprintf(w, "%s: %s samples\n", from, strconv.Itoa(r.Samples))
	fmt.Fprintf(w, "loss      %s\n", num(r.Loss))
	if r.Reg != nil {
		r2 := "-"
		if r.Reg.R2 != nil {
			r2 = num(*r.Reg.R2)
		}
		fmt.Fprintf(w, "rmse      %s\nmae       %s\nr2        %s\n", num(r.Reg.RMSE), num(r.Reg.MAE), r2)
		return nil
	}
	fmt.Fprintf(w, "accuracy  %s\n\n", strconv.FormatFloat(*r.Acc, 'f', 4, 64))
	opt := func(v *float64) cell {
		if v == nil {
			return none
		}
		return fixed(*v, 4)
	}
	var rows [][]cell
	for _, c := range r.Classes {
		rows = append(rows, []cell{text(c.Label), opt(c.Precision), opt(c.Recall), integer(c.Support)})
	}
	if err := writeTable(w, []string{"class", "precision", "recall", "support"}, render(rows, func(c cell) string { return c.human })); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nconfusion matrix (rows: true class, columns: predicted)")
	header := []string{"true \\ predicted"}
	for _, c := range r.Classes {
		header = append(header, c.Label)
	}
	rows = rows[:0]
	for k, counts := range r.Matrix {
		row := []cell{text(r.Classes[k].Label)}
		for _, v := range counts {
			row = append(row, integer(v))
		}
		rows = append(rows, row)
	}
	return writeTable(w, header, render(rows, func(c cell) string { return c.human }))
}
