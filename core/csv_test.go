package core

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestLoadCSVIris(t *testing.T) {
	for _, path := range []string{"testdata/csv/iris_small.csv", "gzip"} {
		t.Run(path, func(t *testing.T) {
			var d *Dataset
			var err error
			opt := CSVOptions{Target: "species", Task: Classification}
			if path == "gzip" {
				d, err = ReadCSV(bytes.NewReader(idxGzip(t, []byte(csvIrisFixture))), "iris.csv.gz", opt)
			} else {
				d, err = LoadCSV(path, opt)
			}
			if err != nil {
				t.Fatal(err)
			}
			wantFeatures := []string{"sepal_length", "sepal_width", "petal_length", "petal_width"}
			if !slices.Equal(d.Features, wantFeatures) {
				t.Errorf("Features = %q, want %q", d.Features, wantFeatures)
			}
			wantLabels := []string{"setosa", "versicolor", "virginica"}
			if !slices.Equal(d.Labels, wantLabels) || d.Classes != 3 || d.Task != Classification {
				t.Errorf("Labels %q Classes %d Task %v, want %q 3 classification", d.Labels, d.Classes, d.Task, wantLabels)
			}
			if d.X.Rows != 12 || d.X.Cols != 4 || d.Y.Rows != 12 || d.Y.Cols != 1 {
				t.Fatalf("X %d×%d Y %d×%d, want 12×4 and 12×1", d.X.Rows, d.X.Cols, d.Y.Rows, d.Y.Cols)
			}
			if got, want := d.X.Row(4), []float32{7.0, 3.2, 4.7, 1.4}; !slices.Equal(got, want) {
				t.Errorf("row 4 = %v, want %v", got, want)
			}
			wantY := []float32{0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2}
			if !slices.Equal(d.Y.Data, wantY) {
				t.Errorf("Y = %v, want %v", d.Y.Data, wantY)
			}
		})
	}
}

func TestLoadCSVHousing(t *testing.T) {
	d, err := LoadCSV("testdata/csv/housing_small.csv", CSVOptions{Target: "price", Task: Regression, Comma: ';'})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"rooms", "area", "age"}; !slices.Equal(d.Features, want) {
		t.Errorf("Features = %q, want %q", d.Features, want)
	}
	if d.Classes != 0 || d.Labels != nil || d.Task != Regression {
		t.Errorf("Classes %d Labels %q Task %v, want 0, nil, regression", d.Classes, d.Labels, d.Task)
	}
	wantX := []float32{3, 72.5, 12, 4, 95, 3, 2, 48.25, 40, 5, 130, 1}
	wantY := []float32{310000, 455000, 199500.5, 612000}
	if !slices.Equal(d.X.Data, wantX) || !slices.Equal(d.Y.Data, wantY) || d.X.Rows != 4 || d.X.Cols != 3 {
		t.Errorf("X %d×%d = %v, Y = %v; want 4×3 %v, %v", d.X.Rows, d.X.Cols, d.X.Data, d.Y.Data, wantX, wantY)
	}
}

func TestReadCSVClassOrder(t *testing.T) {
	tests := []struct {
		name       string
		labels     []string
		wantLabels []string
		wantY      []float32
	}{
		{"strings sort by bytes", []string{"cat", "Dog", "ant", "cat"}, []string{"Dog", "ant", "cat"}, []float32{2, 0, 1, 2}},
		{"integers sort by value", []string{"10", "9", "-1", "9"}, []string{"-1", "9", "10"}, []float32{2, 1, 0, 1}},
		{"equal integers are one class", []string{"01", "1", " 2", "+2"}, []string{"1", "2"}, []float32{0, 0, 1, 1}},
		{"mixed sort as strings", []string{"10", "9", "x"}, []string{"10", "9", "x"}, []float32{0, 1, 2}},
		{"decimals are strings", []string{"1.0", "1", "2"}, []string{"1", "1.0", "2"}, []float32{1, 0, 2}},
		{"quoted labels with commas", []string{`"a,b"`, "a"}, []string{"a", "a,b"}, []float32{1, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			b.WriteString("f,label\n")
			for i, l := range tt.labels {
				b.WriteString(strings.Repeat("1", i+1) + "," + l + "\n")
			}
			d, err := ReadCSV(strings.NewReader(b.String()), "t.csv", CSVOptions{Target: "label", Task: Classification})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(d.Labels, tt.wantLabels) || d.Classes != len(tt.wantLabels) || !slices.Equal(d.Y.Data, tt.wantY) {
				t.Errorf("Labels %q Classes %d Y %v, want %q %d %v", d.Labels, d.Classes, d.Y.Data, tt.wantLabels, len(tt.wantLabels), tt.wantY)
			}
		})
	}
}

