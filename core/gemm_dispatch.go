package core

import (
	"fmt"
	"os"
	"strings"
)

// bestKernel is the micro-kernel that Gemm uses, and kernelWhy says why:
// the best of archKernels, or the portable one, unless the DLTUNE_KERNEL
// environment variable names another that runs here.
var bestKernel, kernelWhy = pickKernel(os.Getenv("DLTUNE_KERNEL"), archKernels(), archReason())

// GemmKernel returns the name of the micro-kernel that Sgemm uses
// ("avx512", "avx2", "go2x3" or "go4x4") and why it was chosen: the CPU
// features found, or the DLTUNE_KERNEL environment variable, which forces
// a kernel that the CPU runs.
func GemmKernel() (name, why string) { return bestKernel.name, kernelWhy }

// pickKernel returns the kernel named want among arch (best first) and the
// portable kernels, or the best one if want is empty or does not run here,
// and a sentence saying why.
func pickKernel(want string, arch []*kernel, found string) (*kernel, string) {
	best, why := goKernel, found+"; portable kernel"
	if len(arch) > 0 {
		best, why = arch[0], found
	}
	if want == "" {
		return best, why
	}
	var names []string
	for _, kn := range append(arch, goKernels()...) {
		if kn.name == want {
			return kn, "DLTUNE_KERNEL=" + want + "; " + found
		}
		names = append(names, kn.name)
	}
	return best, fmt.Sprintf("%s; DLTUNE_KERNEL=%q ignored: it does not run here (%s do)", why, want, strings.Join(names, ", "))
}
