package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/core"
	"github.com/dltune/dltune/store"
	"github.com/dltune/dltune/study"
)

// exportOptions are the options of export and refit.
type exportOptions struct {
	*globals
	Study string
	// Trial is --trial, or -1 for --best (or for neither, which refit
	// takes as --best).
	Trial  int
	Best   bool
	Output string
	// Epochs is refit's --epochs; 0: the trial's best epoch.
	Epochs    int
	MaxMemory int64
	DataRoot  string
	// Refit: the command is refit.
	Refit bool
}

func newExportCmd(g *globals, runF func(context.Context, *exportOptions) error) *cobra.Command {
	o := &exportOptions{globals: g}
	cmd := &cobra.Command{
		Use:   "export (--trial N | --best) -o FILE.dltm|FILE.onnx",
		Short: "Write a trial's model, as after its best epoch, to a model file",
		Long: `Write the model of a trial to a model file (.dltm): the architecture, the
weights after the trial's best epoch, the normalization fitted on the
training data, the classes and their labels, the parameters, and the study
and trial it came from, with a checksum. A Go program loads it with
core.LoadModel; dltune evaluate scores it on test data.

With -o FILE.onnx it writes an ONNX model instead (opset 13), for ONNX
runtimes, MLPs and CNNs alike. The normalization is in the graph: its input
is raw features, [N, features] for an MLP and [N, channels, height, width]
pixels for a CNN, and its output what dltune predict --proba computes
(class probabilities, or the regression outputs). Batch normalization is
written as the per-channel scale and shift of its running statistics
(Mul, Add); dropout is left out.

The store keeps the weights after their best epoch of a study's best
trials (search.keep_weights, 3 by default): export writes those as they
are, at once, on any machine. For another trial, or one stored by an older
dltune, export replays it: the same data, configuration and seed, up to its
best epoch. Training is deterministic, so the weights are the trial's;
export checks every replayed validation loss against the stored one and
fails if one differs (the data or dltune changed since, or the trial ran
on another kind of CPU; dltune refit still works then). Export says which
it did.`,
		Example: `  dltune export --best -o model.dltm
  dltune export --study fashion-mlp --trial 12 -o trial12.dltm
  dltune export --best -o model.onnx`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.check(cmd); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return runExport(cmd.Context(), o)
		},
	}
	o.addFlags(cmd)
	return cmd
}

func newRefitCmd(g *globals, runF func(context.Context, *exportOptions) error) *cobra.Command {
	o := &exportOptions{globals: g, Refit: true}
	cmd := &cobra.Command{
		Use:   "refit [--trial N | --best] [--epochs K] -o FILE.dltm",
		Short: "Retrain a trial's configuration on training and validation data",
		Long: `Retrain the configuration of a trial (the best one unless --trial says) on the
training and validation data together, with the trial's seed, for as many
epochs as its best epoch (or --epochs), and write the model file. The
normalization is fitted on all that data. The learning-rate schedule keeps
the trial's length (train.epochs); early stopping is off, as no data is held
out, so the validation loss shown while it trains is on data it trains on.
Score the model on a test set with dltune evaluate.`,
		Example: `  dltune refit -o model.dltm
  dltune refit --study fashion-mlp --trial 12 --epochs 30 -o model.dltm`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.check(cmd); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return runExport(cmd.Context(), o)
		},
	}
	o.addFlags(cmd)
	cmd.Flags().IntVar(&o.Epochs, "epochs", 0, "epochs to train (default: the trial's best epoch)")
	return cmd
}

func (o *exportOptions) addFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.Study, "study", "", "the study (optional when the store holds one)")
	o.Trial = -1
	usage := "the trial's number"
	if o.Refit {
		usage += " (default: the best trial)"
	}
	cmd.Flags().Var(trialValue{&o.Trial}, "trial", usage)
	cmd.Flags().BoolVar(&o.Best, "best", false, "the best trial, first on the leaderboard")
	cmd.Flags().StringVarP(&o.Output, "output", "o", "", "the model file to write (.dltm, or .onnx for ONNX)")
	addMaxMemoryFlag(cmd, &o.MaxMemory)
	addDataRootFlag(cmd, &o.DataRoot)
}