// TestReadCSVMinClasses reads test data of one class, which
// CSVOptions.MinClasses allows.
func TestReadCSVMinClasses(t *testing.T) {
	d, err := ReadCSV(strings.NewReader("x,y\n1,b\n2,b\n"), "t.csv", CSVOptions{Target: "y", Task: Classification, MinClasses: 1})
	if err != nil {
		t.Fatal(err)
	}
	if d.Classes != 1 || !slices.Equal(d.Labels, []string{"b"}) || !slices.Equal(d.Y.Data, []float32{0, 0}) {
		t.Errorf("Classes %d Labels %q Y %v, want 1 [b] [0 0]", d.Classes, d.Labels, d.Y.Data)
	}
}

// TestReadCSVStatedClasses checks CSVOptions.Classes: labels are then
// class indices, classes without samples are allowed, and anything else is
// an error that names the label.
func TestReadCSVStatedClasses(t *testing.T) {
	tests := []struct {
		name    string
		labels  []string
		classes int
		task    Task
		wantY   []float32
		err     string
	}{
		{"indices kept", []string{"0", "4", "4", "2"}, 5, Classification, []float32{0, 4, 4, 2}, ""},
		{"without it the labels are renumbered", []string{"0", "4", "4", "2"}, 0, Classification, []float32{0, 2, 2, 1}, ""},
		{"label past the count", []string{"0", "5"}, 5, Classification, nil, `label "5" is not a class index 0 to 4`},
		{"negative label", []string{"0", "-1"}, 5, Classification, nil, `label "-1" is not a class index 0 to 4`},
		{"string label, escaped", []string{"0", "cat\x1b"}, 5, Classification, nil, `label "cat\x1b" is not a class index`},
		{"one class", []string{"1", "1"}, 5, Classification, nil, "single class"},
		{"count too large", []string{"0", "1"}, MaxClasses + 1, Classification, nil, "stated class count 65537"},
		{"count for regression", []string{"0", "1"}, 2, Regression, nil, "stated class count 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			b.WriteString("f,label\n")
			for i, l := range tt.labels {
				b.WriteString(strings.Repeat("1", i+1) + "," + l + "\n")
			}
			d, err := ReadCSV(strings.NewReader(b.String()), "t.csv", CSVOptions{Target: "label", Task: tt.task, Classes: tt.classes})
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("ReadCSV = %v, want an error containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			wantClasses := tt.classes
			if wantClasses == 0 {
				wantClasses = 3
			}
			if d.Classes != wantClasses || len(d.Labels) != wantClasses || !slices.Equal(d.Y.Data, tt.wantY) {
				t.Errorf("Classes %d Labels %q Y %v, want %d classes and Y %v", d.Classes, d.Labels, d.Y.Data, wantClasses, tt.wantY)
			}
		})
	}
}

