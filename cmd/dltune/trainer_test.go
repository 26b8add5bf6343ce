package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// fakeTrainer is a command study's program for the tests, run by the test
// binary (see TestMain): it appends its pid to $TRAINER_PIDS, continues
// from the epochs in its checkpoint directory, and reports val_loss 1/n
// after each epoch n, sleeping $TRAINER_SLEEP per epoch. On its first
// run it hangs in epoch $TRAINER_HANG_AT, as a long epoch would.
func fakeTrainer() int {
	if f, err := os.OpenFile(os.Getenv("TRAINER_PIDS"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
		fmt.Fprintf(f, "%d\n", os.Getpid())
		f.Close()
	}
	state := filepath.Join(os.Getenv("DLTUNE_CHECKPOINT_DIR"), "epochs")
	done, _ := strconv.Atoi(os.Getenv("DLTUNE_EPOCHS_DONE"))
	until, _ := strconv.Atoi(os.Getenv("DLTUNE_EPOCHS"))
	start := 0
	if b, err := os.ReadFile(state); err == nil {
		start, _ = strconv.Atoi(string(b))
	}
	start = min(start, done)
	fmt.Fprintf(os.Stderr, "fake trainer: from epoch %d to %d\n", start, until)
	report := os.NewFile(3, "report")
	sleep, _ := time.ParseDuration(os.Getenv("TRAINER_SLEEP"))
	hang, _ := strconv.Atoi(os.Getenv("TRAINER_HANG_AT"))
	for n := start + 1; n <= until; n++ {
		if n == hang && done == 0 {
			time.Sleep(time.Hour)
		}
		time.Sleep(sleep)
		// Save the checkpoint before reporting the epoch, as a real
		// program should: a kill right after the report must not leave
		// dltune ahead of the checkpoint.
		if err := os.WriteFile(state, []byte(strconv.Itoa(n)), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "fake trainer:", err)
			return 1
		}
		fmt.Fprintf(report, "{\"epoch\": %d, \"val_loss\": %v}\n", n, 1/float64(n))
	}
	return 0
}
