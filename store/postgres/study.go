package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/store"
)

// CreateStudy stores s as a new study. It fails with an error matching
// dltune.ErrExists if a study of that name exists. It is safe for
// concurrent use.
func (db *DB) CreateStudy(ctx context.Context, s *dltune.Study) (err error) {
	defer db.wrap(&err, "study %q", s.Name)
	if s.Name == "" {
		return errors.New("study has no name")
	}
	rec, err := store.EncodeStudy(s)
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	tag, err := db.pool.Exec(ctx, `INSERT INTO dltune_studies (name, record) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, s.Name, rec)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return dltune.ErrExists
	}
	return nil
}

// UpdateStudy replaces the record of the study named s.Name; its trials
// are unchanged. It fails with an error matching dltune.ErrNotFound if
// there is no such study. It is safe for concurrent use.
func (db *DB) UpdateStudy(ctx context.Context, s *dltune.Study) (err error) {
	defer db.wrap(&err, "study %q", s.Name)
	rec, err := store.EncodeStudy(s)
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	tag, err := db.pool.Exec(ctx, `UPDATE dltune_studies SET record = $2, seq = seq + 1 WHERE name = $1`, s.Name, rec)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return dltune.ErrNotFound
	}
	return nil
}

// Study returns the named study, or an error matching dltune.ErrNotFound.
// It is safe for concurrent use.
func (db *DB) Study(ctx context.Context, name string) (_ *dltune.Study, err error) {
	defer db.wrap(&err, "study %q", name)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var rec []byte
	err = db.pool.QueryRow(ctx, `SELECT record FROM dltune_studies WHERE name = $1`, name).Scan(&rec)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, dltune.ErrNotFound
	} else if err != nil {
		return nil, err
	}
	return decodeStudy(rec, name)
}

// Revision returns the study's change number, which every change of its
// trials raises (see Changes), and so does UpdateStudy: a reader that
// polls a study (a dashboard) learns from it whether to read the study
// again, in one indexed row read. It fails with an error matching
// dltune.ErrNotFound if there is no such study. It is safe for
// concurrent use.
func (db *DB) Revision(ctx context.Context, name string) (_ uint64, err error) {
	defer db.wrap(&err, "study %q revision", name)
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var seq int64
	err = db.pool.QueryRow(ctx, `SELECT seq FROM dltune_studies WHERE name = $1`, name).Scan(&seq)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, dltune.ErrNotFound
	} else if err != nil {
		return 0, err
	}
	return uint64(seq), nil
}

// Studies returns every study, ordered by name (bytewise). It is safe for
// concurrent use.
func (db *DB) Studies(ctx context.Context) (_ []*dltune.Study, err error) {
	defer db.wrap(&err, "studies")
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rows, err := db.pool.Query(ctx, `SELECT name, record FROM dltune_studies ORDER BY name COLLATE "C"`)
	if err != nil {
		return nil, err
	}
	var out []*dltune.Study
	var name string
	var rec []byte
	_, err = pgx.ForEachRow(rows, []any{&name, &rec}, func() error {
		s, err := decodeStudy(rec, name)
		if err != nil {
			return err
		}
		out = append(out, s)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteStudy deletes the named study with its trials and checkpoints, or
// fails with an error matching dltune.ErrNotFound. It is safe for
// concurrent use.
func (db *DB) DeleteStudy(ctx context.Context, name string) (err error) {
	defer db.wrap(&err, "study %q", name)
	if err := ctx.Err(); err != nil {
		return err
	}
	tag, err := db.pool.Exec(ctx, `DELETE FROM dltune_studies WHERE name = $1`, name)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return dltune.ErrNotFound
	}
	return nil
}

func decodeStudy(rec []byte, name string) (*dltune.Study, error) {
	s, err := store.DecodeStudy(rec)
	if err != nil {
		return nil, err
	}
	if s.Name != name {
		return nil, fmt.Errorf("%w: record names study %q", store.ErrCorrupt, s.Name)
	}
	return s, nil
}

// wrap prefixes *err, if not nil, with the store's name and what
// (formatted with args), and masks secrets in it.
func (db *DB) wrap(err *error, what string, args ...any) {
	if *err != nil {
		*err = db.err(fmt.Errorf("%s: %s: %w", db.name, fmt.Sprintf(what, args...), *err))
	}
}