// check refuses combinations of flags that cobra cannot.
func (o *exportOptions) check(cmd *cobra.Command) error {
	trialSet := cmd.Flags().Changed("trial")
	switch {
	case trialSet && o.Best:
		return usageError{fmt.Errorf("--trial and --best exclude each other")}
	case !trialSet && !o.Best && !o.Refit:
		return usageError{fmt.Errorf("name the trial with --trial N, or pass --best")}
	case o.Output == "":
		return usageError{fmt.Errorf("name the model file with -o")}
	case o.Epochs < 0:
		return usageError{fmt.Errorf("--epochs %d is negative", o.Epochs)}
	}
	if _, err := modelFormat(o.Output); err != nil {
		return usageError{err}
	}
	// Refuse a missing directory now, not after a replay or a refit
	// that may take hours.
	if dir := filepath.Dir(o.Output); !isDir(dir) {
		return usageError{fmt.Errorf("-o %s: the directory %s does not exist", o.Output, dir)}
	}
	if !trialSet {
		o.Best = true
	}
	return nil
}

// modelFormat returns the format that the extension of path names,
// "dltm" or "onnx", whatever its case. Any other extension is refused:
// a typo such as model.onxx must not quietly get a .dltm file, and a
// --format flag would be a second way to say what the name says already
// (as plot's -o picks PNG or SVG).
func modelFormat(path string) (string, error) {
	switch ext := filepath.Ext(path); strings.ToLower(ext) {
	case ".dltm":
		return "dltm", nil
	case ".onnx":
		return "onnx", nil
	case "":
		return "", fmt.Errorf("-o %s: name a .dltm model file, or .onnx for ONNX", path)
	default:
		return "", fmt.Errorf("-o %s: unknown model format %q: name a .dltm model file, or .onnx for ONNX", path, ext)
	}
}

// isDir reports whether dir is a directory (or a link to one).
func isDir(dir string) bool {
	fi, err := os.Stat(dir)
	return err == nil && fi.IsDir()
}

