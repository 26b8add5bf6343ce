//go:build amd64 && !purego

package core

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestGemmAsmGenerated checks that the committed assembly is what
// gemm_asm_gen.go writes, so that an edit of either is not lost.
func TestGemmAsmGenerated(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the generator")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool")
	}
	dir := t.TempDir()
	out, err := exec.Command(goTool, "run", "gemm_asm_gen.go", "-dir", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("go run gemm_asm_gen.go: %v\n%s", err, out)
	}
	for _, name := range []string{"gemm_amd64.s", "gemm_avx512_amd64.s"} {
		want, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if len(want) < 1000 {
			t.Fatalf("generated %s has only %d bytes", name, len(want))
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the generator's output: run go generate ./core", name)
		}
	}
}
