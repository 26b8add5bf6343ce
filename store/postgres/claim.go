package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/store"
)

// What makes many workers on one study correct (study.Claimer). Every
// change of a study's trials first takes the study row's lock, raising
// its change number (seq), and stamps the trials it changes with it. So
// changes commit in the order of their numbers, a reader that has seen
// change n has seen every change before it, and the lock order (study,
// then trial) never deadlocks.

// Changes returns the study's trials created or changed after change
// since (every trial if since < 0), by number, and the number of the
// latest change among them (since, if none). It fails with an error
// matching dltune.ErrNotFound if there is no such study. It reads one
// index range: its cost is that of the changes, not of the study. It is
// safe for concurrent use.
func (db *DB) Changes(ctx context.Context, study string, since int64) (_ []*dltune.Trial, latest int64, err error) {
	defer db.wrap(&err, "study %q changes", study)
	if err := ctx.Err(); err != nil {
		return nil, since, err
	}
	latest = since
	var rows pgx.Rows
	if since < 0 {
		rows, err = db.pool.Query(ctx, `SELECT t.number, t.record, t.seq FROM dltune_studies s
			LEFT JOIN dltune_trials t ON t.study = s.name WHERE s.name = $1 ORDER BY t.number`, study)
	} else {
		rows, err = db.pool.Query(ctx, `SELECT number, record, seq FROM dltune_trials
			WHERE study = $1 AND seq > $2 ORDER BY number`, study, since)
	}
	if err != nil {
		return nil, since, err
	}
	var out []*dltune.Trial
	found := false
	var number *int
	var rec []byte
	var seq *int64
	_, err = pgx.ForEachRow(rows, []any{&number, &rec, &seq}, func() error {
		found = true
		if number == nil {
			return nil
		}
		t, err := decodeTrial(rec, *number)
		if err != nil {
			return err
		}
		out = append(out, t)
		latest = max(latest, *seq)
		return nil
	})
	if err != nil {
		return nil, since, err
	}
	if since < 0 && !found {
		return nil, since, dltune.ErrNotFound
	}
	return out, latest, nil
}

// Reserve returns a number for a new trial of the study that no other
// trial has or will be given. A reserved number that Start never uses is
// a gap in the numbering. It is safe for concurrent use.
func (db *DB) Reserve(ctx context.Context, study string) (n int, err error) {
	defer db.wrap(&err, "study %q reserve a trial number", study)
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	err = db.pool.QueryRow(ctx, `UPDATE dltune_studies SET next_trial = next_trial + 1 WHERE name = $1 RETURNING next_trial - 1`, study).Scan(&n)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, dltune.ErrNotFound
	}
	return n, err
}

// Start stores t, numbered t.Number from Reserve, as a new trial held by
// this DB, if fewer than budget trials of the study were started: the
// count and the insert are one transaction, so the budget is never
// overshot however many workers start trials at once. Otherwise it stores
// nothing and returns false. It is safe for concurrent use.
func (db *DB) Start(ctx context.Context, study string, t *dltune.Trial, budget int) (ok bool, err error) {
	defer db.wrap(&err, "study %q start trial %d", study, t.Number)
	rec, err := store.EncodeTrial(t, t.Number)
	if err != nil {
		return false, fmt.Errorf("encode: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return false, err
	}
	// One statement, one round trip: the count and the insert commit
	// together or not at all.
	var n int
	err = db.pool.QueryRow(ctx, `WITH s AS (
			UPDATE dltune_studies SET started = started + 1, seq = seq + 1
			WHERE name = $1 AND started < $7 AND next_trial > $2 AND $2 >= 0 RETURNING seq
		), i AS (
			INSERT INTO dltune_trials (study, number, state, record, seq, owner, expires)
			SELECT $1, $2, $3::smallint, $4, s.seq, $5, CASE WHEN $3::smallint = 1 THEN now() + $6::interval END FROM s
			RETURNING number
		)
		SELECT count(*) FROM i`, study, t.Number, int16(t.State), rec, db.owner, db.lease, budget).Scan(&n)
	if err != nil || n == 1 {
		return n == 1 && err == nil, err
	}
	// Why not: no study, a number not reserved, or the budget used.
	var next *int
	err = db.pool.QueryRow(ctx, `SELECT next_trial FROM dltune_studies WHERE name = $1`, study).Scan(&next)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return false, dltune.ErrNotFound
	case err != nil:
		return false, err
	case t.Number < 0 || t.Number >= *next:
		return false, fmt.Errorf("number %d was not reserved", t.Number)
	}
	return false, nil
}

