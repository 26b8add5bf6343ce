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
	Model  string
	Data   []string
	Format format
	// MaxMemory is --max-memory in bytes; 0 if not given.
	MaxMemory int64
}

func newEvaluateCmd(g *globals, runF func(context.Context, *evaluateOptions) error) *cobra.Command {
	o := &evaluateOptions{globals: g}
	cmd := &cobra.Command{
		Use:   "evaluate -m MODEL.dltm DATA...",
		Short: "Score a model file on test data",
		Long: `Score a model file on test data that no trial saw: DATA is an IDX pair (images,
then labels) or a CSV file in the format of the study's data (its feature
columns and target column). Classifiers get the loss, the accuracy, each
class's precision, recall and support, and the confusion matrix (rows: the
true class, columns: the predicted one); regression models get the loss,
RMSE, MAE and R². The model normalizes the data as its training data was.

--format json prints one object; a precision or recall that is undefined
(a class never predicted, or absent) is null.`,
		Example: `  dltune evaluate -m model.dltm t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz
  dltune evaluate -m model.dltm test.csv --format json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 1 || len(args) > 2 {
				return usageError{fmt.Errorf("name the test data: an IDX pair (images and labels) or one CSV file")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.Model == "" {
				return usageError{fmt.Errorf("name the model file with -m")}
			}
			o.Data = args
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return runEvaluate(cmd.Context(), o)
		},
	}
	cmd.Flags().StringVarP(&o.Model, "model", "m", "", "the model file (.dltm)")
	addFormatFlag(cmd, &o.Format, formatTable, formatJSON)
	addMaxMemoryFlag(cmd, &o.MaxMemory)
	return cmd
}

func runEvaluate(ctx context.Context, o *evaluateOptions) error {
	mem, err := memoryLimit(o.MaxMemory)
	if err != nil {
		return err
	}
	f, err := os.Open(o.Model)
	if err != nil {
		return err
	}
	m, err := core.LoadModel(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", o.Model, err)
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
	r := newEvalReport(o.Model, m, e)
	return o.Format.print(o.stdout, report{JSON: r, Text: r.print})
}

// evalReport is what evaluate prints, and its JSON form.
type evalReport struct {
	Model   string          `json:"model"`
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
	fmt.Fprintf(w, "%s (%s): %s samples\n", clean(r.Model), from, strconv.Itoa(r.Samples))
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
