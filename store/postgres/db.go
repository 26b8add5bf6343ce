package postgres

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dltune/dltune/store"
)

// DefaultConnectTimeout bounds connecting to the server when the URL sets
// no connect_timeout, so that an unreachable server is reported within
// seconds.
const DefaultConnectTimeout = 5 * time.Second

// Options configure Open. The zero Options (or nil) opens the store for
// reading and writing, creating or upgrading its schema.
type Options struct {
	// ReadOnly opens the store without creating or upgrading its schema:
	// a database without a dltune schema of this version is refused.
	// Changes are still possible through the connection's rights; a
	// read-only role makes them fail.
	ReadOnly bool

	// Lease is how long the trials this DB runs stay held after the
	// server last heard from it: another worker takes over a trial whose
	// hold expired. Zero means DefaultLease.
	Lease time.Duration
	// Heartbeat is how often the DB renews its holds. Zero means a tenth
	// of the lease, and at least a millisecond.
	Heartbeat time.Duration
}

// DefaultLease is the lease of Options.Lease zero: long enough to ride
// out a pause or a brief loss of the network, short enough that a dead
// worker's trials continue soon.
const DefaultLease = 20 * time.Second

// A DB is a dltune store in a PostgreSQL database. It is safe for
// concurrent use by multiple goroutines, and by any number of processes
// on any number of machines.
type DB struct {
	pool *pgxpool.Pool
	// name is the URL without its password, for messages.
	name string
	// secrets are the strings no error may contain: the password, from
	// the URL, $PGPASSWORD or the password file.
	secrets []string

	// owner names this DB in the trials it holds: host, process and a
	// random part, so that it is unique and says who ran a trial.
	owner     string
	readOnly  bool
	lease     time.Duration
	heartbeat time.Duration
	stop      context.CancelFunc // stops the heartbeat
	beating   sync.WaitGroup
}

// Open connects to the PostgreSQL database that url names and returns
// the dltune store in it. url is a libpq connection string, a
// postgres:// or postgresql:// URL or keyword=value pairs, and follows
// libpq's conventions: PGHOST, PGUSER, PGPASSWORD, PGSSLMODE and the other
// PG* variables fill what it leaves out, a password file (~/.pgpass or
// $PGPASSFILE) supplies a missing password, and sslmode, connect_timeout
// and the like are URL parameters. Tables go to the first schema of the
// connection's search_path (a search_path URL parameter chooses another).
//
// Unless opt.ReadOnly, Open creates dltune's tables in an empty schema,
// and upgrades those of an older dltune, in one transaction that
// concurrent Opens wait for. It fails with an error matching
// store.ErrNotStore if the schema holds tables that are not dltune's, and
// store.ErrVersion if a newer dltune made them. It never waits longer
// than the connect timeout (DefaultConnectTimeout unless the URL sets
// connect_timeout) for a server that does not answer. No error it
// returns contains the password. opt may be nil.
func Open(ctx context.Context, url string, opt *Options) (*DB, error) {
	var o Options
	if opt != nil {
		o = *opt
	}
	secrets := urlSecrets(url)
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, redact(fmt.Errorf("postgres: bad connection URL %s: %w", Redacted(url), parseErr(err)), secrets)
	}
	cc := cfg.ConnConfig
	if cc.Password != "" {
		secrets = append(secrets, cc.Password)
	}
	if cc.ConnectTimeout <= 0 {
		cc.ConnectTimeout = DefaultConnectTimeout
	}
	db := &DB{name: withoutPassword(url, cc), secrets: secrets, owner: ownerName(), lease: o.Lease, heartbeat: o.Heartbeat}
	if db.lease <= 0 {
		db.lease = DefaultLease
	}
	if db.heartbeat <= 0 {
		db.heartbeat = max(db.lease/10, time.Millisecond)
	}
	cctx, cancel := context.WithTimeout(ctx, cc.ConnectTimeout+time.Second)
	defer cancel()
	pool, err := pgxpool.NewWithConfig(cctx, cfg)
	if err != nil {
		return nil, db.err(fmt.Errorf("%s: %w", db.name, err))
	}
	db.pool = pool
	if err := pool.Ping(cctx); err != nil {
		pool.Close()
		return nil, db.err(fmt.Errorf("%s: %w", db.name, connectErr(err)))
	}
	if o.ReadOnly {
		err = db.check(cctx)
	} else {
		err = db.migrate(ctx)
	}
	if err != nil {
		pool.Close()
		return nil, db.err(err)
	}
	hctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	db.stop = stop
	if !o.ReadOnly {
		db.beating.Go(func() { db.beat(hctx) })
	}
	db.readOnly = o.ReadOnly
	return db, nil
}

// Close stops renewing the holds of the trials this DB runs, releases
// those still held (a worker that lost its way leaves them Running), so
// that another worker takes them over at once, and closes the
// connections. It is safe for concurrent use; methods called after it
// fail.
func (db *DB) Close() error {
	db.stop()
	db.beating.Wait()
	if !db.readOnly {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, _ = db.pool.Exec(ctx, `UPDATE dltune_trials SET expires = now() WHERE owner = $1 AND state = $2`, db.owner, running)
	}
	db.pool.Close()
	return nil
}

