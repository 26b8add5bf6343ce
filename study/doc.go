// Package study runs studies. A study trains many trials, each with the
// parameters a search strategy picks, and keeps every result in a store,
// so that it can stop at any moment and resume.
//
// Running a study takes three steps:
//
//	spec, err := studyfile.ParseFile("study.yaml")             // parse (package studyfile)
//	p, err := study.Prepare(ctx, spec, study.PrepareOptions{}) // validate, build the strategy, load the data
//	sum, err := p.Run(ctx, db, study.Options{})                // train and record until done or cancelled
//
// Prepare does everything that can fail on bad input before the store is
// touched, so bad input leaves no trace there. That includes a study whose
// every trial needs more memory than the study may use (see MemoryLimit);
// where the memory depends on a parameter, the trials that cannot fit fail
// one by one, with a MemoryError, before they allocate anything. Run stores a new study, or
// resumes the stored study of the same name. It refuses with ErrChanged a
// spec under which the stored trials would not compare with new ones. Load
// returns a stored study's spec, to resume it without its file.
//
// Run trains Options.Parallel trials at once and writes every state change
// to the store before acting on it. A process killed at any moment loses
// at most the epochs since each running trial's last checkpoint. When ctx
// is cancelled, running trials save a checkpoint and Run returns; the next
// Run continues them. The store is any implementation of Store; package
// store holds the bbolt one. On a store that many processes share (a
// Claimer, such as store/postgres), any number of Runs, in any number of
// processes, work on one study at once: the store assigns trial numbers,
// keeps the budget, and hands each paused or interrupted trial to one of
// them.
//
// Leaderboard ranks a study's trials for display.
package study
