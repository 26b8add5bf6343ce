package study

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/store"
	"github.com/dltune/dltune/studyfile"
)

// runCommandStudy parses src as the study file dir/name.yaml, runs it in
// a new store and returns its trials.
func runCommandStudy(t *testing.T, dir, src string) []*dltune.Trial {
	t.Helper()
	spec, err := studyfile.Parse(filepath.Join(dir, "study.yaml"), []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	prep, err := Prepare(ctx, spec, PrepareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(filepath.Join(t.TempDir(), "s.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := prep.Run(ctx, db, Options{WorkDir: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	trials, err := db.Trials(ctx, spec.Name)
	if err != nil {
		t.Fatal(err)
	}
	return trials
}

// python returns the Python 3 to test with, or skips the test.
func python(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	t.Skip("no python3")
	return ""
}

// TestCommandPythonHelper runs a Python program that uses
// examples/pytorch/dltune.py through an ASHA study: parameters, epochs,
// reports and checkpoints.
func TestCommandPythonHelper(t *testing.T) {
	py := python(t)
	helper, err := filepath.Abs("../examples/pytorch")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	log := filepath.Join(dir, "log")
	script := `import json, os, sys
import dltune
p = dltune.params({"lr": 0.5})
ckpt = os.path.join(dltune.checkpoint_dir(), "state.json")
start = 0
if os.path.exists(ckpt):
    start = json.load(open(ckpt))["epoch"]
if start > dltune.epochs_done():
    start = 0
print("noise on stdout", flush=True)
for epoch in range(start + 1, dltune.epochs() + 1):
    with open(sys.argv[1], "a") as f:
        f.write("trial %s epoch %d\n" % (os.environ["DLTUNE_TRIAL"], epoch))
    dltune.report(epoch, (1 + p["lr"]) / epoch, train_loss=p["lr"], val_accuracy=0.5)
    json.dump({"epoch": epoch}, open(ckpt, "w"))
`
	if err := os.WriteFile(filepath.Join(dir, "train.py"), []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	trials := runCommandStudy(t, dir, fmt.Sprintf(`name: py
command:
  argv: [%q, train.py, %q]
  env: {PYTHONPATH: %q}
  epochs: 9
space:
  lr: {float: [0.01, 1]}
search: {strategy: asha, trials: 9, parallel: 2, min_epochs: 1, eta: 3}
`, py, log, helper))
	trained := logLines(t, log)
	promoted := 0
	for _, tr := range trials {
		if tr.State == dltune.Failed {
			t.Fatalf("trial %d failed: %s", tr.Number, tr.Error)
		}
		if tr.Epochs() > 1 {
			promoted++
		}
		lr := tr.Params["lr"].Num
		for i, e := range tr.Curve {
			if want := (1 + lr) / float64(i+1); e.ValLoss != want || e.TrainLoss != lr || !e.HasAccuracy {
				t.Errorf("trial %d epoch %d: %+v, want val_loss %v", tr.Number, i+1, e, want)
			}
			if k := trained[fmt.Sprintf("trial %d epoch %d", tr.Number, i+1)]; k != 1 {
				t.Errorf("trial %d trained epoch %d %d times", tr.Number, i+1, k)
			}
		}
	}
	if promoted == 0 {
		t.Error("no trial was promoted")
	}
}

// TestPyTorchExample runs examples/pytorch/train.py as a small ASHA study
// on synthetic images in Fashion-MNIST's files and shape, when Python has
// torch (Debian's python3-torch, which CI installs). In CI, or with
// DLTUNE_TEST_PYTORCH=1, a missing torch is a failure instead of a skip.
func TestPyTorchExample(t *testing.T) {
	require := os.Getenv("DLTUNE_TEST_PYTORCH") == "1" || os.Getenv("CI") != ""
	skip := func(why string) {
		if require {
			t.Fatal(why)
		}
		t.Skip(why)
	}
	if testing.Short() && !require {
		t.Skip("-short")
	}
	py := "/usr/bin/python3"
	if out, err := exec.Command(py, "-c", "import torch").CombinedOutput(); err != nil {
		skip(fmt.Sprintf("%s has no torch (apt-get install python3-torch): %v %s", py, err, strings.TrimSpace(string(out))))
	}
	data := syntheticIDX(t)
	dir, err := filepath.Abs("../examples/pytorch")
	if err != nil {
		t.Fatal(err)
	}
	// The example's own study file is valid.
	if spec, err := studyfile.ParseFile(filepath.Join(dir, "fashion-mnist.yaml")); err != nil {
		t.Fatal(err)
	} else if err := spec.Validate(); err != nil {
		t.Fatal(err)
	}
	trials := runCommandStudy(t, dir, fmt.Sprintf(`name: torch
command:
  argv: [%q, train.py, --lr, $lr, --channels, 4, --train-samples, 600, --val-samples, 200, --data, %q]
  epochs: 3
space:
  lr: {float: [1e-3, 1e-2], log: true}
search: {strategy: asha, trials: 3, parallel: 2, min_epochs: 1, eta: 3}
`, py, data))
	full := 0
	for _, tr := range trials {
		if tr.State == dltune.Failed {
			t.Fatalf("trial %d failed: %s", tr.Number, tr.Error)
		}
		if tr.Epochs() == 3 {
			full++
		}
		for _, e := range tr.Curve {
			if !e.HasAccuracy || e.ValAccuracy <= 0.1 || e.ValLoss <= 0 {
				t.Errorf("trial %d epoch %d: %+v; want a trained classifier's loss and accuracy", tr.Number, e.Epoch, e)
			}
		}
	}
	if full != 1 {
		t.Errorf("%d trials trained 3 epochs; ASHA with eta 3 promotes one of three", full)
	}
}

// syntheticIDX writes gzipped IDX files named as Fashion-MNIST's into a
// temporary directory: 28x28 images of ten classes, class k a bright bar
// on rows 2k+4 and 2k+5 over faint noise, and returns the directory.
func syntheticIDX(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(5, 0))
	write := func(name string, dims []uint32, data []byte) {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		hdr := []byte{0, 0, 8, byte(len(dims))}
		for _, d := range dims {
			hdr = binary.BigEndian.AppendUint32(hdr, d)
		}
		zw.Write(hdr)
		zw.Write(data)
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, set := range []struct {
		prefix string
		n      int
	}{{"train", 600}, {"t10k", 200}} {
		images, labels := make([]byte, set.n*28*28), make([]byte, set.n)
		for i := range set.n {
			k := i % 10
			labels[i] = byte(k)
			img := images[i*28*28 : (i+1)*28*28]
			for j := range img {
				img[j] = byte(rng.IntN(40))
			}
			for _, row := range []int{2*k + 4, 2*k + 5} {
				for c := 4; c < 24; c++ {
					img[row*28+c] = byte(200 + rng.IntN(56))
				}
			}
		}
		write(set.prefix+"-images-idx3-ubyte.gz", []uint32{uint32(set.n), 28, 28}, images)
		write(set.prefix+"-labels-idx1-ubyte.gz", []uint32{uint32(set.n)}, labels)
	}
	return dir
}
