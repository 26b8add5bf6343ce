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
	"net/url"
	"os"
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
