package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/dltune/dltune/core"
)

func newVersionCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print dltune's version and the matrix kernel training uses",
		Long: `Print dltune's version, the Go toolchain and platform it was built with, and
the matrix-multiply kernel that training uses here, with the CPU features that
chose it. DLTUNE_KERNEL=avx2 (or avx512, go2x3, go4x4) forces a kernel that the
CPU runs.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			version := "(devel)"
			if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
				version = bi.Main.Version
			}
			name, why := core.GemmKernel()
			fmt.Fprintf(g.stdout, "dltune %s %s %s/%s\n", version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			fmt.Fprintf(g.stdout, "kernel: %s (%s)\n", name, why)
			return nil
		},
	}
}