// Claim changes trial number if it is stored in state from, in one
// transaction: it locks the trial's row (skipping it, and returning false,
// if another worker has it locked), calls change with the stored trial
// and whether it has a checkpoint, and stores the result, held by this DB
// if it is Running, deleting the checkpoint if it is finished and the
// weights if it has no epoch (it restarts from scratch). It returns
// the stored trial, its checkpoint if it is now Running, and false if the
// trial was not in state from or is held by another live worker. So a
// paused trial is promoted, or an interrupted one continued, by exactly
// one worker. It is safe for concurrent use.
func (db *DB) Claim(ctx context.Context, study string, number int, from dltune.State, change func(t *dltune.Trial, checkpoint bool)) (t *dltune.Trial, ckpt []byte, ok bool, err error) {
	defer db.wrap(&err, "study %q claim trial %d", study, number)
	if err := ctx.Err(); err != nil {
		return nil, nil, false, err
	}
	err = pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var seq int64
		err := tx.QueryRow(ctx, `UPDATE dltune_studies SET seq = seq + 1 WHERE name = $1 RETURNING seq`, study).Scan(&seq)
		if errors.Is(err, pgx.ErrNoRows) {
			return dltune.ErrNotFound
		} else if err != nil {
			return err
		}
		var state int16
		var rec []byte
		var has bool
		err = tx.QueryRow(ctx, `SELECT t.state, t.record, EXISTS (SELECT 1 FROM dltune_checkpoints c WHERE c.study = t.study AND c.number = t.number)
			FROM dltune_trials t WHERE t.study = $1 AND t.number = $2 AND (t.state <> 1 OR t.expires < now() OR t.owner = $3)
			FOR UPDATE OF t SKIP LOCKED`, study, number, db.owner).Scan(&state, &rec, &has)
		if errors.Is(err, pgx.ErrNoRows) || err == nil && state != int16(from) {
			return errNoClaim // roll back
		} else if err != nil {
			return err
		}
		if t, err = decodeTrial(rec, number); err != nil {
			return err
		}
		change(t, has)
		if t.Number != number {
			return fmt.Errorf("change renumbered it %d", t.Number)
		}
		if rec, err = store.EncodeTrial(t, number); err != nil {
			return fmt.Errorf("encode: %w", err)
		}
		_, err = tx.Exec(ctx, `UPDATE dltune_trials SET state = $3::smallint, record = $4, seq = $5,
				owner = $6, expires = CASE WHEN $3::smallint = 1 THEN now() + $7::interval END
			WHERE study = $1 AND number = $2`, study, number, int16(t.State), rec, seq, db.owner, db.lease)
		if err != nil {
			return err
		}
		switch {
		case t.State.Finished():
			_, err = tx.Exec(ctx, `DELETE FROM dltune_checkpoints WHERE study = $1 AND number = $2`, study, number)
		case t.State == dltune.Running && has:
			err = tx.QueryRow(ctx, `SELECT data FROM dltune_checkpoints WHERE study = $1 AND number = $2`, study, number).Scan(&ckpt)
			if ckpt == nil {
				ckpt = []byte{}
			}
		}
		if err == nil && len(t.Curve) == 0 {
			// Restarted from scratch: no epoch for weights to describe.
			_, err = tx.Exec(ctx, `DELETE FROM dltune_weights WHERE study = $1 AND number = $2`, study, number)
		}
		if err != nil {
			return err
		}
		ok = true
		return nil
	})
	if errors.Is(err, errNoClaim) {
		return nil, nil, false, nil
	}
	if err != nil {
		return nil, nil, false, err
	}
	return t, ckpt, true, nil
}

// errNoClaim rolls back a claim of a trial that cannot be claimed.
var errNoClaim = errors.New("not claimed")

// Expire changes, with change, the study's running trials whose hold
// expired by the server's clock (their worker stopped renewing it), in one
// transaction, and returns how many it changed. change, given the worker
// that held the trial and when its hold expired, must make the trial
// Interrupted or finished; a finished one loses its checkpoint. Workers
// call it as they poll: whichever notices first changes a trial, and any
// worker may then continue it from its checkpoint. It is safe for
// concurrent use.
func (db *DB) Expire(ctx context.Context, study string, change func(t *dltune.Trial, holder string, expired time.Time)) (n int, err error) {
	defer db.wrap(&err, "study %q expire trials", study)
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	// Most calls find nothing: look before taking the study's lock.
	var stale0 bool
	err = db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM dltune_trials WHERE study = $1 AND state = $2 AND expires < now())`, study, running).Scan(&stale0)
	if err != nil || !stale0 {
		return 0, err
	}
	err = pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		n = 0
		var seq int64
		if err := tx.QueryRow(ctx, `UPDATE dltune_studies SET seq = seq + 1 WHERE name = $1 RETURNING seq`, study).Scan(&seq); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT number, record, owner, expires FROM dltune_trials
			WHERE study = $1 AND state = $2 AND expires < now() ORDER BY number FOR UPDATE SKIP LOCKED`, study, running)
		if err != nil {
			return err
		}
		var stale []*dltune.Trial
		var number int
		var rec []byte
		var owner *string
		var expires time.Time
		_, err = pgx.ForEachRow(rows, []any{&number, &rec, &owner, &expires}, func() error {
			t, err := decodeTrial(rec, number)
			if err != nil {
				return err
			}
			holder := ""
			if owner != nil {
				holder = *owner
			}
			change(t, holder, expires)
			if t.State != dltune.Interrupted && !t.State.Finished() {
				return fmt.Errorf("trial %d: expiring made it %s", t.Number, t.State)
			}
			stale = append(stale, t)
			return nil
		})
		if err != nil {
			return err
		}
		for _, t := range stale {
			rec, err := store.EncodeTrial(t, t.Number)
			if err != nil {
				return fmt.Errorf("trial %d: encode: %w", t.Number, err)
			}
			if _, err := tx.Exec(ctx, `UPDATE dltune_trials SET state = $3::smallint, record = $4, seq = $5, owner = '', expires = NULL
				WHERE study = $1 AND number = $2`, study, t.Number, int16(t.State), rec, seq); err != nil {
				return err
			}
			if t.State.Finished() {
				if _, err := tx.Exec(ctx, `DELETE FROM dltune_checkpoints WHERE study = $1 AND number = $2`, study, t.Number); err != nil {
					return err
				}
			}
		}
		n = len(stale)
		return nil
	})
	return n, err
}
