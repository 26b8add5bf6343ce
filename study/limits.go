package study

// MaxParallel is the most trials a study trains at once. A study file's
// search.parallel has the same bound, and so does a command line's
// override of it; cmd/dltune's TestParallelLimit checks that they agree.
const MaxParallel = 1024