// beat renews the holds of the trials this DB runs every db.heartbeat
// until ctx is done. A renewal that fails is tried at the next beat; if
// none succeeds within the lease, other workers take the trials over and
// this DB's changes to them fail with dltune.ErrLost.
func (db *DB) beat(ctx context.Context) {
	t := time.NewTicker(db.heartbeat)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		bctx, cancel := context.WithTimeout(ctx, db.heartbeat)
		_, _ = db.pool.Exec(bctx, `UPDATE dltune_trials SET expires = now() + $2::interval WHERE owner = $1 AND state = $3`, db.owner, db.lease, running)
		cancel()
	}
}

// ownerName returns a name for a new DB's holds: host:pid:random.
func ownerName() string {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	rand.Read(b)
	return fmt.Sprintf("%s:%d:%x", host, os.Getpid(), b)
}

// Owner returns the name this DB holds trials under.
func (db *DB) Owner() string { return db.owner }

// String returns the store's URL without its password, for messages.
func (db *DB) String() string { return db.name }

// err wraps err so that its message holds no secret.
func (db *DB) err(err error) error { return redact(err, db.secrets) }

// withoutPassword returns the connection URL s without its password, so
// that a message may show it and a user may paste it back (the password
// then comes from $PGPASSWORD or ~/.pgpass). A connection string in
// keyword=value form is described by the URL of what cc connects to.
func withoutPassword(s string, cc *pgx.ConnConfig) string {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return describe(cc)
	}
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	if q := u.Query(); q.Has("password") {
		q.Del("password")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// describe returns a URL naming the database cc connects to, without the
// password.
func describe(cc *pgx.ConnConfig) string {
	u := url.URL{Scheme: "postgres", User: url.User(cc.User), Path: "/" + cc.Database}
	if strings.HasPrefix(cc.Host, "/") {
		q := url.Values{"host": {cc.Host}}
		u.RawQuery = q.Encode()
	} else {
		u.Host = fmt.Sprintf("%s:%d", cc.Host, cc.Port)
	}
	return u.String()
}

// Redacted returns the connection string s with its password, if any,
// replaced by "xxxxx", for messages. It is best effort for a string that
// does not parse.
func Redacted(s string) string {
	if u, err := url.Parse(s); err == nil && u.User != nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		return u.Redacted()
	}
	out := s
	for _, sec := range urlSecrets(s) {
		out = strings.ReplaceAll(out, sec, "xxxxx")
	}
	return out
}

// urlSecrets returns what in a connection string, and in the environment
// libpq reads, may be a password.
func urlSecrets(s string) []string {
	var out []string
	if p := os.Getenv("PGPASSWORD"); p != "" {
		out = append(out, p)
	}
	if u, err := url.Parse(s); err == nil {
		if p, ok := u.User.Password(); ok && p != "" {
			out = append(out, p, url.QueryEscape(p), url.PathEscape(p))
		}
		if p := u.Query().Get("password"); p != "" {
			out = append(out, p, url.QueryEscape(p))
		}
	} else if i := strings.Index(s, "://"); i >= 0 {
		// A URL that does not parse: whatever lies between the user's
		// colon and the last @ may be a password.
		rest := s[i+3:]
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			if c := strings.Index(rest[:at], ":"); c >= 0 && c+1 < at {
				out = append(out, rest[c+1:at])
			}
		}
	}
	// keyword=value form: password=...
	for _, f := range strings.Fields(s) {
		if v, ok := strings.CutPrefix(f, "password="); ok && v != "" {
			out = append(out, strings.Trim(v, "'"))
		}
	}
	return out
}

// A redactedError is an error whose message had secrets masked; it still
// matches what the original matched.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// redact returns err with every secret in its message masked.
func redact(err error, secrets []string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	masked := msg
	for _, s := range secrets {
		if len(s) > 0 {
			masked = strings.ReplaceAll(masked, s, "xxxxx")
		}
	}
	if masked == msg {
		return err
	}
	return &redactedError{msg: masked, err: err}
}

// parseErr returns the reason a connection string did not parse, without
// pgx's quotation of the string.
func parseErr(err error) error {
	var pe *pgconn.ParseConfigError
	if errors.As(err, &pe) && pe.Unwrap() != nil {
		return pe.Unwrap()
	}
	return err
}

// connectErr explains the commonest reasons a connection fails.
func connectErr(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "28P01", "28000":
			return fmt.Errorf("%w (check the user and password: the URL, $PGPASSWORD or ~/.pgpass)", err)
		case "3D000":
			return fmt.Errorf("%w (create it first: createdb NAME)", err)
		}
	}
	if errors.Is(err, context.DeadlineExceeded) || pgconn.Timeout(err) {
		return fmt.Errorf("no answer from the server: %w", err)
	}
	return err
}

// Transient reports whether err may pass if the operation is tried again
// later: the connection was lost or refused, the server is shutting down,
// starting up or out of connections. Wrong credentials, a missing
// database, a schema that is not dltune's and errors in what was asked
// are not transient.
func Transient(err error) bool {
	if err == nil {
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case strings.HasPrefix(pe.Code, "08"), // connection exception
			pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03", // shutting down, crashed, starting up
			pe.Code == "53300",                     // too many connections
			pe.Code == "40001", pe.Code == "40P01": // serialization failure, deadlock
			return true
		}
		return false
	}
	if errors.Is(err, store.ErrNotStore) || errors.Is(err, store.ErrVersion) || errors.Is(err, store.ErrCorrupt) {
		return false
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.As(err, &ce) || errors.As(err, &ne) || pgconn.Timeout(err) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed) ||
		strings.Contains(err.Error(), "conn closed") || strings.Contains(err.Error(), "closed pool")
}
