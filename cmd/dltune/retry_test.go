package main

import (
	"context"
	"testing"
)

// TestRetryNamedAndFailedOnce runs the failed trial of the fixture study
// both named and selected by --failed: it must be retried once. (dltune
// retry N --failed ran trial N twice.)
func TestRetryNamedAndFailedOnce(t *testing.T) {
	storage := fixtureStore(t)
	if rows := leaderboard(t, storage, "--all"); len(rows) != 4 {
		t.Fatalf("the fixture has %d trials, want 4", len(rows))
	}
	code, _, errs := cli(t, context.Background(), "retry", "1", "--failed", "--storage", storage)
	if code != 0 {
		t.Fatalf("retry 1 --failed: exit %d: %s", code, errs)
	}
	// The study's budget of 6 grows by one retry: trial 4 retries trial
	// 1, trials 5 and 6 are new.
	rows := leaderboard(t, storage, "--all")
	if len(rows) != 7 {
		t.Errorf("%d trials after retry 1 --failed, want 7", len(rows))
	}
	retries := 0
	for _, r := range rows {
		if showTrial(t, storage, r.Trial).RetryOf == 1 {
			retries++
		}
	}
	if retries != 1 {
		t.Errorf("trial 1 was retried %d times, want once", retries)
	}
}

// TestMissingTrial checks that the error for a trial that does not exist
// names the study and the trial once. (dltune show said "study tiny trial
// 9: study "tiny" trial 9: not found".)
func TestMissingTrial(t *testing.T) {
	storage := fixtureStore(t)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"show", []string{"show", "9"}, exitFailure, `dltune: study "tiny" trial 9: not found` + "\n"},
		{"retry", []string{"retry", "9"}, exitUsage, `dltune: study "tiny" trial 9: not found` + "\n"},
		{"retry with failed", []string{"retry", "1", "9", "--failed"}, exitUsage, `dltune: study "tiny" trial 9: not found` + "\n"},
		{"retry complete", []string{"retry", "0"}, exitUsage, `dltune: study "tiny" trial 0 is complete: only failed trials can be retried` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := cli(t, context.Background(), append(tt.args, "--storage", storage)...)
			if code != tt.code || errs != tt.want || out != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit %d, stderr %q", code, out, errs, tt.code, tt.want)
			}
		})
	}
	if rows := leaderboard(t, storage, "--all"); len(rows) != 4 {
		t.Errorf("%d trials after the refused retries, want the fixture's 4", len(rows))
	}
}
