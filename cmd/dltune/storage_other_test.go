//go:build !linux

package main

import "syscall"

const roMountEnv = "DLTUNE_TEST_RO_MOUNT"

func newMountNamespace() *syscall.SysProcAttr { return nil }