func runExport(ctx context.Context, o *exportOptions) error {
	mem, err := memoryLimit(o.MaxMemory)
	if err != nil {
		return err
	}
	db, name, err := o.openStudy(ctx, o.Study)
	if err != nil {
		return err
	}
	defer db.Close()
	spec, err := study.Load(ctx, db, name)
	if err != nil {
		return err
	}
	if err := confine(spec, o.DataRoot); err != nil {
		return err
	}
	var t *dltune.Trial
	if o.Best {
		trials, err := db.Trials(ctx, name)
		if err != nil {
			return err
		}
		if t, err = study.Best(spec, trials); err != nil {
			return err
		}
	} else if t, err = db.Trial(ctx, name, o.Trial); err != nil {
		return err // it names the study and the trial
	}

	format, err := modelFormat(o.Output)
	if err != nil {
		return usageError{err}
	}
	onnx := format == "onnx"
	best := study.BestEpoch(t)
	var w *dltune.Weights
	var what string
	if !o.Refit {
		if w, what, err = storedWeights(ctx, db, name, spec.Search.KeepWeights, t); err != nil {
			return err
		}
	}
	if o.Refit {
		n := o.Epochs
		if n == 0 {
			n = best
		}
		what = fmt.Sprintf("refitting trial %d on training and validation data for %s", t.Number, plural(n, "epoch"))
	}
	fmt.Fprintf(o.stderr, "study %s: %s\n", clean(name), what)
	m, err := study.Export(ctx, spec, t, study.ExportOptions{
		Refit: o.Refit, Epochs: o.Epochs, Memory: mem, Weights: w,
		Progress: func(e core.EpochStats, n int) {
			if !o.verbose && e.Epoch != n && e.Epoch%10 != 0 {
				return
			}
			if o.Refit {
				// A refit trains on the validation data too: a loss on it
				// would look like a held-out figure and is not one.
				fmt.Fprintf(o.stderr, "  epoch %d/%d  train_loss %.4g  (%.1fs)\n", e.Epoch, n, e.TrainLoss, e.Duration.Seconds())
				return
			}
			fmt.Fprintf(o.stderr, "  epoch %d/%d  train_loss %.4g  val_loss %.4g  (%.1fs)\n", e.Epoch, n, e.TrainLoss, e.ValLoss, e.Duration.Seconds())
		},
	})
	if errors.Is(err, study.ErrReplay) {
		return fmt.Errorf("%w\nthe trial's weights cannot be recovered here; dltune refit retrains its configuration instead", err)
	}
	if err != nil {
		return err
	}
	var b []byte
	if onnx {
		var buf bytes.Buffer
		_, err = m.WriteONNX(&buf)
		b = buf.Bytes()
	} else {
		b, err = m.MarshalBinary()
	}
	if err != nil {
		return err
	}
	if err := writeFileAtomic(o.Output, b); err != nil {
		return err
	}
	fmt.Fprintf(o.stdout, "wrote %s: study %s, trial %d, %s", o.Output, clean(name), t.Number, plural(m.Info.Epochs, "epoch"))
	if m.Info.Refit {
		fmt.Fprintln(o.stdout, " on training and validation data")
	} else {
		fmt.Fprintf(o.stdout, ", val_loss %s\n", strconv.FormatFloat(m.Info.ValLoss, 'g', 4, 64))
	}
	return nil
}

// storedWeights returns the weights that db keeps of trial t of the
// study, whose search.keep_weights is keep, if they match it, or nil, and
// says how its model is to be recovered: loaded from them, or replayed,
// and why.
func storedWeights(ctx context.Context, db backend, name string, keep int, t *dltune.Trial) (*dltune.Weights, string, error) {
	best := study.BestEpoch(t)
	replay := fmt.Sprintf("replaying trial %d to its best epoch, %d", t.Number, best)
	ws, ok := db.(study.WeightStore)
	if !ok {
		return nil, replay, nil
	}
	w, err := ws.Weights(ctx, name, t.Number)
	switch {
	case errors.Is(err, dltune.ErrNotFound) && keep == 0:
		return nil, replay + " (the study keeps no weights: search.keep_weights is 0)", nil
	case errors.Is(err, dltune.ErrNotFound):
		// The leaderboard's first keep trials have weights, unless the
		// study ran under a dltune that kept none, or ranked them by loss
		// alone (a trial pruned at a lower loss took a place).
		return nil, replay + fmt.Sprintf(" (the store keeps no weights of it: it keeps those of the study's %s, the leaderboard's first, and an older dltune kept none or chose them by loss alone)", plural(keep, "best trial")), nil
	case errors.Is(err, store.ErrLocked):
		// A run has the store: the snapshot readers see has no weights.
		return nil, replay + " (a run is writing the store, and only it can read the weights now)", nil
	case err != nil:
		return nil, "", err
	case !w.Match(t):
		return nil, replay + " (its stored weights are of an earlier run of it)", nil
	}
	return w, fmt.Sprintf("loading trial %d's weights after its best epoch, %d, from the store", t.Number, best), nil
}

// writeFileAtomic writes b to path through a temporary file in the same
// directory, flushed and renamed into place, so that a crash leaves the
// old file or the new one, never a part.
func writeFileAtomic(path string, b []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		// Name what the user named, not the temporary file.
		if !isDir(dir) {
			return fmt.Errorf("write %s: the directory %s does not exist", path, dir)
		}
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o644)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
