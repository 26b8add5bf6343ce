// Package studyfile reads study files: the YAML files that describe a
// study's data, model, training, search space and strategy. The README's
// "Study file reference" lists their keys.
//
// Parse and ParseFile check a file strictly. They return a Spec, or an
// ErrorList of every problem, each written "file:line:col: field: message":
//
//	spec, err := studyfile.ParseFile("study.yaml")
//	var errs studyfile.ErrorList
//	if errors.As(err, &errs) { ... }
//
// The model and train sections of a Spec are templates: a field may name
// a space parameter as $name. Resolve fills them in with one trial's
// parameters, giving the core.Config that the trial trains with. Validate
// resolves probe points over the whole space, to find fields that fail
// for some trials before any trial runs. Strategy builds the search
// strategy the file chooses, and Rungs gives its epoch ladder.
//
// Diff tells whether a file may continue a study stored from an earlier
// version of it, and what changed if not. CheckDataRoot confines a study's
// data files to a directory, for study files from someone else.
//
// Package study runs a Spec: parse here, then study.Prepare, then
// Prepared.Run.
package studyfile