func TestReadCSVFormats(t *testing.T) {
	tests := []struct {
		name  string
		data  string
		comma rune
		wantX []float32
	}{
		{"BOM and spaces", "\ufeff x , y \n 1 , 2 \n", 0, []float32{1}},
		{"CRLF and blank lines", "x,y\r\n\r\n1.5,2\r\n\r\n-3e2,4\r\n", 0, []float32{1.5, -300}},
		{"no final newline", "x,y\n7,8", 0, []float32{7}},
		{"tabs", "x\ty\n1\t2\n", '\t', []float32{1}},
		{"quoted numbers", "\"x\",\"y\"\n\"4\",\"5\"\n", 0, []float32{4}},
		{"target first", "y,x\n5,6\n", 0, []float32{6}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := ReadCSV(strings.NewReader(tt.data), "t.csv", CSVOptions{Target: "y", Task: Regression, Comma: tt.comma})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(d.X.Data, tt.wantX) || !slices.Equal(d.Features, []string{"x"}) {
				t.Errorf("X %v Features %q, want %v [x]", d.X.Data, d.Features, tt.wantX)
			}
		})
	}
}

func TestReadCSVErrors(t *testing.T) {
	reg := CSVOptions{Target: "y", Task: Regression}
	cls := CSVOptions{Target: "y", Task: Classification}
	tests := []struct {
		name string
		data string
		opt  CSVOptions
		want string // the error must be "read bad.csv: " + want
	}{
		{"empty file", "", reg, "empty file, want a header row naming the columns"},
		{"only blank lines", "\n\n", reg, "empty file"},
		{"header only", "x,y\n", reg, "header but no data rows"},
		{"missing target", "a,b,c\n1,2,3\n", reg, `no target column named "y"; the header has 3 columns: "a", "b", "c"`},
		{"no target given", "a,b\n1,2\n", CSVOptions{Task: Regression}, `no target column named ""; the header has 2 columns: "a", "b"`},
		{"target only", "y\n1\n", reg, `line 1: the target "y" is the only column`},
		{"duplicate columns", "x,y,z,x\n1,2,3,4\n", reg, `line 1: columns 1 and 4 are both named "x"`},
		{"duplicate after trim", "x, x ,y\n1,2,3\n", reg, `line 1: columns 1 and 2 are both named "x"`},
		{"unnamed column", ",x,y\n0,1,2\n", reg, "line 1: column 1 has no name"},
		{"ragged short", "x1,x2,y\n1,2,3\n4,5\n", reg, "line 3: 2 fields, want 3 as in the header"},
		{"ragged long", "x1,x2,y\n1,2,3,4\n", reg, "line 2: 4 fields, want 3 as in the header"},
		{"not a number", "x1,x2,y\n1,2,3\n4,abc,6\n", reg, `line 3, column "x2" (field 2): "abc" is not a number`},
		{"bad target", "x,y\n1,2\n3,4\n5,six\n", reg, `line 4, column "y" (field 2): "six" is not a number`},
		{"NaN", "x,y\n1,2\nNaN,4\n", reg, `line 3, column "x" (field 1): "NaN" is not a finite number`},
		{"Inf", "x,y\n1,-inf\n", reg, `line 2, column "y" (field 2): "-inf" is not a finite number`},
		{"out of float32 range", "x,y\n1e39,1\n", reg, `line 2, column "x" (field 1): "1e39" is out of float32 range`},
		{"empty cell", "x,y,z\n1,2,3\n4,5,\n", CSVOptions{Target: "x", Task: Regression}, `line 3, column "z" (field 3): empty cell, want a number`},
		{"empty label", "x,y\n1,a\n2, \n", cls, `line 3, column "y" (field 2): empty class label`},
		{"single class", "x,y\n1,a\n2,a\n", cls, `target column "y" has a single class "a", want at least 2`},
		{"fewer classes than asked", "x,y\n1,a\n2,b\n", CSVOptions{Target: "y", Task: Classification, MinClasses: 3}, `target column "y" has 2 classes, want at least 3`},
		{"line after multiline quote", "x,y\n\"1\",\"a\nb\"\n\"2\",\"c\"\nz,d\n", cls, `line 5, column "x" (field 1): "z" is not a number`},
		{"bare quote", "x,y\n1,2\n3\"4,5\n", reg, `parse error on line 3, column 2: bare " in non-quoted-field`},
		{"no task", "x,y\n1,2\n", CSVOptions{Target: "y"}, "task is task(?), want classification or regression"},
		{"bad delimiter", "x,y\n1,2\n", CSVOptions{Target: "y", Task: Regression, Comma: '"'}, `invalid field delimiter '"'`},
		{"many columns", "a,b,c,d,e,f,g,h,i,j\n1,2,3,4,5,6,7,8,9,10\n", reg, `no target column named "y"; the header has 10 columns: "a", "b", "c", "d", "e", "f", "g", "h", …`},
		{"escaped column", "x\x1b[2J,y\n1,2\n", CSVOptions{Target: "z", Task: Regression}, `no target column named "z"; the header has 2 columns: "x\x1b[2J", "y"`},
		{"long cell", "x,y\n" + strings.Repeat("9", 100) + "e9999,1\n", reg, `line 2, column "x" (field 1): "99999999999999999999999999999999"… is out of float32 range`},
		{"long line", "x,y\n1,2\n" + strings.Repeat("1", 100) + ",2\n", CSVOptions{Target: "y", Task: Regression, MaxLineBytes: 64}, "line 3: longer than the line length limit of 64 bytes"},
		{"too much data", "x,y\n" + strings.Repeat("1,2\n", 100), CSVOptions{Target: "y", Task: Regression, MaxBytes: 200}, "file of 404 bytes is larger than the size limit of 200 bytes"},
		{"negative limit", "x,y\n1,2\n", CSVOptions{Target: "y", Task: Regression, MaxBytes: -1}, "negative size limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := ReadCSV(strings.NewReader(tt.data), "bad.csv", tt.opt)
			want := "read bad.csv: " + tt.want
			if err == nil {
				t.Fatalf("ReadCSV returned %d samples and no error, want %q", d.Len(), want)
			}
			if !strings.HasPrefix(err.Error(), want) {
				t.Errorf("error\n\t%s\nwant it to start with\n\t%s", err, want)
			}
		})
	}
}

