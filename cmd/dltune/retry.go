package main

import (
	"context"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/dltune/dltune/study"
)

type retryOptions struct {
	*globals
	Study    string
	Trials   []int
	Failed   bool
	Parallel int
	// MaxMemory is --max-memory in bytes; 0 if not given.
	MaxMemory int64
	// DataRoot is --data-root; "" if not given.
	DataRoot string
	// Serve is --serve, the address to serve the dashboard on while the
	// study runs; "" if not given. Token is --token or $DLTUNE_TOKEN.
	Serve string
	Token string
}

func newRetryCmd(g *globals, runF func(context.Context, *retryOptions) error) *cobra.Command {
	o := &retryOptions{globals: g}
	cmd := &cobra.Command{
		Annotations: map[string]string{trialArgs: "yes"},
		Use:         "retry [TRIAL...] [--failed]",
		Short:       "Run failed trials again as new trials",
		Long: `Run failed trials again, each as a new trial with the same parameters (and a
new seed). The failed trials stay in the store as they were; each retry adds
one trial to the study's budget and shows which trial it retries.`,
		Example: `  dltune retry 7
  dltune retry --failed --study fashion-mlp
  dltune retry --failed --serve 127.0.0.1:8080`,
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, a := range args {
				n, err := strconv.Atoi(a)
				if err != nil || n < 0 {
					return usageError{fmt.Errorf("trial %q is not a trial number", a)}
				}
				o.Trials = append(o.Trials, n)
			}
			if len(o.Trials) == 0 && !o.Failed {
				return usageError{fmt.Errorf("name the trials to retry, or pass --failed")}
			}
			if err := checkServeFlag(o.Serve, &o.Token); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return runRetry(cmd.Context(), o)
		},
	}
	cmd.Flags().StringVar(&o.Study, "study", "", "the study (optional when the store holds one)")
	cmd.Flags().BoolVar(&o.Failed, "failed", false, "retry every failed trial that has not been retried")
	addParallelFlag(cmd, &o.Parallel)
	addMaxMemoryFlag(cmd, &o.MaxMemory)
	addDataRootFlag(cmd, &o.DataRoot)
	addServeFlags(cmd, &o.Serve, &o.Token)
	return cmd
}

func runRetry(ctx context.Context, o *retryOptions) error {
	db, err := o.openStore(ctx, false)
	if err != nil {
		return err
	}
	name, err := pickStudy(ctx, db, o.Study)
	if err != nil {
		db.Close()
		return err
	}
	trials, err := db.Trials(ctx, name)
	if err != nil {
		db.Close()
		return err
	}
	spec, err := study.Load(ctx, db, name)
	db.Close()
	if err != nil {
		return err
	}
	if err := confine(spec, o.DataRoot); err != nil {
		return err
	}
	list, err := study.Retries(trials, o.Trials, o.Failed)
	if err != nil {
		// "study "s" trial 7: not found", as the store and dltune show say it.
		return usageError{fmt.Errorf("study %q %w", name, err)}
	}
	if len(list) == 0 {
		fmt.Fprintf(o.stdout, "study %s has no failed trial left to retry\n", name)
		return nil
	}
	return execute(ctx, o.globals, spec, o.MaxMemory, study.Options{Parallel: o.Parallel, Retry: list}, o.Serve, o.Token)
}
