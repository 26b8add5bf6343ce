package main

import (
	"context"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/plot"
	"github.com/dltune/dltune/store"
)

func TestPlotFlags(t *testing.T) {
	clear := func(o *plotOptions) { o.globals = nil }
	checkFlags(t, newPlotCmd, clear, []flagCase[plotOptions]{
		{name: "defaults", args: []string{"plot", "history"}, want: &plotOptions{Kind: plot.History, Trial: -1, Output: "history.png"}},
		{name: "all set", args: []string{"plot", "contour", "--study", "s", "-o", "c.svg", "--params", "lr,width", "--seed", "3"},
			want: &plotOptions{Kind: plot.Contour, Study: "s", Trial: -1, Output: "c.svg", Params: []string{"lr", "width"}, Seed: 3}},
		{name: "trial", args: []string{"plot", "gradients", "--trial", "4"}, want: &plotOptions{Kind: plot.Gradients, Trial: 4, Output: "gradients-trial4.png"}},
		{name: "unknown kind", args: []string{"plot", "pie"}, code: exitUsage, err: `unknown plot kind "pie" (want one of history, curves,`},
		{name: "no kind", args: []string{"plot"}, code: exitUsage, err: "accepts 1 arg"},
		{name: "gradients without trial", args: []string{"plot", "gradients"}, code: exitUsage, err: "name it with --trial N"},
		{name: "trial of a study-wide kind", args: []string{"plot", "history", "--trial", "2"}, code: exitUsage, err: "--trial is for gradients and filters"},
		{name: "bad extension", args: []string{"plot", "history", "-o", "h.jpg"}, code: exitUsage, err: `h.jpg: unknown image format ".jpg"`},
		{name: "one param", args: []string{"plot", "contour", "--params", "lr"}, code: exitUsage, err: "--params takes two parameters"},
		{name: "params of history", args: []string{"plot", "history", "--params", "lr,width"}, code: exitUsage, err: "plot history draws no pair of parameters: --params is for contour"},
		{name: "the same param twice", args: []string{"plot", "contour", "--params", "lr,lr"}, code: exitUsage, err: "--params names lr twice: a contour needs two parameters"},
		{name: "three params", args: []string{"plot", "contour", "--params", "lr,width,depth"}, code: exitUsage, err: "--params takes two parameters, for plot contour"},
	})
}

// TestPlotWritesImages draws every kind that the fixture supports through
// the CLI and decodes the PNG it writes.
func TestPlotWritesImages(t *testing.T) {
	storage := fixtureStore(t)
	dir := t.TempDir()
	for _, args := range [][]string{
		{"history"}, {"curves"}, {"parallel"}, {"slice"}, {"contour"}, {"timeline"}, {"gradients", "--trial", "0"},
	} {
		out := filepath.Join(dir, args[0]+".png")
		code, stdout, errs := cli(t, context.Background(), append([]string{"plot", "--storage", storage, "-o", out}, args...)...)
		if code != 0 {
			t.Errorf("plot %s: exit %d: %s", args[0], code, errs)
			continue
		}
		if !strings.Contains(stdout, "wrote "+out) {
			t.Errorf("plot %s printed %q", args[0], stdout)
		}
		f, err := os.Open(out)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Errorf("plot %s: %v", args[0], err)
			continue
		}
		if b := img.Bounds(); b.Dx() < 600 || b.Dy() < 300 {
			t.Errorf("plot %s: %dx%d", args[0], b.Dx(), b.Dy())
		}
	}
}

