package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/dltune/dltune/studyfile"
)

// addParallelFlag adds --parallel (-p) to cmd, stored in p: the trials
// trained at once, up to studyfile.MaxParallel as in a study file. 0, the
// default, keeps the study's search.parallel; anything else out of range is
// refused while the flags are parsed.
func addParallelFlag(cmd *cobra.Command, p *int) {
	cmd.Flags().VarP(parallelValue{p}, "parallel", "p", "trials trained at once (default: the study's search.parallel)")
}

// parallelValue is the pflag.Value of --parallel.
type parallelValue struct{ p *int }

func (v parallelValue) String() string { return strconv.Itoa(*v.p) }

// Type is "int", so that help shows the flag as it shows other numbers.
func (v parallelValue) Type() string { return "int" }

func (v parallelValue) Set(s string) error {
	n, err := strconv.ParseInt(s, 0, 0)
	if err != nil {
		return err
	}
	if n < 0 || n > studyfile.MaxParallel {
		return fmt.Errorf("want 1 to %d, or 0 for the study's search.parallel", studyfile.MaxParallel)
	}
	*v.p = int(n)
	return nil
}

// addDataRootFlag adds --data-root to cmd, stored in root, with
// $DLTUNE_DATA_ROOT as its default.
func addDataRootFlag(cmd *cobra.Command, root *string) {
	cmd.Flags().StringVar(root, "data-root", os.Getenv("DLTUNE_DATA_ROOT"),
		"refuse data files outside `DIR`, symbolic links resolved (default $DLTUNE_DATA_ROOT)")
}

// confine refuses the data files of spec that lie outside root, if root
// is set (see studyfile.Spec.CheckDataRoot). A root that cannot be used
// is a usage error.
func confine(spec *studyfile.Spec, root string) error {
	if root == "" {
		return nil
	}
	err := spec.CheckDataRoot(root)
	var es studyfile.ErrorList
	if err != nil && !errors.As(err, &es) {
		// Name where the root came from: a variable set long ago is
		// easily forgotten.
		from := "--data-root"
		if root == os.Getenv("DLTUNE_DATA_ROOT") {
			from = "$DLTUNE_DATA_ROOT"
		}
		return usageError{fmt.Errorf("%s: %w", from, err)}
	}
	return err
}

// trialValue is the pflag.Value of an optional --trial: a trial number,
// 0 or more, or -1 while the flag is not given. Its String is empty then,
// so that help shows no default of -1, which is no trial.
type trialValue struct{ n *int }

func (v trialValue) String() string {
	if *v.n < 0 {
		return ""
	}
	return strconv.Itoa(*v.n)
}

// Type is "int", so that help shows the flag as it shows other numbers.
func (v trialValue) Type() string { return "int" }

func (v trialValue) Set(s string) error {
	n, err := strconv.ParseInt(s, 10, 0)
	if err != nil || n < 0 {
		return fmt.Errorf("want a trial number, 0 or more")
	}
	*v.n = int(n)
	return nil
}
