// Command trainer is a fake training program that follows dltune's
// command protocol, for tests: its validation loss after epoch n is
// (1+lr)/n + lr/10, its metric "steps" 100n, and it keeps the epochs
// trained in its checkpoint directory. It appends "trial T epoch N" to $TRAINER_LOG for every
// epoch it trains, fails with a traceback when lr > $TRAINER_CRASH_ABOVE,
// sleeps $TRAINER_SLEEP per epoch, and says on stderr how far it trained.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

func main() {
	var params map[string]float64
	b, err := os.ReadFile(os.Getenv("DLTUNE_PARAMS"))
	if err == nil {
		err = json.Unmarshal(b, &params)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "trainer: parameters:", err)
		os.Exit(2)
	}
	lr := params["lr"]
	if s := os.Getenv("TRAINER_CRASH_ABOVE"); s != "" {
		if limit, _ := strconv.ParseFloat(s, 64); lr > limit {
			fmt.Fprintf(os.Stderr, "Traceback (most recent call last):\nRuntimeError: lr %v is too large\n", lr)
			os.Exit(1)
		}
	}
	// Resume from the checkpoint unless it is ahead of what dltune
	// recorded (it was saved after a report dltune did not keep).
	state := filepath.Join(os.Getenv("DLTUNE_CHECKPOINT_DIR"), "epochs")
	done, _ := strconv.Atoi(os.Getenv("DLTUNE_EPOCHS_DONE"))
	start := 0
	if b, err := os.ReadFile(state); err == nil {
		start, _ = strconv.Atoi(string(b))
	}
	if start > done {
		start = 0
	}
	until, _ := strconv.Atoi(os.Getenv("DLTUNE_EPOCHS"))
	logf("trial %s start at %d", os.Getenv("DLTUNE_TRIAL"), start)
	fd, _ := strconv.Atoi(os.Getenv("DLTUNE_REPORT_FD"))
	report := os.NewFile(uintptr(fd), "report")
	sleep, _ := time.ParseDuration(os.Getenv("TRAINER_SLEEP"))
	for n := start + 1; n <= until; n++ {
		time.Sleep(sleep)
		logf("trial %s epoch %d", os.Getenv("DLTUNE_TRIAL"), n)
		fmt.Println("training output that dltune ignores")
		// Report, then save: a program stopped in between trains the
		// epoch again, and dltune skips the second report.
		fmt.Fprintf(report, "{\"epoch\": %d, \"val_loss\": %v, \"steps\": %d}\n", n, (1+lr)/float64(n)+lr/10, 100*n)
		if err := os.WriteFile(state, []byte(strconv.Itoa(n)), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "trainer:", err)
			os.Exit(1)
		}
	}
	fmt.Fprintf(os.Stderr, "trainer: trained to epoch %d\n", until)
}

func logf(format string, args ...any) {
	if log := os.Getenv("TRAINER_LOG"); log != "" {
		f, err := os.OpenFile(log, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err == nil {
			fmt.Fprintf(f, format+"\n", args...)
			f.Close()
		}
	}
}
