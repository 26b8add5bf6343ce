package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dltune/dltune/studyfile"
)

type validateOptions struct {
	*globals
	Files    []string
	DataRoot string
}

func newValidateCmd(g *globals, runF func(context.Context, *validateOptions) error) *cobra.Command {
	o := &validateOptions{globals: g}
	cmd := &cobra.Command{
		Use:   "validate STUDY.yaml...",
		Short: "Check study files without running them",
		Long: `Check study files: syntax, every key and value, the search space, and that
every $name refers to a parameter and every parameter is used. Errors name the
file, line and field. Data files are not read; with --data-root, their paths
must lie under DIR.`,
		Example: `  dltune validate examples/*.yaml`,
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
			return runValidate(o)
		},
	}
	addDataRootFlag(cmd, &o.DataRoot)
	return cmd
}

func runValidate(o *validateOptions) error {
	var errs []error
	for _, f := range o.Files {
		spec, err := studyfile.ParseFile(f)
		if err == nil {
			err = spec.Validate()
		}
		if err == nil {
			err = confine(spec, o.DataRoot)
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		fmt.Fprintf(o.stdout, "%s: ok: study %s, %d parameters, %s strategy, %d trials\n",
			f, spec.Name, len(spec.Space.Params), spec.Search.Strategy, spec.Search.Trials)
	}
	return errors.Join(errs...)
}
