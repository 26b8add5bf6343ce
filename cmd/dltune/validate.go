package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dltune/dltune/study"
	"github.com/dltune/dltune/studyfile"
)

type validateOptions struct {
	*globals
	Files    []string
	DataRoot string
	Parallel int
	// MaxMemory is --max-memory in bytes; 0 if not given.
	MaxMemory int64
}

func newValidateCmd(g *globals, runF func(context.Context, *validateOptions) error) *cobra.Command {
	o := &validateOptions{globals: g}
	cmd := &cobra.Command{
		Use:   "validate STUDY.yaml...",
		Short: "Check study files without running them",
		Long: `Check study files: syntax, every key and value, the search space, and that
every $name refers to a parameter and every parameter is used. Errors name the
file, line and field. With --data-root, data files must lie under DIR.

Then validate does what run does before it opens the store: it loads the
data, and refuses, with run's message and exit status, a study none of whose
trials fits in memory (with --max-memory, $DLTUNE_MAX_MEMORY or the available
memory, and --parallel or the file's search.parallel trials at once). Where
it cannot read the data, or for a command study, whose program trains, it
says that memory was not checked.`,
		Example: `  dltune validate examples/*.yaml
  dltune validate --max-memory 4GiB --parallel 4 study.yaml`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError{errors.New("name at least one study file")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Files = args
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return runValidate(cmd.Context(), o)
		},
	}
	addDataRootFlag(cmd, &o.DataRoot)
	addParallelFlag(cmd, &o.Parallel)
	addMaxMemoryFlag(cmd, &o.MaxMemory)
	return cmd
}

func runValidate(ctx context.Context, o *validateOptions) error {
	mem, err := memoryLimit(o.MaxMemory)
	if err != nil {
		return err
	}
	var errs []error
	for _, f := range o.Files {
		spec, err := studyfile.ParseFile(f)
		if err == nil {
			err = spec.Validate()
		}
		if err == nil {
			err = confine(spec, o.DataRoot)
		}
		var unchecked string
		if err == nil {
			unchecked, err = checkMemory(ctx, spec, mem, study.Options{Parallel: o.Parallel})
		}
		if err == nil && unchecked == "" {
			// The training data is here, so the test set should be too.
			err = spec.CheckTestData()
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		fmt.Fprintf(o.stdout, "%s: ok: study %s, %s, %s strategy, %s",
			f, spec.Name, plural(len(spec.Space.Params), "parameter"), spec.Search.Strategy, plural(spec.Search.Trials, "trial"))
		if unchecked != "" {
			fmt.Fprintf(o.stdout, "; memory not checked: %s", cleanLines(unchecked))
		}
		fmt.Fprintln(o.stdout)
	}
	return errors.Join(errs...)
}

// checkMemory does what run does before it opens the store: it loads
// spec's data and checks that its trials can fit within mem. It returns
// why it could not check, or "" if it did.
func checkMemory(ctx context.Context, spec *studyfile.Spec, mem study.MemoryLimit, opt study.Options) (unchecked string, err error) {
	if spec.Command != nil {
		return "its program trains", nil
	}
	prep, err := study.Prepare(ctx, spec, study.PrepareOptions{Memory: mem})
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
		return strings.TrimPrefix(err.Error(), spec.File+": "), nil
	}
	if err != nil {
		return "", err
	}
	if err := prep.Check(opt); err != nil {
		return "", err
	}
	if prep.Memory().Bytes <= 0 {
		return "the available memory is unknown (" + memoryHint + ")", nil
	}
	return "", nil
}
