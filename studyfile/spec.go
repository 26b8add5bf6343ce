package studyfile

import (
	"github.com/dltune/dltune/core"
	"github.com/dltune/dltune/search"
)

// A Spec is a parsed and checked study file: what data to train on, the
// model and training templates, the search space and the strategy. Parse
// and ParseFile make Specs; Resolve turns one trial's parameters into
// training configurations.
//
// A Spec is immutable once parsed and safe for concurrent use.
type Spec struct {
	// File is the name the study was read from, as given to Parse; errors
	// name it and relative data paths were resolved against its directory.
	File string
	// Source is the file's text, kept so that a store can keep the study
	// and resume it without the file.
	Source []byte
	// Name is the study's key in the store: [A-Za-z0-9._-]+.
	Name string
	// Seed is the study's seed; trial seeds and the validation split derive
	// from it.
	Seed uint64
	// Data, the model and the training describe a study that trains a
	// model of the core; a command study (Command not nil) leaves them
	// zero, since its program trains.
	Data    DataSpec
	Command *CommandSpec
	Search  SearchSpec
	// Space holds the parameters in dependency order: a conditional
	// parameter comes after the parameter its condition names.
	Space *search.Space

	model modelTemplate
	train trainTemplate
	// raw holds the data paths as written, for canonical.
	raw struct {
		images, labels, csv string
		test                []string // data.test's paths
	}
	// pathPos holds where each data path was written.
	pathPos []fieldPos
}

// fieldPos is where a field was written in a study file.
type fieldPos struct {
	field     string
	line, col int
}

// DataSpec says where a study's data comes from and how it is prepared.
// Relative file paths have been resolved against the study file's
// directory; whether the files exist is checked when the data is loaded.
type DataSpec struct {
	// Kind is idx, csv or synthetic.
	Kind string
	// Task is what the targets are: classification for idx and for every
	// generator but friedman1, as declared for csv.
	Task core.Task

	// Images and Labels are the IDX files of kind idx (gzipped or not).
	Images, Labels string

	// CSV is the file of kind csv; Target names its target column.
	CSV    string
	Target string

	// Classes is the number of classes of classification data: the
	// generator's for kind synthetic; for idx and csv the stated
	// data.classes, or 0 to take it from the labels.
	Classes int

	// Generator (spirals, moons, blobs or friedman1), Samples, Features
	// and Noise describe kind synthetic (with Classes, 0 for friedman1);
	// defaults are filled in (see the reference).
	Generator string
	Samples   int
	Features  int
	Noise     float64

	// Validation is the fraction of the samples held out for validation,
	// in (0, 1), split with the study seed and stratified by class for
	// classification.
	Validation float64
	// Normalize is none, scale (each feature min-max to [0, 1]) or
	// standardize (each feature to mean 0, standard deviation 1), fitted on
	// the training split.
	Normalize string

	// Test lists the files of a test set that no trial sees, in the
	// format of the training data: images and labels for idx, the CSV
	// file for csv; nil when the study names none. dltune evaluate
	// scores the best trial on it. It is not part of what makes trials
	// comparable (Diff ignores it).
	Test []string
}

// SearchSpec chooses the strategy and its budget. Options that a strategy
// does not use are zero; defaults are filled in.
type SearchSpec struct {
	// Strategy is grid, random, bayesian, successive-halving, asha or
	// hyperband.
	Strategy string
	// Trials is the number of trials the study may run in all.
	Trials int
	// Parallel is the number of trials that train at once.
	Parallel int
	// KeepWeights is the number of trials whose weights after their best
	// epoch the store keeps, those of lowest validation loss, so that
	// dltune export needs no replay for them (DefaultKeepWeights unless
	// set; 0 keeps none). It bounds the disk the weights take: each is a
	// model file. It may change between runs of a study.
	KeepWeights int
	// Points is the grid strategy's default number of points for a range
	// without a step; it has been copied into every such search.Param that
	// did not set its own, so strategies need not read it. 0 leaves the
	// grid's own default.
	Points int
	// Method (tpe or gp) and Univariate tune the bayesian strategy.
	// Univariate (tpe only) fits independent per-parameter densities.
	// Startup is the number of random trials before a model proposes
	// points: for bayesian, and for the halving family with sampler tpe
	// or gp.
	Method     string
	Startup    int
	Univariate bool
	// MinEpochs, MaxEpochs and Eta set the rungs of successive-halving,
	// asha and hyperband: budgets MinEpochs*Eta^k up to MaxEpochs, keeping
	// the best 1/Eta at each rung. MaxEpochs defaults to train.epochs.
	MinEpochs, MaxEpochs, Eta int
	// Sampler proposes new trials for the halving family: random, tpe or gp.
	Sampler string
	// Pruner, if not nil, stops unpromising trials early (grid, random and
	// bayesian only).
	Pruner *PrunerSpec
}

// PrunerSpec configures a pruner.
type PrunerSpec struct {
	// Kind is median: stop a trial whose best validation loss so far is
	// worse than the median of other trials' at the same epoch.
	Kind string
	// WarmupEpochs is the number of epochs a trial trains before it can be
	// pruned.
	WarmupEpochs int
	// MinTrials is the number of trials that must have reported an epoch
	// before any trial is pruned at that epoch.
	MinTrials int
}

// MaxEpochs returns the most epochs any trial of the study trains: the
// halving family's MaxEpochs, else command.epochs or the largest value
// train.epochs can take.
func (s *Spec) MaxEpochs() int {
	if s.Search.MaxEpochs > 0 {
		return s.Search.MaxEpochs
	}
	if s.Command != nil {
		return s.Command.Epochs
	}
	return s.train.epochs.maxInt(s.Space)
}

// The names that study files accept, in the order error messages list them.
// The model's, the optimizer's, the schedule's and the loss's come from the
// core, which implements them.
var (
	dataKinds      = []string{"idx", "csv", "synthetic"}
	generators     = []string{"spirals", "moons", "blobs", "friedman1"}
	tasks          = []string{"classification", "regression"}
	normalizations = []string{"none", "scale", "standardize"}
	modelKinds     = []string{"mlp", "cnn"}
	poolings       = []string{"none", "max", "avg"}
	activations    = core.Activations()
	initializers   = core.Initializers()
	optimizers     = core.Optimizers()
	scheduleKinds  = core.Schedules()
	losses         = core.Losses()
	strategies     = []string{"grid", "random", "bayesian", "successive-halving", "asha", "hyperband"}
	methods        = []string{"tpe", "gp"}
	samplers       = []string{"random", "tpe", "gp"}
	prunerKinds    = []string{"median"}
)

// halving reports whether strategy belongs to the successive-halving family.
func halving(strategy string) bool {
	return strategy == "successive-halving" || strategy == "asha" || strategy == "hyperband"
}