func TestLoadCSVErrors(t *testing.T) {
	t.Run("ragged fixture", func(t *testing.T) {
		_, err := LoadCSV("testdata/csv/ragged.csv", CSVOptions{Target: "y", Task: Classification})
		want := "load testdata/csv/ragged.csv: line 4: 2 fields, want 3 as in the header"
		if err == nil || err.Error() != want {
			t.Fatalf("error %v, want %q", err, want)
		}
	})
	t.Run("missing file", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "none.csv")
		_, err := LoadCSV(p, CSVOptions{Target: "y", Task: Regression})
		if err == nil || !strings.HasPrefix(err.Error(), "load "+p) || !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("error %v, want a not-exist error naming %s", err, p)
		}
	})
}

// TestReadCSVQuotesData checks that errors quote a data file only escaped
// and cut short: a study file can point csv.path at any file its user can
// read (issue 10 item 5).
func TestReadCSVQuotesData(t *testing.T) {
	shadow := "root:$6$Zb8kNq1x$" + strings.Repeat("Q", 86) + ":19700:0:99999:7:::\n" +
		"daemon:*:19700:0:99999:7:::\n"
	tests := []struct {
		name, data string
		opt        CSVOptions
	}{
		{"shadow", shadow, CSVOptions{Target: "y", Task: Classification}},
		{"terminal escapes in header", "\x1b]0;pwned\x07,\x1b[31my\n1,2\n", CSVOptions{Target: "y", Task: Regression}},
		{"escapes in a cell", "x,y\n\x1b[2J\x1b[H\r" + strings.Repeat("A", 200) + ",1\n", CSVOptions{Target: "y", Task: Regression}},
		{"escapes in a label", "x,y\n1,\x1b[5m\u202e" + strings.Repeat("B", 200) + "\n", CSVOptions{Target: "y", Task: Classification}},
		{"binary header", "\x00\x01\x02\xff\xfe,y\n1,2\n", CSVOptions{Target: "z", Task: Regression}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadCSV(strings.NewReader(tt.data), "data.csv", tt.opt)
			if err == nil {
				t.Fatal("ReadCSV succeeded, want an error")
			}
			msg := err.Error()
			for _, r := range msg {
				if r < 0x20 || r == 0x7f || r == 0x202e || r == utf8.RuneError {
					t.Fatalf("error holds the unescaped character %U: %q", r, msg)
				}
			}
			if len(msg) > 300 {
				t.Errorf("error is %d bytes long, want a short excerpt: %s", len(msg), msg)
			}
			if strings.Contains(msg, strings.Repeat("Q", excerptLen)) || strings.Contains(msg, "daemon") {
				t.Errorf("error quotes more than a short excerpt of the file: %s", msg)
			}
		})
	}
}

