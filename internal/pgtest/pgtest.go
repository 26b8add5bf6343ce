// Package pgtest gives tests a PostgreSQL database of their own.
//
// The server is the one $DLTUNE_TEST_POSTGRES names (a libpq URL). Sourcing
// .ci/postgres.sh starts a throwaway one and sets it; .ci/run does so. Without
// it the tests that need a server skip, saying how to run them, except in
// CI ($CI=true), where they fail: CI must never skip them.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Env is the variable that names the test server.
const Env = "DLTUNE_TEST_POSTGRES"

// Server returns the URL of the test server, skipping the test (failing it
// in CI) when there is none.
func Server(t testing.TB) string {
	t.Helper()
	u := os.Getenv(Env)
	if u == "" {
		msg := "no PostgreSQL test server: set $" + Env + " to a libpq URL, or run `. .ci/postgres.sh` to start a throwaway one"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + " (CI must run these tests)")
		}
		t.Skip(msg)
	}
	return u
}

// URL returns the URL of a new, empty schema on the test server, which the
// test's cleanup drops: a store opened on it is the test's alone.
func URL(t testing.TB) string {
	t.Helper()
	server := Server(t)
	name := "t_" + randomHex(8)
	Exec(t, server, `CREATE SCHEMA `+name)
	t.Cleanup(func() { Exec(t, server, `DROP SCHEMA `+name+` CASCADE`) })
	return WithParam(server, "search_path", name)
}

// WithParam returns URL u with the query parameter key set to value.
func WithParam(u, key, value string) string {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "postgres" && p.Scheme != "postgresql") {
		return u + " " + key + "=" + value
	}
	q := p.Query()
	q.Set(key, value)
	p.RawQuery = q.Encode()
	return p.String()
}

// Exec runs sql on the database u names, failing the test on error.
func Exec(t testing.TB, u, sql string, args ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatalf("connect to the test server: %v", err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, sql, args...); err != nil {
		t.Fatalf("%s: %v", strings.Fields(sql)[0], err)
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// QueryInt returns the integer that sql returns on the database u names.
func QueryInt(u, sql string) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, u)
	if err != nil {
		return 0, err
	}
	defer c.Close(ctx)
	var n int
	err = c.QueryRow(ctx, sql).Scan(&n)
	return n, err
}

// A Cluster is a PostgreSQL server of a test's own, in a temporary
// directory, listening on a Unix socket there: a test may stop and restart
// it without disturbing the tests of other packages, which share the
// server of $DLTUNE_TEST_POSTGRES.
type Cluster struct {
	dir string
	bin string
	// URL connects to its postgres database as the superuser.
	URL string
}

// NewCluster starts a new cluster and stops it when the test ends. It
// needs PostgreSQL's server programs (Debian: apt-get install postgresql);
// without them the test skips, or fails in CI. As root, the server runs
// as the postgres user, since PostgreSQL refuses root.
func NewCluster(t testing.TB) *Cluster {
	t.Helper()
	bin := serverBin()
	if bin == "" {
		msg := "no PostgreSQL server programs (Debian: apt-get install postgresql)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + " (CI must run these tests)")
		}
		t.Skip(msg)
	}
	dir, err := os.MkdirTemp("", "dltune-pgtest-")
	if err != nil {
		t.Fatal(err)
	}
	c := &Cluster{dir: dir, bin: bin}
	t.Cleanup(func() {
		c.ctl("stop", "-m", "immediate")
		os.RemoveAll(dir)
	})
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("running as root needs the postgres user: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := c.run(filepath.Join(bin, "initdb"), "-D", filepath.Join(dir, "data"), "-U", "postgres", "-A", "trust", "--no-sync"); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	conf := fmt.Sprintf("listen_addresses = ''\nunix_socket_directories = '%s'\nfsync = off\nmax_connections = 100\n", dir)
	f, err := os.OpenFile(filepath.Join(dir, "data", "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(conf)
	f.Close()
	if out, err := c.ctl("start"); err != nil {
		t.Fatalf("start the cluster: %v\n%s", err, out)
	}
	c.URL = "postgres:///postgres?host=" + url.QueryEscape(dir) + "&user=postgres&sslmode=disable"
	return c
}

// Restart stops the server, fast (its connections are cut), and starts it
// again after pause.
func (c *Cluster) Restart(t testing.TB, pause time.Duration) {
	t.Helper()
	if out, err := c.ctl("stop", "-m", "fast"); err != nil {
		t.Fatalf("stop the cluster: %v\n%s", err, out)
	}
	time.Sleep(pause)
	if out, err := c.ctl("start"); err != nil {
		t.Fatalf("start the cluster: %v\n%s", err, out)
	}
}

func (c *Cluster) ctl(args ...string) ([]byte, error) {
	return c.run(filepath.Join(c.bin, "pg_ctl"), append([]string{"-D", filepath.Join(c.dir, "data"), "-l", filepath.Join(c.dir, "log"), "-w", "-t", "60"}, args...)...)
}

// run runs a server program, as the postgres user when running as root.
func (c *Cluster) run(prog string, args ...string) ([]byte, error) {
	var cmd *exec.Cmd
	if os.Geteuid() == 0 {
		cmd = exec.Command("runuser", append([]string{"-u", "postgres", "--", prog}, args...)...)
	} else {
		cmd = exec.Command(prog, args...)
	}
	cmd.Dir = c.dir
	return cmd.CombinedOutput()
}

// serverBin returns the directory of the newest PostgreSQL server
// programs, or "".
func serverBin() string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[i])))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[j])))
		return vi > vj
	})
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "pg_ctl")); err == nil {
			return d
		}
	}
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		return filepath.Dir(p)
	}
	return ""
}
