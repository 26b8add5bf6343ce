package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/dltune/dltune/store/postgres"
	"github.com/dltune/dltune/studyfile"
)

// Exit statuses.
const (
	exitOK          = 0
	exitFailure     = 1   // the command failed
	exitUsage       = 2   // bad arguments or an invalid study file
	exitInterrupted = 130 // stopped by SIGINT or SIGTERM; the study can be resumed
)

// usageError marks errors in how dltune was called.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// errInterrupted is returned by commands stopped by a signal after they
// printed how to go on.
var errInterrupted = errors.New("interrupted")

// Main runs dltune with args and returns the exit status.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return execRoot(ctx, newDltuneCmd(&globals{stdout: stdout, stderr: stderr}), args)
}

// newDltuneCmd returns dltune's root command with its subcommands.
func newDltuneCmd(g *globals) *cobra.Command {
	root := newRootCmd(g)
	root.AddCommand(
		newRunCmd(g, nil),
		newResumeCmd(g, nil),
		newValidateCmd(g, nil),
		newLeaderboardCmd(g, nil),
		newStudiesCmd(g, nil),
		newShowCmd(g, nil),
		newPlotCmd(g, nil),
		newImportanceCmd(g, nil),
		newTrialsCmd(g, nil),
		newRetryCmd(g, nil),
		newWorkerCmd(g, nil),
		newCopyCmd(g, nil),
		newExportCmd(g, nil),
		newRefitCmd(g, nil),
		newEvaluateCmd(g, nil),
		newPredictCmd(g, nil),
		newServeCmd(g, nil),
		newBenchCmd(g),
		newVersionCmd(g),
	)
	return root
}

// execRoot runs root with args, prints its error, and returns the exit
// status.
func execRoot(ctx context.Context, root *cobra.Command, args []string) int {
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	if errors.Is(err, errInterrupted) {
		return exitInterrupted
	}
	msg := err.Error()
	if errors.Is(err, context.Canceled) {
		// A Ctrl-C: say so, after where it stopped, if the error says.
		msg = strings.TrimSuffix(msg, context.Canceled.Error()) + "interrupted"
	}
	fmt.Fprintln(root.ErrOrStderr(), "dltune:", cleanLines(msg))
	var ue usageError
	var ce *studyfile.Error
	var ces studyfile.ErrorList
	switch {
	case errors.As(err, &ue), errors.As(err, &ce), errors.As(err, &ces):
		return exitUsage
	case strings.HasPrefix(err.Error(), "unknown command "), strings.HasPrefix(err.Error(), "required flag(s) "):
		// cobra's errors for a mistyped command and a missing flag have
		// no type of their own.
		return exitUsage
	case errors.Is(err, context.Canceled):
		return exitInterrupted
	}
	return exitFailure
}

// minLease is the shortest --lease.
const minLease = time.Second

// globals are the flags every command shares.
type globals struct {
	storage string
	// flag is the flag that named storage when not --storage: copy's
	// --from and --to.
	flag    string
	lease   time.Duration
	verbose bool
	stdout  io.Writer
	stderr  io.Writer
}

// newRootCmd returns dltune's root command, without subcommands, with the
// flags they share stored in g.
func newRootCmd(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:   "dltune",
		Short: "Tune the hyperparameters of neural networks",
		Long: `dltune tunes the hyperparameters of neural networks. It reads a study file
(data, model, training settings, a search space and a strategy), trains
trials concurrently on its embedded Go training core, keeps every result in
an embedded store, and ranks the trials by validation loss. An interrupted
study resumes where it stopped.

Exit status: 0 success, 1 failure, 2 bad arguments or an invalid study file,
130 interrupted (the study can be resumed).`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(g.stdout)
	root.SetErr(g.stderr)
	root.SetFlagErrorFunc(flagError)
	// The flag has no default of its own, which help would print: a URL
	// in $DLTUNE_STORAGE may hold a password. It is resolved before any
	// command runs.
	root.PersistentFlags().StringVar(&g.storage, "storage", "", "store file or PostgreSQL URL (default $DLTUNE_STORAGE or dltune.db)")
	root.PersistentPreRunE = func(cmd *cobra.Command, args []string) error {
		if g.lease < minLease {
			// A worker renews its hold every tenth of the lease.
			return usageError{fmt.Errorf("--lease %s is shorter than %s", g.lease, minLease)}
		}
		if cmd.Flags().Changed("storage") {
			if g.storage == "" {
				return usageError{errors.New("--storage is empty: name a store file or a PostgreSQL URL")}
			}
			return nil
		}
		g.storage = cmp.Or(os.Getenv("DLTUNE_STORAGE"), "dltune.db")
		return nil
	}
	root.PersistentFlags().DurationVar(&g.lease, "lease", postgres.DefaultLease, "with a PostgreSQL store: how long a silent worker keeps its trials before others take them over")
	root.PersistentFlags().BoolVarP(&g.verbose, "verbose", "v", false, "while a study runs, log every epoch instead of showing a progress bar")
	return root
}

// exactArgs is cobra.ExactArgs with errors marked as usage errors.
func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := cobra.ExactArgs(n)(cmd, args); err != nil {
			return usageError{err}
		}
		return nil
	}
}

// trialArgs is the annotation of a command whose arguments are trial
// numbers, for flagError.
const trialArgs = "trial-args"

var (
	// negativeArg is pflag's error for an argument such as -1, which it
	// takes for a shorthand flag.
	negativeArg = regexp.MustCompile(`^unknown shorthand flag: '.' in (-[0-9][0-9.]*)$`)
	// badNumber is pflag's error for a number flag given something else.
	badNumber = regexp.MustCompile(`^(invalid argument ".*" for ".*" flag): strconv\.Parse(Int|Uint|Float)[0-9]*: parsing ".*": (invalid syntax|value out of range)$`)
)

// flagError is the error of a command line that the flags' parser
// refused, said as dltune says things rather than as Go's strconv and
// pflag do: a negative number is not an unknown flag, and "abc" for a
// number flag is not a strconv.ParseUint syntax error.
func flagError(c *cobra.Command, err error) error {
	msg := err.Error()
	if m := negativeArg.FindStringSubmatch(msg); m != nil {
		if c.Annotations[trialArgs] != "" {
			return usageError{fmt.Errorf("trial %q is not a trial number: trials are numbered from 0", m[1])}
		}
		return usageError{fmt.Errorf("%s is not a flag of %s, which takes no negative number", m[1], c.CommandPath())}
	}
	if m := badNumber.FindStringSubmatch(msg); m != nil {
		want := map[string]string{"Int": "a whole number", "Uint": "a whole number, 0 or more", "Float": "a number"}[m[2]]
		if m[3] == "value out of range" {
			return usageError{fmt.Errorf("%s: out of range (want %s)", m[1], want)}
		}
		return usageError{fmt.Errorf("%s: want %s", m[1], want)}
	}
	return usageError{err}
}
