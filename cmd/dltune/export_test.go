package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/core"
	"github.com/dltune/dltune/store"
	"github.com/dltune/dltune/study"
)

// blobsCSV returns n rows of three named classes in four features, with
// the columns in the order given.
func blobsCSV(n int, seed uint64, cols []string) string {
	rng := rand.New(rand.NewPCG(seed, 1))
	var b strings.Builder
	b.WriteString(strings.Join(cols, ",") + "\n")
	classes := []string{"amber", "blue", "coral"}
	for i := range n {
		c := i % 3
		v := map[string]string{"kind": classes[c]}
		for j, f := range []string{"f1", "f2", "f3", "f4"} {
			v[f] = fmt.Sprintf("%.3f", float64(c*(j+1))+rng.NormFloat64()*1.5+10)
		}
		row := make([]string, len(cols))
		for j, col := range cols {
			row[j] = v[col]
		}
		b.WriteString(strings.Join(row, ",") + "\n")
	}
	return b.String()
}

const blobsStudy = `name: blobs
seed: 11
data:
  kind: csv
  csv: {path: train.csv, target: kind, task: classification}
  test: {path: test.csv}
  validation: 0.25
  normalize: standardize
model: {hidden: [$width], activation: tanh}
train: {epochs: 6, batch_size: 16, learning_rate: $lr, optimizer: adam, patience: 2}
space:
  lr:    {float: [1e-3, 3e-2], log: true}
  width: {int: [4, 12]}
search: {strategy: random, trials: 3}
`

