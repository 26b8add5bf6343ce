package store

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Tests that need a second process re-execute the test binary with
// helperEnv set to the name of a helper; TestMain runs the helper instead
// of the tests. The helpers are in the test files that use them.
const helperEnv = "DLTUNE_STORE_TEST_HELPER"

// helpers are the helper processes by name. Each gets the arguments the
// parent passed in helperArgsEnv and returns the process's exit status.
var helpers = map[string]func(args []string) int{}

const helperArgsEnv = "DLTUNE_STORE_TEST_ARGS"

func TestMain(m *testing.M) {
	if name := os.Getenv(helperEnv); name != "" {
		h, ok := helpers[name]
		if !ok {
			fmt.Fprintf(os.Stderr, "unknown helper %q\n", name)
			os.Exit(2)
		}
		os.Exit(h(strings.Split(os.Getenv(helperArgsEnv), "\x1f")))
	}
	os.Exit(m.Run())
}

// helperCmd returns a command that runs the named helper in a new process.
func helperCmd(t *testing.T, name string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+name, helperArgsEnv+"="+strings.Join(args, "\x1f"))
	cmd.Stderr = os.Stderr
	return cmd
}

// startHelper starts the named helper and waits for it to print its first
// line, which it returns. The helper's stdin stays open until the test
// ends or the returned stop function is called; stop waits for the helper
// to exit.
func startHelper(t *testing.T, name string, args ...string) (first string, stop func()) {
	t.Helper()
	cmd := helperCmd(t, name, args...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		stdin.Close()
		if err := cmd.Wait(); err != nil {
			t.Errorf("helper %s: %v", name, err)
		}
	}
	t.Cleanup(stop)
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("helper %s: read first line: %v", name, err)
	}
	return strings.TrimSpace(line), stop
}

func init() {
	// hold opens the store at args[0] and keeps it open until stdin
	// closes: read-only after reading its studies if args[1] is "ro",
	// writable otherwise, keeping a snapshot if args[1] is "snapshot". It
	// prints "ready" or the error.
	helpers["hold"] = func(args []string) int {
		db, err := Open(args[0], &Options{ReadOnly: args[1] == "ro"})
		if err == nil && args[1] == "ro" {
			_, err = db.Studies(context.Background())
		}
		if err != nil {
			fmt.Println("error:", err)
			return 1
		}
		if args[1] == "snapshot" {
			db.KeepSnapshot(time.Hour)
		}
		fmt.Println("ready")
		bufio.NewReader(os.Stdin).ReadString('\n')
		if err := db.Close(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		return 0
	}
	// open opens the store at args[0], writable, creates a study named
	// args[1] in it and prints "ok" or the error.
	helpers["open"] = func(args []string) int {
		db, err := Open(args[0], &Options{Timeout: -1})
		if err == nil {
			err = db.CreateStudy(context.Background(), testStudy(args[1]))
			db.Close()
		}
		if err != nil {
			fmt.Println("error:", err)
			return 0
		}
		fmt.Println("ok")
		return 0
	}
}
