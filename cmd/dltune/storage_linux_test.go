package main

import (
	"fmt"
	"os"
	"syscall"
)

// roMountEnv names a directory that a dltune process started by
// TestReadersOnReadOnlyFileSystem, in a mount namespace of its own, makes
// a read-only bind mount of itself before it runs. It exits with status 99
// if it cannot.
const roMountEnv = "DLTUNE_TEST_RO_MOUNT"

func init() {
	dir := os.Getenv(roMountEnv)
	if dir == "" {
		return
	}
	err := syscall.Mount(dir, dir, "", syscall.MS_BIND, "")
	if err == nil {
		err = syscall.Mount("", dir, "", syscall.MS_REMOUNT|syscall.MS_BIND|syscall.MS_RDONLY, "")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "skip: read-only bind mount:", err)
		os.Exit(99)
	}
}

// newMountNamespace starts a process in a mount namespace of its own.
func newMountNamespace() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS}
}
