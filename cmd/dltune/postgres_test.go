package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dltune/dltune/internal/pgtest"
)

// TestPostgresRun runs a study on PostgreSQL and reads it back with the
// commands that read a store.
func TestPostgresRun(t *testing.T) {
	// The test server lets its superuser in without a password, so this
	// one is not needed: it must not show either.
	const pw = "n0t-shown-anywhere"
	u := pgtest.WithParam(pgtest.URL(t), "password", pw)
	ctx := context.Background()
	code, out, errs := cli(t, ctx, "run", "testdata/tiny.yaml", "--storage", u)
	if code != 0 {
		t.Fatalf("run: exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "study tiny: 6 trials finished") {
		t.Errorf("run printed %q", out)
	}
	if strings.Contains(out+errs, pw) {
		t.Errorf("run printed the password:\n%s%s", out, errs)
	}
	code, out, errs = cli(t, ctx, "leaderboard", "--format", "csv", "--storage", u)
	if code != 0 {
		t.Fatalf("leaderboard: exit %d: %s", code, errs)
	}
	if n := strings.Count(out, "\n"); n != 7 {
		t.Errorf("leaderboard has %d lines, want a header and 6 trials:\n%s", n, out)
	}
	for _, args := range [][]string{{"studies"}, {"show", "3"}, {"resume", "tiny"}, {"worker"}} {
		code, out, errs := cli(t, ctx, append(args, "--storage", u)...)
		if code != 0 {
			t.Errorf("%s: exit %d: %s", args[0], code, errs)
		}
		if strings.Contains(out+errs, pw) {
			t.Errorf("%s printed the password:\n%s%s", args[0], out, errs)
		}
	}
	// A worker needs a store that processes share.
	code, _, errs = cli(t, ctx, "worker", "--storage", filepath.Join(t.TempDir(), "x.db"))
	if code != exitUsage || !strings.Contains(errs, "worker needs a store that many processes share") {
		t.Errorf("worker on a file: exit %d, %s", code, errs)
	}
}

// TestPostgresBadStorage gives the commands a storage URL they cannot use:
// each fails within seconds with a clear message and no password.
func TestPostgresBadStorage(t *testing.T) {
	const pw = "hunter2-secret"
	tests := []struct {
		name string
		url  string
		code int
		want string
	}{
		{"scheme typo", "postgress://u:" + pw + "@localhost/db", exitUsage, `unknown scheme "postgress"`},
		{"nothing listening", "postgres://u:" + pw + "@127.0.0.1:1/db?sslmode=disable", exitFailure, "connection refused"},
		{"bad port", "postgresql://u:" + pw + "@localhost:5x/db", exitFailure, "bad connection URL"},
	}
	for _, tt := range tests {
		for _, args := range [][]string{{"leaderboard"}, {"studies"}, {"run", "testdata/tiny.yaml"}} {
			t.Run(tt.name+"/"+args[0], func(t *testing.T) {
				start := time.Now()
				code, _, errs := cli(t, context.Background(), append(args, "--storage", tt.url)...)
				if took := time.Since(start); took > 10*time.Second {
					t.Errorf("took %v", took)
				}
				if code != tt.code || !strings.Contains(errs, tt.want) {
					t.Errorf("exit %d, stderr %q; want exit %d saying %q", code, errs, tt.code, tt.want)
				}
				if strings.Contains(errs, pw) {
					t.Errorf("stderr shows the password: %q", errs)
				}
			})
		}
	}
}

// TestPostgresRefusedSchemas points the commands at a schema holding
// another application's tables, and at one a newer dltune wrote: each
// fails at once, saying why, and changes nothing.
func TestPostgresRefusedSchemas(t *testing.T) {
	ctx := context.Background()
	foreign := pgtest.URL(t)
	pgtest.Exec(t, foreign, `CREATE TABLE invoices (id int)`)
	newer := pgtest.URL(t)
	if code, _, errs := cli(t, ctx, "run", "testdata/tiny.yaml", "--storage", newer); code != 0 {
		t.Fatalf("run: exit %d: %s", code, errs)
	}
	pgtest.Exec(t, newer, `UPDATE dltune_meta SET version = version + 1`)
	tests := []struct {
		name, url, want string
	}{
		{"foreign", foreign, `holds 1 tables and none is dltune's`},
		{"newer", newer, "upgrade dltune"},
	}
	for _, tt := range tests {
		for _, args := range [][]string{{"run", "testdata/tiny.yaml"}, {"leaderboard"}, {"worker"}} {
			t.Run(tt.name+"/"+args[0], func(t *testing.T) {
				code, _, errs := cli(t, ctx, append(args, "--storage", tt.url)...)
				if code != exitFailure || !strings.Contains(errs, tt.want) {
					t.Errorf("exit %d, %q; want exit 1 saying %q", code, errs, tt.want)
				}
			})
		}
	}
	if n, err := pgtest.QueryInt(foreign, `SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()`); err != nil || n != 1 {
		t.Errorf("the foreign schema has %d tables (%v), want its 1", n, err)
	}
}
