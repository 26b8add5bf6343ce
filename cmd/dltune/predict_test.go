package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestPredictBadValues checks that predict names the column and line of
// a value that is not a finite number, in a file whose columns are in
// another order than the model's.
func TestPredictBadValues(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ name, csv, want string }{
		{"text", "f4,f3,f2,f1\n1,2,3,4\n1,x,3,4\n", `:3: column f3: "x" is not a number`},
		{"empty", "f4,f3,f2,f1\n1,2,,4\n", `:2: column f2: "" is not a number`},
		{"nan", "f1,f2,f3,f4\nNaN,2,3,4\n", `:2: column f1: "NaN" is not a finite number`},
		{"infinity", "f1,f2,f3,f4\n1,2,3,-Inf\n", `:2: column f4: "-Inf" is not a finite number`},
		{"beyond float32", "f1,f2,f3,f4\n1,2,1e39,4\n", `:2: column f3: "1e39" is out of float32 range`},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := filepath.Join(dir, c.name+".csv")
			if err := os.WriteFile(in, []byte(c.csv), 0o644); err != nil {
				t.Fatal(err)
			}
			code, out, errs := cli(t, context.Background(), "predict", "-m", "testdata/blobs.dltm", in)
			if want := "dltune: " + in + c.want + "\n"; code != exitFailure || errs != want {
				t.Errorf("exit %d, %q; want exit 1 and %q", code, errs, want)
			}
			if strings.Count(out, "\n") > 2 {
				t.Errorf("predict wrote %q before the bad row", out)
			}
		})
	}
}

// TestPredictSpreadsheetCSV predicts from a CSV file as spreadsheets
// save one, with a byte-order mark and CRLF line ends, as the study's
// data loader reads it.
func TestPredictSpreadsheetCSV(t *testing.T) {
	in := filepath.Join(t.TempDir(), "excel.csv")
	if err := os.WriteFile(in, []byte("\ufefff1,f2,f3,f4\r\n8.4,12.7,9.5,10.2\r\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := cli(t, context.Background(), "predict", "-m", "testdata/blobs.dltm", in)
	if code != 0 || !strings.HasPrefix(out, "row,class\n1,") || strings.Count(out, "\n") != 2 {
		t.Errorf("exit %d, %q %q; want one prediction", code, out, errs)
	}
}

// TestPredictCSVByName checks that predict, which tells a CSV file by
// its name, says so when it reads another file as IDX.
func TestPredictCSVByName(t *testing.T) {
	in := filepath.Join(t.TempDir(), "test-data")
	if err := os.WriteFile(in, mustRead(t, "testdata/blobs-test.csv"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errs := cli(t, context.Background(), "predict", "-m", "testdata/blobs.dltm", in)
	if want := ": not an IDX file: magic bytes are 6B 69 6E 64, want 00 00 then type and dimension count (a CSV file's name ends in .csv or .csv.gz)\n"; code != exitFailure || !strings.HasSuffix(errs, want) {
		t.Errorf("exit %d, %q; want exit 1 and %q", code, errs, want)
	}
}

// TestPredictProbaOfRegression refuses --proba for a model that predicts
// values, which has no class probabilities to add.
func TestPredictProbaOfRegression(t *testing.T) {
	dir := t.TempDir()
	storage := filepath.Join(dir, "r.db")
	f := filepath.Join(dir, "reg.yaml")
	os.WriteFile(f, []byte(`name: reg
seed: 5
data:
  kind: synthetic
  synthetic: {generator: friedman1, samples: 100, noise: 0.1}
model: {hidden: [4]}
train: {epochs: 1, batch_size: 16, learning_rate: 0.01}
search: {strategy: grid, trials: 1}
`), 0o644)
	ctx := context.Background()
	model := filepath.Join(dir, "reg.dltm")
	if code, _, errs := cli(t, ctx, "run", f, "--storage", storage); code != 0 {
		t.Fatalf("run: exit %d: %s", code, errs)
	}
	if code, _, errs := cli(t, ctx, "export", "--best", "-o", model, "--storage", storage); code != 0 {
		t.Fatalf("export: exit %d: %s", code, errs)
	}
	in := filepath.Join(dir, "in.csv")
	os.WriteFile(in, []byte("a,b,c,d,e,f,g,h,i,j\n1,2,3,4,5,6,7,8,9,10\n"), 0o644)
	code, out, errs := cli(t, ctx, "predict", "-m", model, in, "--proba")
	if want := "dltune: --proba: " + model + " predicts values (regression), not classes\n"; code != exitUsage || errs != want || out != "" {
		t.Errorf("exit %d, %q %q; want exit 2 and %q", code, out, errs, want)
	}
	if code, out, errs := cli(t, ctx, "predict", "-m", model, in); code != 0 || !strings.HasPrefix(out, "row,y1\n1,") {
		t.Errorf("without --proba: exit %d, %q %q", code, out, errs)
	}
}

// TestPredictRegressionNames checks that predict's JSON names a
// regression model's output as its CSV header does: by the target column.
func TestPredictRegressionNames(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("a,b,price\n")
	for i := range 60 {
		fmt.Fprintf(&b, "%d,%d,%d\n", i%7, i%5, 2*(i%7)+i%5)
	}
	data := filepath.Join(dir, "houses.csv")
	os.WriteFile(data, []byte(b.String()), 0o644)
	f := filepath.Join(dir, "reg.yaml")
	os.WriteFile(f, []byte(`name: houses
seed: 5
data:
  kind: csv
  csv: {path: houses.csv, target: price, task: regression}
  validation: 0.25
model: {hidden: [4]}
train: {epochs: 1, batch_size: 16, learning_rate: 0.01}
search: {strategy: grid, trials: 1}
`), 0o644)
	ctx := context.Background()
	storage, model := filepath.Join(dir, "r.db"), filepath.Join(dir, "reg.dltm")
	if code, _, errs := cli(t, ctx, "run", f, "--storage", storage); code != 0 {
		t.Fatalf("run: exit %d: %s", code, errs)
	}
	if code, _, errs := cli(t, ctx, "export", "--best", "-o", model, "--storage", storage); code != 0 {
		t.Fatalf("export: exit %d: %s", code, errs)
	}
	in := filepath.Join(dir, "in.csv")
	os.WriteFile(in, []byte("b,a\n1,2\n3,4\n"), 0o644)
	code, csvOut, errs := cli(t, ctx, "predict", "-m", model, in)
	if code != 0 || !strings.HasPrefix(csvOut, "row,price\n1,") {
		t.Fatalf("predict csv: exit %d, %q %q", code, csvOut, errs)
	}
	code, jsonOut, errs := cli(t, ctx, "predict", "-m", model, in, "--format", "json")
	lines := strings.Split(strings.TrimSpace(jsonOut), "\n")
	if code != 0 || len(lines) != 2 {
		t.Fatalf("predict json: exit %d, %q %q", code, jsonOut, errs)
	}
	csvLines := strings.Split(strings.TrimSpace(csvOut), "\n")
	for i, l := range lines {
		var got map[string]float64
		if err := json.Unmarshal([]byte(l), &got); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		price := strings.Split(csvLines[i+1], ",")[1]
		if len(got) != 2 || got["row"] != float64(i+1) || strconv.FormatFloat(got["price"], 'g', -1, 32) != price {
			t.Errorf("json line %q; want row %d and price %s, as the CSV", l, i+1, price)
		}
	}
}
