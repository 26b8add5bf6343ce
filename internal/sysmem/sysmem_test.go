package sysmem

import (
	"errors"
	"os"
	"runtime"
	"testing"
	"testing/fstest"
)

const meminfo = "MemTotal:       32000000 kB\nMemFree:         1000000 kB\nMemAvailable:   20000000 kB\n"

func TestAvailable(t *testing.T) {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	tests := []struct {
		name  string
		files fstest.MapFS
		want  Memory
	}{
		{"meminfo only", fstest.MapFS{"proc/meminfo": file(meminfo)},
			Memory{20000000 * 1024, "/proc/meminfo MemAvailable"}},
		{"cgroup v2 lower", fstest.MapFS{
			"proc/meminfo":     file(meminfo),
			"proc/self/cgroup": file("0::/user.slice/job\n"),
			"sys/fs/cgroup/user.slice/job/memory.max":     file("1073741824\n"),
			"sys/fs/cgroup/user.slice/job/memory.current": file("83741824\n"),
			"sys/fs/cgroup/user.slice/job/memory.stat":    file("anon 50000000\ninactive_file 10000000\nactive_file 20000000\n"),
		}, Memory{1000000000, "/sys/fs/cgroup/user.slice/job/memory.max"}},
		{"cgroup v2 parent lower", fstest.MapFS{
			"proc/meminfo":     file(meminfo),
			"proc/self/cgroup": file("0::/user.slice/job\n"),
			"sys/fs/cgroup/user.slice/job/memory.max": file("max\n"),
			"sys/fs/cgroup/user.slice/memory.max":     file("2000000000\n"),
			"sys/fs/cgroup/user.slice/memory.current": file("1500000000\n"),
		}, Memory{500000000, "/sys/fs/cgroup/user.slice/memory.max"}},
		{"cgroup v2 higher than meminfo", fstest.MapFS{
			"proc/meminfo":                     file(meminfo),
			"proc/self/cgroup":                 file("0::/big\n"),
			"sys/fs/cgroup/big/memory.max":     file("1000000000000\n"),
			"sys/fs/cgroup/big/memory.current": file("0\n"),
		}, Memory{20000000 * 1024, "/proc/meminfo MemAvailable"}},
		{"cgroup v1", fstest.MapFS{
			"proc/meminfo":     file(meminfo),
			"proc/self/cgroup": file("5:cpu,cpuacct:/\n4:memory:/docker/abc\n0::/\n"),
			"sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes": file("536870912\n"),
			"sys/fs/cgroup/memory/docker/abc/memory.usage_in_bytes": file("236870912\n"),
			"sys/fs/cgroup/memory/docker/abc/memory.stat":           file("cache 150000000\ninactive_file 1\ntotal_inactive_file 100000000\n"),
			"sys/fs/cgroup/memory/memory.limit_in_bytes":            file("9223372036854771712\n"),
		}, Memory{400000000, "/sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes"}},
		{"cgroup v1 unlimited", fstest.MapFS{
			"proc/meminfo":     file(meminfo),
			"proc/self/cgroup": file("4:memory:/process_api/x\n"),
			"sys/fs/cgroup/memory/process_api/x/memory.limit_in_bytes": file("9223372036854771712\n"),
			"sys/fs/cgroup/memory/process_api/x/memory.usage_in_bytes": file("81477632\n"),
		}, Memory{20000000 * 1024, "/proc/meminfo MemAvailable"}},
		{"usage above limit", fstest.MapFS{
			"proc/self/cgroup":             file("0::/\n"),
			"sys/fs/cgroup/memory.max":     file("1000\n"),
			"sys/fs/cgroup/memory.current": file("5000\n"),
		}, Memory{0, "/sys/fs/cgroup/memory.max"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := available(tt.files)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestAvailableUnknown(t *testing.T) {
	for name, fsys := range map[string]fstest.MapFS{
		"empty":       {},
		"bad meminfo": {"proc/meminfo": &fstest.MapFile{Data: []byte("MemAvailable: lots\n")}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := available(fsys)
			if !errors.Is(err, ErrUnknown) {
				t.Fatalf("error %v, want ErrUnknown", err)
			}
		})
	}
}

// TestAvailableHere reads this machine's figure on Linux.
func TestAvailableHere(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("not Linux")
	}
	if _, err := os.Stat("/proc/meminfo"); err != nil {
		t.Skip("no /proc/meminfo")
	}
	m, err := Available()
	if err != nil {
		t.Fatal(err)
	}
	if m.Bytes < 1<<20 || m.Source == "" {
		t.Fatalf("Available() = %+v, want at least 1 MiB and a source", m)
	}
	t.Logf("available: %d MiB from %s", m.Bytes>>20, m.Source)
}
