package postgres_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/internal/pgtest"
	"github.com/dltune/dltune/store"
	"github.com/dltune/dltune/store/postgres"
)

var ctx = context.Background()

// count returns the result of a count query on the database u names.
func count(t *testing.T, u, sql string) int {
	t.Helper()
	db, err := postgres.Open(ctx, u, &postgres.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	n, err := postgres.QueryInt(ctx, db, sql)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestOpenCreatesSchemaOnce(t *testing.T) {
	u := pgtest.URL(t)
	// Workers starting together must not race to create the tables.
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Go(func() {
			db, err := postgres.Open(ctx, u, nil)
			if err == nil {
				db.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("open %d: %v", i, err)
		}
	}
	if n := count(t, u, `SELECT count(*) FROM dltune_meta`); n != 1 {
		t.Errorf("dltune_meta has %d rows, want 1", n)
	}
	if n := count(t, u, `SELECT version FROM dltune_meta`); n != postgres.Version {
		t.Errorf("schema version %d, want %d", n, postgres.Version)
	}
	db := open2(t, u)
	if err := db.CreateStudy(ctx, &dltune.Study{Name: "kept"}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	// Opening again keeps what is there.
	db = open2(t, u)
	if _, err := db.Study(ctx, "kept"); err != nil {
		t.Errorf("after reopening: %v", err)
	}
}

func open2(t *testing.T, u string) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(ctx, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestOpenRefusesOtherSchemas(t *testing.T) {
	tests := []struct {
		name  string
		setup string
		want  error
		msg   string
	}{
		{"another application's tables", `CREATE TABLE users (id int); CREATE TABLE orders (id int)`, store.ErrNotStore, "holds 2 tables and none is dltune's"},
		{"a foreign dltune_meta", `CREATE TABLE dltune_meta (magic text, version int); INSERT INTO dltune_meta VALUES ('other', 1)`, store.ErrNotStore, "not dltune's"},
		{"an empty dltune_meta", `CREATE TABLE dltune_meta (magic text, version int)`, store.ErrNotStore, "not dltune's"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := pgtest.URL(t)
			pgtest.Exec(t, u, tt.setup)
			before := count2(t, u, `SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()`)
			_, err := postgres.Open(ctx, u, nil)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("Open = %v, want %v saying %q", err, tt.want, tt.msg)
			}
			if after := count2(t, u, `SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()`); after != before {
				t.Errorf("Open changed a schema that is not dltune's: %d tables, had %d", after, before)
			}
		})
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	u := pgtest.URL(t)
	open2(t, u).Close()
	pgtest.Exec(t, u, `UPDATE dltune_meta SET version = 99`)
	for _, ro := range []bool{false, true} {
		_, err := postgres.Open(ctx, u, &postgres.Options{ReadOnly: ro})
		if !errors.Is(err, store.ErrVersion) || !strings.Contains(err.Error(), "schema version 99") || !strings.Contains(err.Error(), "upgrade dltune") {
			t.Errorf("ReadOnly %v: Open = %v, want ErrVersion naming version 99", ro, err)
		}
	}
	if n := count2(t, u, `SELECT version FROM dltune_meta`); n != 99 {
		t.Errorf("Open changed the newer schema's version to %d", n)
	}
}

// count2 is count through a plain connection, for schemas Open refuses.
func count2(t *testing.T, u, sql string) int {
	t.Helper()
	n, err := pgtest.QueryInt(u, sql)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestOpenReadOnly(t *testing.T) {
	u := pgtest.URL(t)
	_, err := postgres.Open(ctx, u, &postgres.Options{ReadOnly: true})
	if !errors.Is(err, store.ErrNotStore) || !strings.Contains(err.Error(), "no dltune study yet") {
		t.Errorf("read-only Open of an empty schema = %v, want ErrNotStore", err)
	}
	if n := count2(t, u, `SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()`); n != 0 {
		t.Errorf("a read-only Open created %d tables", n)
	}
}

// A bad connection gives a clear error within seconds, without the
// password.
func TestOpenBadInput(t *testing.T) {
	server := pgtest.Server(t)
	const pw = "s3cr3t-Pa55"
	role := "r_" + strings.ReplaceAll(t.Name(), "/", "_")
	role = strings.ToLower(role)
	pgtest.Exec(t, server, `DROP ROLE IF EXISTS `+role)
	pgtest.Exec(t, server, `CREATE ROLE `+role+` LOGIN PASSWORD '`+pw+`'`)
	t.Cleanup(func() { pgtest.Exec(t, server, `DROP ROLE IF EXISTS `+role) })

	// A server that accepts connections and never answers.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	mute := ln.Addr().String()

	asRole := pgtest.WithParam(server, "user", role)
	tests := []struct {
		name   string
		url    string
		env    string // $PGPASSWORD
		want   string
		within time.Duration
	}{
		{"right password", pgtest.WithParam(asRole, "password", pw), "", "", 5 * time.Second},
		{"wrong password in the URL", pgtest.WithParam(asRole, "password", pw+"x"), "", "password authentication failed", 5 * time.Second},
		{"wrong password in $PGPASSWORD", asRole, pw + "y", "password authentication failed", 5 * time.Second},
		{"wrong password in user info", "postgres://" + role + ":" + pw + "z@localhost:1/db", "", "connect", 5 * time.Second},
		{"nothing listening", "postgres://u:" + pw + "@127.0.0.1:1/db?sslmode=disable", "", "connect", 5 * time.Second},
		{"no socket", "postgres://u:" + pw + "@/db?host=/nonexistent-dltune", "", "connect", 5 * time.Second},
		{"a server that never answers", "postgres://u:" + pw + "@" + mute + "/db?sslmode=disable&connect_timeout=1", "", "no answer", 5 * time.Second},
		{"a typo in a parameter", pgtest.WithParam(pgtest.WithParam(asRole, "password", pw), "sslmod", "disable"), "", "sslmod", 5 * time.Second},
		{"a typo in the port", "postgres://u:" + pw + "@localhost:54x2/db", "", "bad connection URL", time.Second},
		{"a missing database", pgtest.WithParam(pgtest.WithParam(asRole, "password", pw), "dbname", "nodb"), "", "does not exist", 5 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("PGPASSWORD", tt.env)
			start := time.Now()
			u := tt.url
			if tt.name == "right password" {
				// A schema the role may create tables in.
				s := "s_" + role
				pgtest.Exec(t, server, `CREATE SCHEMA IF NOT EXISTS `+s+` AUTHORIZATION `+role)
				t.Cleanup(func() { pgtest.Exec(t, server, `DROP SCHEMA IF EXISTS `+s+` CASCADE`) })
				u = pgtest.WithParam(tt.url, "search_path", s)
			}
			db, err := postgres.Open(ctx, u, nil)
			took := time.Since(start)
			if took > tt.within {
				t.Errorf("Open took %v, want at most %v", took, tt.within)
			}
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				db.Close()
				return
			}
			if err == nil {
				db.Close()
				t.Fatal("Open succeeded")
			}
			msg := err.Error()
			t.Logf("%s (%v)", msg, took.Round(time.Millisecond))
			if !strings.Contains(msg, tt.want) {
				t.Errorf("error %q does not say %q", msg, tt.want)
			}
			if strings.Contains(msg, "s3cr3t") {
				t.Errorf("error %q shows the password", msg)
			}
		})
	}
}

func TestVersionCountsMigrations(t *testing.T) {
	if postgres.Version != postgres.Migrations {
		t.Errorf("Version %d, but there are %d migrations", postgres.Version, postgres.Migrations)
	}
}

// TestStringKeepsTheURLButThePassword: messages name the store by the URL
// it was opened with, which the user may paste back, without the
// password.
func TestStringKeepsTheURLButThePassword(t *testing.T) {
	u := pgtest.URL(t)
	withPW := pgtest.WithParam(u, "password", "s3cr3t-in-query")
	db := open2(t, withPW)
	s := db.String()
	if strings.Contains(s, "s3cr3t") || !strings.Contains(s, "search_path=t_") {
		t.Errorf("String() = %q, want the URL with its search_path and no password", s)
	}
	if got := postgres.Redacted("postgres://u:s3cr3t@h/db"); strings.Contains(got, "s3cr3t") {
		t.Errorf("Redacted = %q", got)
	}
	if got := postgres.Redacted("host=h password=s3cr3t dbname=db"); strings.Contains(got, "s3cr3t") {
		t.Errorf("Redacted = %q", got)
	}
}
