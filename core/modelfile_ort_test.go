package core

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// ortSetup says how to install what TestONNXRuntime needs. The package's
// postinstall step only downloads CUDA libraries from NuGet, which this
// check does not use and a machine without that network cannot reach; its
// CPU runtime ships inside the npm package.
const ortSetup = "npm ci --ignore-scripts --prefix core/testdata/ort " +
	"(or npm install --ignore-scripts --prefix DIR onnxruntime-node@1.30.0), " +
	"then DLTUNE_ORT_NODE_MODULES=$PWD/core/testdata/ort/node_modules (or DIR/node_modules)"

// TestONNXRuntime runs every exported test model in onnxruntime, through
// Node.js and npm's onnxruntime-node (testdata/ort_check.js), and checks
// that its outputs are within 1e-5 of Predict's. Unlike gonnx, onnxruntime
// runs all of them, pooling and 1x1 convolutions included. It needs node
// and DLTUNE_ORT_NODE_MODULES, a node_modules directory holding
// onnxruntime-node: without them it skips, except when CI=true, where
// .ci/run installs them and the test fails instead.
func TestONNXRuntime(t *testing.T) {
	modules := os.Getenv("DLTUNE_ORT_NODE_MODULES")
	if modules == "" {
		msg := "DLTUNE_ORT_NODE_MODULES is not set; to run onnxruntime: " + ortSetup
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	// Set, it must work: a wrong path is a failure, not a skip.
	if !filepath.IsAbs(modules) {
		t.Fatalf("DLTUNE_ORT_NODE_MODULES=%s is not an absolute path", modules)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("DLTUNE_ORT_NODE_MODULES is set but node is not on PATH (apt-get install nodejs): %v", err)
	}
	env := append(os.Environ(), "NODE_PATH="+modules)
	probe := exec.Command(node, "-e", "process.stdout.write(require('onnxruntime-node').env.versions.node)")
	probe.Env = env
	version, err := probe.CombinedOutput()
	if err != nil {
		t.Fatalf("DLTUNE_ORT_NODE_MODULES=%s: node cannot load onnxruntime-node (%v): %s\nto set it up: %s",
			modules, err, version, ortSetup)
	}
	t.Logf("onnxruntime-node %s, %s", version, node)

	cases := onnxCases()
	ran := 0
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, x, shape, want := onnxModel(t, c)
			dir := t.TempDir()
			var buf bytes.Buffer
			if _, err := m.WriteONNX(&buf); err != nil {
				t.Fatal(err)
			}
			files := map[string][]byte{"model.onnx": buf.Bytes(), "x.npy": npy(shape, x.Data),
				"want.npy": npy([]int{want.Rows, want.Cols}, want.Data)}
			for name, b := range files {
				if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			cmd := exec.Command(node, "testdata/ort_check.js", filepath.Join(dir, "model.onnx"),
				filepath.Join(dir, "x.npy"), filepath.Join(dir, "want.npy"))
			cmd.Env = env
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("ort_check: %v\n%s", err, out)
			}
			// The checker compares too; the test reads its figures and
			// checks them itself, so that a checker that compared nothing
			// cannot pass.
			var diff float64
			var n int
			if f := strings.Fields(string(out)); len(f) < 3 || f[0] != "ok" {
				t.Fatalf("ort_check printed %q, want ok DIFF COUNT ...", out)
			} else if diff, err = strconv.ParseFloat(f[1], 64); err != nil {
				t.Fatalf("ort_check printed %q: %v", out, err)
			} else if n, err = strconv.Atoi(f[2]); err != nil {
				t.Fatalf("ort_check printed %q: %v", out, err)
			}
			if n != len(want.Data) || !(diff <= 1e-5) {
				t.Fatalf("onnxruntime: max difference %g over %d values, want at most 1e-5 over %d", diff, n, len(want.Data))
			}
			t.Logf("onnxruntime, %s: max difference %g over %d values", c.name, diff, n)
			ran++
		})
	}
	if ran != len(cases) || ran < 11 {
		t.Errorf("onnxruntime ran %d of %d models, want all of at least 11", ran, len(cases))
	}
}
