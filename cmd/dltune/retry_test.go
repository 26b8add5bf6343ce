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
