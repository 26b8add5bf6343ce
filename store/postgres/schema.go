package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/dltune/dltune/store"
)

// magic identifies dltune's meta table.
const magic = "dltune store"

// migrations[i] takes the schema from version i to version i+1; the
// schema's version is len(migrations). A migration is never edited once
// released: a change is a new migration.
var migrations = []string{
	// 1: studies, trials and checkpoints. Records are the JSON of package
	// store, so that a copy between stores changes no byte of one.
	`CREATE TABLE dltune_meta (
		magic   text NOT NULL,
		version integer NOT NULL
	);
	CREATE TABLE dltune_studies (
		name       text PRIMARY KEY,
		record     json NOT NULL,
		next_trial integer NOT NULL DEFAULT 0
	);
	CREATE TABLE dltune_trials (
		study  text NOT NULL REFERENCES dltune_studies (name) ON DELETE CASCADE,
		number integer NOT NULL,
		state  smallint NOT NULL,
		record json NOT NULL,
		PRIMARY KEY (study, number)
	);
	CREATE TABLE dltune_checkpoints (
		study  text NOT NULL,
		number integer NOT NULL,
		data   bytea NOT NULL,
		PRIMARY KEY (study, number),
		FOREIGN KEY (study, number) REFERENCES dltune_trials (study, number) ON DELETE CASCADE
	);
	ALTER TABLE dltune_checkpoints ALTER COLUMN data SET STORAGE EXTERNAL;`,

	// 2: many workers on one study. seq numbers the changes of a study's
	// trials, so that a worker reads only what changed (the study row's
	// lock orders them); started counts the trials the budget was charged
	// for, apart from the numbers reserved. owner is the worker that last
	// changed a trial ('' once its hold expired), which alone may change
	// it with the plain methods; expires ends its hold of a running trial,
	// renewed by the server's clock.
	`ALTER TABLE dltune_studies
		ADD COLUMN seq bigint NOT NULL DEFAULT 0,
		ADD COLUMN started integer NOT NULL DEFAULT 0;
	UPDATE dltune_studies s SET started = (SELECT count(*) FROM dltune_trials t WHERE t.study = s.name);
	ALTER TABLE dltune_trials
		ADD COLUMN seq bigint NOT NULL DEFAULT 0,
		ADD COLUMN owner text,
		ADD COLUMN expires timestamptz;
	CREATE INDEX dltune_trials_seq ON dltune_trials (study, seq);
	CREATE INDEX dltune_trials_owner ON dltune_trials (owner) WHERE state = 1;
	CREATE INDEX dltune_trials_running ON dltune_trials (study, expires) WHERE state = 1;`,

	// 3: the weights after their best epoch of a study's best trials
	// (study.WeightStore), so that a trial trained on one machine exports
	// on another without a replay. loss orders them to keep the best.
	`CREATE TABLE dltune_weights (
		study  text NOT NULL,
		number integer NOT NULL,
		epoch  integer NOT NULL,
		loss   double precision NOT NULL,
		model  bytea NOT NULL,
		PRIMARY KEY (study, number),
		FOREIGN KEY (study, number) REFERENCES dltune_trials (study, number) ON DELETE CASCADE
	);
	ALTER TABLE dltune_weights ALTER COLUMN model SET STORAGE EXTERNAL;`,
}

// Version is the schema version this package writes and reads:
// len(migrations).
const Version = 3

// migrateLock is the key of the advisory lock that serializes the schema
// changes of concurrent Opens.
const migrateLock = 0x646c74756e65 // "dltune"

// migrate creates or upgrades the schema in one transaction.
func (db *DB) migrate(ctx context.Context) error {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("%s: %w", db.name, err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrateLock)); err != nil {
		return fmt.Errorf("%s: lock the schema: %w", db.name, err)
	}
	v, err := db.version(ctx, tx)
	if err != nil {
		return err
	}
	if v == Version {
		return nil
	}
	for i := v; i < Version; i++ {
		if _, err := tx.Exec(ctx, migrations[i]); err != nil {
			return fmt.Errorf("%s: upgrade the schema from version %d to %d: %w", db.name, i, i+1, err)
		}
	}
	if v == 0 {
		_, err = tx.Exec(ctx, `INSERT INTO dltune_meta (magic, version) VALUES ($1, $2)`, magic, Version)
	} else {
		_, err = tx.Exec(ctx, `UPDATE dltune_meta SET version = $1`, Version)
	}
	if err != nil {
		return fmt.Errorf("%s: record the schema version: %w", db.name, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("%s: upgrade the schema: %w", db.name, err)
	}
	return nil
}

// check checks, for a read-only Open, that the schema is this version's.
func (db *DB) check(ctx context.Context) error {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("%s: %w", db.name, err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	v, err := db.version(ctx, tx)
	switch {
	case err != nil:
		return err
	case v == 0:
		return fmt.Errorf("%s: %w: the database holds no dltune study yet", db.name, store.ErrNotStore)
	case v < Version:
		return fmt.Errorf("%s: schema version %d is older than this dltune's (%d): run a study on it to upgrade it", db.name, v, Version)
	}
	return nil
}

// version returns the version of the schema in tx's search path: 0 if it
// is empty. It fails with store.ErrNotStore if the schema holds other
// tables, and store.ErrVersion if its version is newer than Version.
func (db *DB) version(ctx context.Context, tx pgx.Tx) (int, error) {
	var schema *string
	var meta bool
	var tables int
	err := tx.QueryRow(ctx, `SELECT current_schema(), to_regclass('dltune_meta') IS NOT NULL,
		(SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema())`).Scan(&schema, &meta, &tables)
	if err != nil {
		return 0, fmt.Errorf("%s: read the schema: %w", db.name, err)
	}
	if schema == nil {
		return 0, fmt.Errorf("%s: no schema to keep dltune's tables in: the search_path names none that exists", db.name)
	}
	if !meta {
		if tables > 0 {
			return 0, fmt.Errorf("%s: %w: schema %q holds %d tables and none is dltune's; use an empty database or schema (the search_path URL parameter chooses one)", db.name, store.ErrNotStore, *schema, tables)
		}
		return 0, nil
	}
	var m string
	var v int
	err = tx.QueryRow(ctx, `SELECT magic, version FROM dltune_meta`).Scan(&m, &v)
	switch {
	case errors.Is(err, pgx.ErrNoRows), err == nil && m != magic:
		return 0, fmt.Errorf("%s: %w: its dltune_meta table is not dltune's", db.name, store.ErrNotStore)
	case err != nil:
		return 0, fmt.Errorf("%s: %w: read dltune_meta: %w", db.name, store.ErrNotStore, err)
	case v > Version:
		return 0, fmt.Errorf("%s: %w: schema version %d, this dltune knows %d; upgrade dltune", db.name, store.ErrVersion, v, Version)
	case v < 1:
		return 0, fmt.Errorf("%s: %w: schema version %d", db.name, store.ErrCorrupt, v)
	}
	return v, nil
}
