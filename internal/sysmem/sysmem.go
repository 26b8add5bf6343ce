// Package sysmem reports how much memory the process can still use, so
// that work too large for the machine can be refused before it starts
// instead of being killed by the kernel part way.
//
// On Linux the figure is the lower of the kernel's estimate of available
// memory (MemAvailable in /proc/meminfo) and what the process's control
// groups still allow, at every level from the process's group up to the
// root: cgroup v2 memory.max less memory.current, or v1
// memory.limit_in_bytes less memory.usage_in_bytes. The usage counts the
// page cache, which the kernel reclaims before it kills, so the inactive
// file pages of memory.stat are taken off it, as container tools do.
// Elsewhere the figure is unknown.
package sysmem

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strconv"
	"strings"
)

// ErrUnknown is returned where the available memory cannot be read: on
// systems other than Linux, or without /proc.
var ErrUnknown = errors.New("available memory unknown")

// Memory is an amount of memory available to the process and where the
// figure comes from.
type Memory struct {
	Bytes uint64
	// Source names the file and field of the figure, e.g.
	// "/proc/meminfo MemAvailable" or
	// "/sys/fs/cgroup/memory/app/memory.limit_in_bytes".
	Source string
}

// Available returns the memory this process can still allocate before the
// kernel or a control group runs out. It reads the files anew on every
// call and is safe for concurrent use. Where nothing can be read it
// returns an error wrapping ErrUnknown; callers then fall back to a
// limit the user states.
func Available() (Memory, error) {
	return available(os.DirFS("/"))
}

// available is Available with the file system root fsys.
func available(fsys fs.FS) (Memory, error) {
	var best Memory
	found := false
	consider := func(m Memory) {
		if !found || m.Bytes < best.Bytes {
			best, found = m, true
		}
	}
	if n, err := memAvailable(fsys); err == nil {
		consider(Memory{Bytes: n, Source: "/proc/meminfo MemAvailable"})
	}
	for _, m := range cgroupLimits(fsys) {
		consider(m)
	}
	if !found {
		return Memory{}, fmt.Errorf("sysmem: %w: no /proc/meminfo or cgroup memory limit", ErrUnknown)
	}
	return best, nil
}

// memAvailable returns MemAvailable from proc/meminfo, in bytes.
func memAvailable(fsys fs.FS) (uint64, error) {
	b, err := fs.ReadFile(fsys, "proc/meminfo")
	if err != nil {
		return 0, err
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "MemAvailable:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("proc/meminfo: MemAvailable line %q", sc.Text())
		}
		kb, err := strconv.ParseUint(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("proc/meminfo: MemAvailable: %w", err)
		}
		return kb * 1024, nil
	}
	return 0, errors.New("proc/meminfo: no MemAvailable")
}

// v1Unlimited is the smallest cgroup v1 limit taken as no limit: the
// kernel reports an unset limit as a page-rounded 2^63-1.
const v1Unlimited = 1 << 62

// cgroupLimits returns what each memory-limited level of the process's
// control groups still allows, cgroup v2 and v1.
func cgroupLimits(fsys fs.FS) []Memory {
	b, err := fs.ReadFile(fsys, "proc/self/cgroup")
	if err != nil {
		return nil
	}
	var out []Memory
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		// hierarchy-ID:controller-list:cgroup-path
		f := strings.SplitN(line, ":", 3)
		if len(f) != 3 || !strings.HasPrefix(f[2], "/") {
			continue
		}
		switch {
		case f[0] == "0" && f[1] == "":
			for _, root := range []string{"sys/fs/cgroup", "sys/fs/cgroup/unified"} {
				out = append(out, walkUp(fsys, root, f[2], "memory.max", "memory.current", "inactive_file")...)
			}
		case hasController(f[1], "memory"):
			out = append(out, walkUp(fsys, "sys/fs/cgroup/memory", f[2], "memory.limit_in_bytes", "memory.usage_in_bytes", "total_inactive_file")...)
		}
	}
	return out
}

func hasController(list, name string) bool {
	for _, c := range strings.Split(list, ",") {
		if c == name {
			return true
		}
	}
	return false
}

// walkUp returns limit less usage at each level from root/group up to
// root whose limit file holds a number below v1Unlimited ("max" is no
// limit). The usage does not count the inactive file pages that
// memory.stat reports under the key inactive.
func walkUp(fsys fs.FS, root, group, limitFile, usageFile, inactive string) []Memory {
	var out []Memory
	for dir := path.Join(root, group); ; dir = path.Dir(dir) {
		if limit, ok := readNumber(fsys, path.Join(dir, limitFile)); ok && limit < v1Unlimited {
			usage, _ := readNumber(fsys, path.Join(dir, usageFile))
			usage -= min(statField(fsys, path.Join(dir, "memory.stat"), inactive), usage)
			out = append(out, Memory{Bytes: limit - min(usage, limit), Source: "/" + path.Join(dir, limitFile)})
		}
		if dir == root || !strings.HasPrefix(dir, root+"/") {
			return out
		}
	}
}

// readNumber reads a file holding one decimal number; "max" and a missing
// or malformed file are not numbers.
func readNumber(fsys fs.FS, name string) (uint64, bool) {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return 0, false
	}
	n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	return n, err == nil
}

// statField returns the value of key in a memory.stat file, or 0.
func statField(fsys fs.FS, name, key string) uint64 {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, key+" "); ok {
			n, _ := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
			return n
		}
	}
	return 0
}