// TestPlotBadInputWritesNothing checks that each bad input fails with a
// clear error and leaves no file behind.
func TestPlotBadInputWritesNothing(t *testing.T) {
	storage := fixtureStore(t)
	empty := filepath.Join(t.TempDir(), "empty.db")
	db, err := store.Open(empty, nil)
	if err != nil {
		t.Fatal(err)
	}
	src, _ := os.ReadFile("testdata/tiny.yaml")
	ctx := context.Background()
	if err := db.CreateStudy(ctx, &dltune.Study{Name: "tiny", File: "testdata/tiny.yaml", Spec: src, Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateTrial(ctx, "tiny", &dltune.Trial{State: dltune.Running, Budget: 4, RetryOf: -1, Params: dltune.Params{"lr": dltune.Float(0.01), "width": dltune.Int(8), "act": dltune.String("relu")}}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	dir := t.TempDir()
	readOnly := filepath.Join(dir, "ro")
	if err := os.Mkdir(readOnly, 0o555); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		storage string
		args    []string
		code    int
		msg     string
	}{
		{"unknown kind", storage, []string{"plot", "pie"}, exitUsage, `unknown plot kind "pie"`},
		{"missing trial", storage, []string{"plot", "gradients", "--trial", "42"}, exitFailure, "42"},
		{"no finished trial", empty, []string{"plot", "history"}, exitFailure, "study tiny: no finished trial yet"},
		{"missing directory", storage, []string{"plot", "history", "-o", filepath.Join(dir, "no", "such", "dir", "h.png")}, exitFailure, "no such file or directory"},
		{"filters of an MLP", storage, []string{"plot", "filters", "--trial", "0"}, exitFailure, "no filters stored: only a CNN trial"},
	}
	if os.Geteuid() != 0 { // root writes anywhere
		cases = append(cases, struct {
			name    string
			storage string
			args    []string
			code    int
			msg     string
		}{"unwritable directory", storage, []string{"plot", "history", "-o", filepath.Join(readOnly, "h.png")}, exitFailure, "permission denied"})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			work := t.TempDir()
			args := append(c.args, "--storage", c.storage)
			if !strings.Contains(strings.Join(c.args, " "), " -o ") {
				args = append(args, "-o", filepath.Join(work, "out.png"))
			}
			code, _, errs := cli(t, context.Background(), args...)
			if code != c.code || !strings.Contains(errs, c.msg) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, errs, c.code, c.msg)
			}
			for _, d := range []string{work, readOnly} {
				if entries, _ := os.ReadDir(d); len(entries) != 0 {
					t.Errorf("%s holds %d files after the error, want none", d, len(entries))
				}
			}
		})
	}
}

// TestPlotExampleStudies runs the quickstart and spirals-asha (a halving
// study) as the gallery does and draws every kind each supports,
// decoding each image: the images of examples/gallery come from these
// commands.
func TestPlotExampleStudies(t *testing.T) {
	if testing.Short() {
		t.Skip("trains two studies")
	}
	dir := t.TempDir()
	ctx := context.Background()
	studies := []struct {
		file  string
		kinds [][]string
	}{
		{"quickstart.yaml", [][]string{{"history"}, {"curves"}, {"parallel"}, {"slice"}, {"contour"}, {"importance"}, {"timeline"}, {"gradients", "--trial", "11"}}},
		// ASHA completes 1 trial: the parameter plots compare a rung.
		{"spirals-asha.yaml", [][]string{{"history"}, {"curves"}, {"parallel"}, {"slice"}, {"contour"}, {"importance"}, {"timeline"}, {"gradients", "--trial", "17"}}},
	}
	for _, s := range studies {
		storage := filepath.Join(dir, s.file+".db")
		if code, _, errs := cli(t, ctx, "run", "../../examples/"+s.file, "--storage", storage); code != 0 {
			t.Fatalf("run %s: exit %d: %s", s.file, code, errs)
		}
		for _, k := range s.kinds {
			out := filepath.Join(dir, s.file+"-"+k[0]+".png")
			code, _, errs := cli(t, ctx, append([]string{"plot", "--storage", storage, "-o", out}, k...)...)
			if code != 0 {
				t.Errorf("%s: plot %s: exit %d: %s", s.file, k[0], code, errs)
				continue
			}
			f, err := os.Open(out)
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(f)
			f.Close()
			if err != nil {
				t.Errorf("%s: plot %s: %v", s.file, k[0], err)
				continue
			}
			// Not blank: at least 1% of the pixels are not white. A slice
			// plot of ASHA's rung has a dozen points and measured 2.0%;
			// package plot's tests check the series themselves.
			b := img.Bounds()
			ink := 0
			for y := b.Min.Y; y < b.Max.Y; y += 2 {
				for x := b.Min.X; x < b.Max.X; x += 2 {
					if r, g, bl, _ := img.At(x, y).RGBA(); r < 0xf000 || g < 0xf000 || bl < 0xf000 {
						ink++
					}
				}
			}
			if share := float64(ink) / float64(b.Dx()*b.Dy()/4); share < 0.01 {
				t.Errorf("%s: plot %s: %.1f%% ink: blank", s.file, k[0], 100*share)
			}
		}
	}
}