// TestLoadCSVBounds checks that a path to an endless or newline-free file
// fails with an error naming the file and line, having read no more than
// its limits allow (issue 10 item 2).
func TestLoadCSVBounds(t *testing.T) {
	opt := CSVOptions{Target: "y", Task: Regression, MaxLineBytes: 1 << 20, MaxBytes: 8 << 20}
	t.Run("dev zero", func(t *testing.T) {
		if _, err := os.Stat("/dev/zero"); err != nil {
			t.Skip("no /dev/zero")
		}
		alloc := csvAllocated(t, func() error {
			_, err := LoadCSV("/dev/zero", opt)
			return err
		}, "load /dev/zero: line 1: longer than the line length limit of 1.0 MiB")
		if alloc > 8<<20 {
			t.Errorf("allocated %d bytes for a 1 MiB line limit", alloc)
		}
	})
	t.Run("no newline", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "blob.csv")
		if err := os.WriteFile(p, bytes.Repeat([]byte("x"), 2<<20), 0o644); err != nil {
			t.Fatal(err)
		}
		csvAllocated(t, func() error { _, err := LoadCSV(p, opt); return err },
			"load "+p+": line 1: longer than the line length limit of 1.0 MiB")
	})
	t.Run("file too large", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "big.csv")
		if err := os.WriteFile(p, []byte("x,y\n"+strings.Repeat("1,2\n", 1000)), 0o644); err != nil {
			t.Fatal(err)
		}
		small := opt
		small.MaxBytes = 1000
		csvAllocated(t, func() error { _, err := LoadCSV(p, small); return err },
			"load "+p+": file of 3.9 KiB is larger than the size limit of 1000 bytes")
	})
	t.Run("endless lines", func(t *testing.T) {
		// Short lines without end, from a reader of unknown size: only
		// the size bound can stop it.
		alloc := csvAllocated(t, func() error {
			_, err := ReadCSV(io.MultiReader(strings.NewReader("x,y\n"), endless("1,2\n")), "endless.csv", opt)
			return err
		}, "read endless.csv: line ", "size limit of 8.0 MiB")
		if alloc > 64<<20 {
			t.Errorf("allocated %d bytes for an 8 MiB limit", alloc)
		}
	})
	t.Run("defaults", func(t *testing.T) {
		alloc := csvAllocated(t, func() error {
			_, err := ReadCSV(endless("x"), "x.csv", CSVOptions{Target: "y", Task: Regression})
			return err
		}, "read x.csv: line 1: longer than the line length limit of 16.0 MiB")
		// encoding/csv copies the line it has read twice more while
		// parsing it, and its buffers grow by doubling.
		if alloc > 10*DefaultMaxLineBytes {
			t.Errorf("allocated %d bytes with the default 16 MiB line limit", alloc)
		}
	})
}

// endless is a reader that repeats s for ever.
type endless string

func (e endless) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		n += copy(p[n:], e)
	}
	return n, nil
}

// csvAllocated runs load, which must fail with an error starting with
// want and containing also, and returns the bytes it allocated.
func csvAllocated(t *testing.T, load func() error, want string, also ...string) uint64 {
	t.Helper()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	err := load()
	runtime.ReadMemStats(&after)
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("error %v, want it to start with %q", err, want)
	}
	for _, w := range also {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %v, want it to contain %q", err, w)
		}
	}
	return after.TotalAlloc - before.TotalAlloc
}