// TestExportRefitEvaluate tunes a study on a CSV file, exports and refits
// its best trial, and scores both on a test file whose columns come in
// another order.
func TestExportRefitEvaluate(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("train.csv", blobsCSV(240, 1, []string{"f1", "f2", "f3", "f4", "kind"}))
	test := write("test.csv", blobsCSV(60, 2, []string{"kind", "f4", "f3", "f2", "f1"}))
	spec := write("blobs.yaml", blobsStudy)
	db := filepath.Join(dir, "s.db")
	ctx := context.Background()
	run := func(args ...string) (string, string) {
		t.Helper()
		code, out, errs := cli(t, ctx, append(args, "--storage", db)...)
		if code != exitOK {
			t.Fatalf("dltune %s: exit %d: %s", strings.Join(args, " "), code, errs)
		}
		return out, errs
	}
	run("run", spec)
	model := filepath.Join(dir, "best.dltm")
	out, errs := run("export", "--best", "-o", model)
	if !strings.HasPrefix(out, "wrote "+model+": study blobs, trial ") || !strings.Contains(errs, "weights after its best epoch") || !strings.Contains(errs, "from the store") {
		t.Errorf("export printed %q, %q", out, errs)
	}
	onnxFile := filepath.Join(dir, "best.onnx")
	if out, _ = run("export", "--best", "-o", onnxFile); !strings.HasPrefix(out, "wrote "+onnxFile) {
		t.Errorf("export -o best.onnx printed %q", out)
	}
	if b := mustRead(t, onnxFile); len(b) < 100 || b[0] != 0x08 { // field 1, ir_version
		t.Errorf("best.onnx: %d bytes starting %x", len(b), b[:min(len(b), 4)])
	}
	refit := filepath.Join(dir, "refit.dltm")
	out, errs = run("refit", "--epochs", "3", "-o", refit)
	if !strings.Contains(out, "3 epochs on training and validation data") || strings.Count(errs, "epoch ") != 1 || strings.Contains(errs, "val_loss") {
		t.Errorf("refit printed %q, %q", out, errs)
	}

	// The exported model, scored on the test file.
	for _, m := range []string{model, refit} {
		out, _ = run("evaluate", "-m", m, test, "--format", "json")
		var r struct {
			Samples  int
			Accuracy float64
			Classes  []struct{ Label string }
			Info     core.ModelInfo
		}
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("%v in %s", err, out)
		}
		if r.Samples != 60 || len(r.Classes) != 3 || r.Classes[2].Label != "coral" || r.Accuracy < 0.5 || r.Info.Study != "blobs" {
			t.Errorf("evaluate %s: %s", m, out)
		}
	}

	// The study's best trial, replayed and scored on data.test: the same
	// as the exported model on the same file.
	byModel, _ := run("evaluate", "-m", model, test)
	byStudy, errs := run("evaluate", "--study", "blobs")
	if !strings.Contains(errs, "from the store") || strings.SplitN(byStudy, "\n", 2)[1] != strings.SplitN(byModel, "\n", 2)[1] ||
		!strings.HasPrefix(byStudy, "study blobs, trial ") {
		t.Errorf("evaluate --study:\n%s\nevaluate -m:\n%s", byStudy, byModel)
	}

	// Test data that does not fit says what it expected, and where.
	missing := write("missing.csv", "f1,f2,f3,kind\n1,2,3,amber\n4,5,6,blue\n")
	stranger := write("stranger.csv", "f1,f2,f3,f4,kind\n1,2,3,4,amber\n4,5,6,7,violet\n")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{missing}, "missing.csv: feature columns f1, f2, f3; the model takes f1, f2, f3, f4 (and the target kind)"},
		{[]string{stranger}, `stranger.csv: target column kind: class "violet" is not one of the model's 3 (amber, blue, coral)`},
		{[]string{filepath.Join("..", "..", "core", "testdata", "idx", "images-idx3-ubyte"), filepath.Join("..", "..", "core", "testdata", "idx", "labels-idx1-ubyte")},
			"images-idx3-ubyte: the model was trained on CSV data (target kind); score it on a CSV file"},
	} {
		code, _, errs := cli(t, ctx, append([]string{"evaluate", "-m", model}, c.args...)...)
		if code != exitFailure || !strings.Contains(errs, c.want) {
			t.Errorf("evaluate %v: exit %d, %q; want %q", c.args, code, errs, c.want)
		}
	}

	// The weights the store kept are those a replay recovers, bit for
	// bit: the same model file. Without them (a trial outside
	// keep_weights, a store of an older dltune), export replays.
	best := bestTrial(t, db, "blobs")
	replayed := filepath.Join(dir, "replayed.dltm")
	changeStore(t, db, func(st *store.DB) error {
		// keep 0 drops every trial's weights.
		return st.SaveWeights(ctx, "blobs", best, nil, nil, 0)
	})
	if _, errs = run("export", "--best", "-o", replayed); !strings.Contains(errs, "replaying trial") || !strings.Contains(errs, "(the store keeps no weights of it: it keeps those of the study's 3 best trials, the leaderboard's first, and an older dltune kept none or chose them by loss alone)") {
		t.Errorf("export without stored weights printed %q", errs)
	}
	if a, b := mustRead(t, model), mustRead(t, replayed); string(a) != string(b) {
		t.Errorf("the model from the stored weights (%d bytes) differs from the replayed one (%d bytes)", len(a), len(b))
	}

	// A stored curve the replay cannot reproduce (the data changed, or the
	// trial ran on a CPU whose kernels round otherwise) is refused,
	// pointing to refit.
	changeStore(t, db, func(st *store.DB) error {
		tr, err := st.Trial(ctx, "blobs", 0)
		if err == nil {
			tr.Curve[0].ValLoss *= 1.5
			err = st.UpdateTrial(ctx, "blobs", tr)
		}
		return err
	})
	if code, _, errs := cli(t, ctx, "export", "--trial", "0", "-o", filepath.Join(dir, "t0.dltm"), "--storage", db); code != exitFailure ||
		!strings.Contains(errs, "replay does not match the stored trial: trial 0 epoch 1") || !strings.Contains(errs, "dltune refit retrains") {
		t.Errorf("export of a trial whose curve changed: exit %d, %q", code, errs)
	}

	// A damaged model file is refused with its name.
	b, err := os.ReadFile(model)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x40
	bad := write("bad.dltm", string(b))
	if code, _, errs := cli(t, ctx, "evaluate", "-m", bad, test); code != exitFailure || !strings.Contains(errs, "bad.dltm: load model: corrupt model file: checksum mismatch") {
		t.Errorf("evaluate a damaged model: exit %d, %q", code, errs)
	}

	if *update {
		// The golden test scores a model made here; keep it and its test file.
		if err := os.WriteFile("testdata/blobs.dltm", mustRead(t, model), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile("testdata/blobs-test.csv", mustRead(t, test), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// bestTrial returns the best trial of study name in the store at db.
func bestTrial(t *testing.T, db, name string) *dltune.Trial {
	t.Helper()
	var best *dltune.Trial
	changeStore(t, db, func(st *store.DB) error {
		s, err := study.Load(context.Background(), st, name)
		if err != nil {
			return err
		}
		trials, err := st.Trials(context.Background(), name)
		if err != nil {
			return err
		}
		best, err = study.Best(s, trials)
		return err
	})
	return best
}

// changeStore opens the store at db, calls f with it and closes it,
// failing the test on error.
func changeStore(t *testing.T, db string, f func(st *store.DB) error) {
	t.Helper()
	st, err := store.Open(db, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = f(st)
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestEvaluateGolden pins evaluate's output on a stored model. The JSON's
// numbers are compared to 1e-9: another CPU's GEMM kernel may change the
// last bits of a loss (see core.Trainer).
func TestEvaluateGolden(t *testing.T) {
	ctx := context.Background()
	code, out, errs := cli(t, ctx, "evaluate", "-m", "testdata/blobs.dltm", "testdata/blobs-test.csv")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	golden(t, "evaluate.txt", out)

	code, out, errs = cli(t, ctx, "evaluate", "-m", "testdata/blobs.dltm", "testdata/blobs-test.csv", "--format", "json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if *update {
		golden(t, "evaluate.json", out)
		return
	}
	var got, want any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(mustRead(t, "testdata/evaluate.json"), &want); err != nil {
		t.Fatal(err)
	}
	if path := jsonDiff(got, want, "$"); path != "" {
		t.Errorf("evaluate --format json differs from testdata/evaluate.json at %s:\n%s", path, out)
	}
}

// jsonDiff returns the path of the first difference between two decoded
// JSON values, numbers compared to a relative 1e-9, or "".
func jsonDiff(a, b any, path string) string {
	switch a := a.(type) {
	case map[string]any:
		bm, ok := b.(map[string]any)
		if !ok || len(a) != len(bm) {
			return path
		}
		for k, v := range a {
			if d := jsonDiff(v, bm[k], path+"."+k); d != "" {
				return d
			}
		}
	case []any:
		bs, ok := b.([]any)
		if !ok || len(a) != len(bs) {
			return path
		}
		for i := range a {
			if d := jsonDiff(a[i], bs[i], fmt.Sprintf("%s[%d]", path, i)); d != "" {
				return d
			}
		}
	case float64:
		bf, ok := b.(float64)
		if !ok || math.Abs(a-bf) > 1e-9*math.Max(1, math.Abs(bf)) {
			return path
		}
	default:
		if a != b {
			return path
		}
	}
	return ""
}

// TestEvaluateStudyWithoutTest checks that evaluate --study says what to
// do when the study names no test set.
func TestEvaluateStudyWithoutTest(t *testing.T) {
	db := filepath.Join(t.TempDir(), "s.db")
	ctx := context.Background()
	if code, _, errs := cli(t, ctx, "run", "testdata/tiny.yaml", "--storage", db); code != exitOK {
		t.Fatalf("run: exit %d: %s", code, errs)
	}
	code, _, errs := cli(t, ctx, "evaluate", "--study", "tiny", "--storage", db)
	if code != exitUsage || !strings.Contains(errs, "study tiny has no data.test: name the test files, or add data.test") {
		t.Errorf("evaluate --study tiny: exit %d, %q", code, errs)
	}
}

// TestExportUsage checks what export refuses before it opens a store.
func TestExportUsage(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"export", "-o", "m.dltm"}, "name the trial with --trial N, or pass --best"},
		{[]string{"export", "--best", "--trial", "3", "-o", "m.dltm"}, "--trial and --best exclude each other"},
		{[]string{"export", "--best"}, "name the model file with -o"},
		{[]string{"refit", "--epochs", "-2", "-o", "m.dltm"}, "--epochs -2 is negative"},
		{[]string{"export", "--best", "-o", "m.dltm", "--storage", filepath.Join(dir, "none.db")}, "no store at"},
	} {
		code, _, errs := cli(t, context.Background(), c.args...)
		if code == exitOK || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, %q; want %q", c.args, code, errs, c.want)
		}
	}
}

// TestPredict pins predict's output on a stored model, checks that it
// agrees with the model's own predictions in input order, and that input
// of the wrong shape is refused with the file's name.
func TestPredict(t *testing.T) {
	ctx := context.Background()
	code, out, errs := cli(t, ctx, "predict", "-m", "testdata/blobs.dltm", "testdata/blobs-test.csv", "--proba")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 61 || lines[0] != "row,class,p_amber,p_blue,p_coral" {
		t.Fatalf("%d lines, header %q", len(lines), lines[0])
	}
	for _, l := range lines[1:] {
		var sum float64
		for _, f := range strings.Split(l, ",")[2:] {
			v, err := strconv.ParseFloat(f, 64)
			if err != nil {
				t.Fatal(err)
			}
			sum += v
		}
		if math.Abs(sum-1) > 1e-6 {
			t.Errorf("line %q: probabilities sum to %v", l, sum)
		}
	}
	// The classes alone are pinned: another CPU may change the last bits
	// of a probability (see core.Trainer).
	_, classes, _ := cli(t, ctx, "predict", "-m", "testdata/blobs.dltm", "testdata/blobs-test.csv")
	golden(t, "predict.csv", classes)

	// The same classes as evaluate counts: the diagonal of its confusion
	// matrix is the rows predicted as their true class.
	test := strings.Split(strings.TrimSpace(string(mustRead(t, "testdata/blobs-test.csv"))), "\n")[1:]
	right := 0
	for i, l := range lines[1:] {
		if strings.Split(l, ",")[1] == strings.Split(test[i], ",")[0] {
			right++
		}
	}
	_, jout, _ := cli(t, ctx, "evaluate", "-m", "testdata/blobs.dltm", "testdata/blobs-test.csv", "--format", "json")
	var ev struct{ Accuracy float64 }
	if err := json.Unmarshal([]byte(jout), &ev); err != nil {
		t.Fatal(err)
	}
	if float64(right)/60 != ev.Accuracy {
		t.Errorf("predict gets %d of 60 right, evaluate's accuracy is %v", right, ev.Accuracy)
	}

	dir := t.TempDir()
	extra := filepath.Join(dir, "extra.csv")
	if err := os.WriteFile(extra, []byte("f1,f2,f3,f4,f5\n1,2,3,4,5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ input, want string }{
		{extra, "extra.csv: column f5 is not one of the model's features (f1, f2, f3, f4)"},
		{"../../core/testdata/idx/images-idx3-ubyte", "images-idx3-ubyte: samples of 6 values; the model takes 4"},
	} {
		if code, _, errs := cli(t, ctx, "predict", "-m", "testdata/blobs.dltm", c.input); code != exitFailure || !strings.Contains(errs, c.want) {
			t.Errorf("predict %s: exit %d, %q; want %q", c.input, code, errs, c.want)
		}
	}
}

// TestExportAcrossKernels runs a study in a process whose GEMM kernel is
// not this one's (DLTUNE_KERNEL), as a worker on another machine would,
// and exports its best trial here: from the weights the store kept, with
// no replay, while a replay here does not reproduce the stored curve.
func TestExportAcrossKernels(t *testing.T) {
	here, _ := core.GemmKernel()
	other := "go2x3"
	if here == other {
		other = "go4x4"
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "train.csv"), []byte(blobsCSV(240, 1, []string{"f1", "f2", "f3", "f4", "kind"})), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "test.csv"), []byte(blobsCSV(60, 2, []string{"f1", "f2", "f3", "f4", "kind"})), 0o644); err != nil {
		t.Fatal(err)
	}
	spec := filepath.Join(dir, "blobs.yaml")
	// Wide enough that the kernels' orders of summation differ.
	if err := os.WriteFile(spec, []byte(strings.Replace(blobsStudy, "width: {int: [4, 12]}", "width: {int: [48, 64]}", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "s.db")
	t.Setenv("DLTUNE_KERNEL", other) // for the child only: this process chose its kernel
	p := start(t, "run", spec, "--storage", db, "-v")
	if code := p.wait(t); code != exitOK {
		t.Fatalf("run with DLTUNE_KERNEL=%s: exit %d:\n%s", other, code, p.log.String())
	}
	if k, _ := core.GemmKernel(); k != here {
		t.Fatalf("this process's kernel changed from %s to %s", here, k)
	}

	ctx := context.Background()
	out := filepath.Join(dir, "best.dltm")
	code, stdout, errs := cli(t, ctx, "export", "--best", "-o", out, "--storage", db)
	if code != exitOK || !strings.Contains(errs, "from the store") || !strings.HasPrefix(stdout, "wrote "+out) {
		t.Fatalf("export here (%s) of a study run with %s: exit %d, %q, %q", here, other, code, stdout, errs)
	}
	best := bestTrial(t, db, "blobs")
	var w *dltune.Weights
	changeStore(t, db, func(st *store.DB) (err error) {
		w, err = st.Weights(ctx, "blobs", best.Number)
		return err
	})
	if got := mustRead(t, out); string(got) != string(w.Model) {
		t.Errorf("exported %d bytes, not the %d of the weights the run stored", len(got), len(w.Model))
	}
	m, err := core.LoadModel(strings.NewReader(string(w.Model)))
	if err != nil {
		t.Fatal(err)
	}
	if be := study.BestEpoch(best); m.Info.Epochs != be || m.Info.ValLoss != best.Curve[be-1].ValLoss {
		t.Errorf("exported model of epoch %d, val_loss %v; the trial's best is epoch %d, %v", m.Info.Epochs, m.Info.ValLoss, be, best.Curve[be-1].ValLoss)
	}

	// Without the weights, the replay here fails: the kernels round
	// differently, so the replayed curve is not the stored one.
	changeStore(t, db, func(st *store.DB) error { return st.SaveWeights(ctx, "blobs", best, nil, nil, 0) })
	code, _, errs = cli(t, ctx, "export", "--best", "-o", filepath.Join(dir, "replayed.dltm"), "--storage", db)
	switch {
	case code == exitOK:
		t.Logf("kernels %s and %s agree bit for bit on this study: the replay matched", here, other)
	case !strings.Contains(errs, "replay does not match the stored trial"):
		t.Errorf("export by replay: exit %d, %q", code, errs)
	}
}

// TestWriteFileAtomicMissingDir checks that a write into a directory that
// went missing names the path given and says why, not the temporary file.
func TestWriteFileAtomicMissingDir(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gone", "m.dltm")
	err := writeFileAtomic(path, []byte("x"))
	want := "write " + path + ": the directory " + filepath.Dir(path) + " does not exist"
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %q", err, want)
	}
}

// TestMissingTestData checks that validate and run refuse a study whose
// data.test names no file, with the file, line and field, before any
// trial runs: no trial reads it, and evaluate would find out last.
func TestMissingTestData(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "train.csv"), []byte(blobsCSV(80, 1, []string{"f1", "f2", "f3", "f4", "kind"})), 0o644); err != nil {
		t.Fatal(err)
	}
	spec := filepath.Join(dir, "blobs.yaml")
	if err := os.WriteFile(spec, []byte(blobsStudy), 0o644); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "s.db")
	want := spec + `:6:16: data.test.path: test file "` + filepath.Join(dir, "test.csv") + `" does not exist`
	for _, args := range [][]string{{"validate", spec}, {"run", spec, "--storage", db}} {
		code, _, errs := cli(t, context.Background(), args...)
		if code == exitOK || !strings.Contains(errs, want) {
			t.Errorf("%s: exit %d, %q; want %q", args[0], code, errs, want)
		}
	}
	if _, err := os.Stat(db); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("run made a store: %v", err)
	}
}

// TestResumeNothingToDo checks that resuming a study whose budget is used
// says there was nothing to do, and exits 0; the run that did the work
// does not say so.
func TestResumeNothingToDo(t *testing.T) {
	db := filepath.Join(t.TempDir(), "s.db")
	ctx := context.Background()
	const nothing = "study tiny: nothing to do: all 6 trials of its budget (search.trials) have finished; raise search.trials in the study file and run it to add trials\n"
	code, _, errs := cli(t, ctx, "run", "testdata/tiny.yaml", "--storage", db)
	if code != exitOK || strings.Contains(errs, "nothing to do") {
		t.Fatalf("run: exit %d: %s", code, errs)
	}
	for _, args := range [][]string{{"resume", "tiny"}, {"run", "testdata/tiny.yaml"}} {
		code, out, errs := cli(t, ctx, append(args, "--storage", db)...)
		if code != exitOK || !strings.HasSuffix(errs, nothing) || !strings.HasPrefix(out, "study tiny: 6 trials finished") {
			t.Errorf("%s: exit %d, %q %q; want exit 0 and %q", args[0], code, out, errs, nothing)
		}
	}
}
