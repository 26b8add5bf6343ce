package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/study"
)

type copyOptions struct {
	*globals
	From, To string
	Study    string
}

func newCopyCmd(g *globals, runF func(context.Context, *copyOptions) error) *cobra.Command {
	o := &copyOptions{globals: g}
	cmd := &cobra.Command{
		Use:   "copy --from STORE --to STORE [--study NAME]",
		Short: "Copy studies between stores, such as a file and a PostgreSQL database",
		Long: `Copy the study NAME (--study), or every study, from one store to another:
a store file or a postgres:// URL each. Trials keep their numbers, from which
their seeds derive, and unfinished ones their checkpoints, so a study started
on a laptop continues on the cluster (dltune run or dltune worker on the new
store), or comes back. A study the destination already has is refused; a copy
that fails midway is removed. Stop the study before copying it: trials still
running arrive interrupted.`,
		Example: `  dltune copy --from dltune.db --to postgres://tuner@db.example.com/tuning
  dltune copy --from postgres://tuner@db.example.com/tuning --to results.db --study mnist-mlp`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return runCopy(cmd.Context(), o)
		},
	}
	cmd.Flags().StringVar(&o.From, "from", "", "the store to copy from (a file or a postgres:// URL)")
	cmd.Flags().StringVar(&o.To, "to", "", "the store to copy into; a missing file is created")
	cmd.Flags().StringVar(&o.Study, "study", "", "the study to copy (default: every study)")
	cmd.MarkFlagRequired("from")
	cmd.MarkFlagRequired("to")
	return cmd
}

func runCopy(ctx context.Context, o *copyOptions) error {
	if o.From == o.To {
		return usageError{fmt.Errorf("--from and --to name the same store")}
	}
	from := &globals{storage: o.From, flag: "--from", lease: o.lease, stdout: o.stdout, stderr: o.stderr}
	to := &globals{storage: o.To, flag: "--to", lease: o.lease, stdout: o.stdout, stderr: o.stderr}
	src, err := from.openReader(ctx)
	if err != nil {
		return err
	}
	defer src.Close()
	if a, ok := src.(interface{ AsOf() time.Time }); ok && !a.AsOf().IsZero() {
		return fmt.Errorf("a study is running on %s: stop it before copying", src)
	}
	// What to copy is known before the destination is opened, so that a
	// copy of nothing creates no store.
	names := []string{o.Study}
	if o.Study == "" {
		studies, err := src.Studies(ctx)
		if err != nil {
			return err
		}
		if len(studies) == 0 {
			return fmt.Errorf("no study in %s to copy", src)
		}
		names = names[:0]
		for _, s := range studies {
			names = append(names, s.Name)
		}
	} else if _, err := src.Study(ctx, o.Study); errors.Is(err, dltune.ErrNotFound) {
		return fmt.Errorf("no study %q in %s (dltune studies lists them)", o.Study, src)
	} else if err != nil {
		return err
	}
	dst, err := to.openStore(ctx, true)
	if err != nil {
		return err
	}
	defer dst.Close()
	imp, ok := dst.(study.Importer)
	if !ok {
		return fmt.Errorf("%s cannot import studies", dst)
	}
	for _, name := range names {
		n, err := study.Copy(ctx, imp, src, name)
		switch {
		case errors.Is(err, dltune.ErrExists):
			return fmt.Errorf("%s already has a study %s: delete it there first, or copy into another store", dst, name)
		case err != nil:
			return err
		}
		fmt.Fprintf(o.stdout, "copied study %s (%s) from %s to %s\n", name, plural(n, "trial"), src, dst)
	}
	return nil
}
