package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/jackc/pgx/v5"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/store"
)

// The states as stored in the state column.
const (
	running = int16(dltune.Running)
)

// CreateTrial stores t as a new trial of the study and sets t.Number to
// its number: the study's next number, taken and raised in the
// transaction that stores the trial, under the study row's lock, so that
// numbers increase in the order trials are created and are never given
// twice, whatever number of processes create trials at once. A Running
// trial is held by this DB. t.Number is set only on success. It fails
// with an error matching dltune.ErrNotFound if there is no such study.
// It is safe for concurrent use.
func (db *DB) CreateTrial(ctx context.Context, study string, t *dltune.Trial) (err error) {
	defer db.wrap(&err, "study %q new trial", study)
	if err := ctx.Err(); err != nil {
		return err
	}
	var n int
	err = pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var seq int64
		err := tx.QueryRow(ctx, `UPDATE dltune_studies SET next_trial = next_trial + 1, started = started + 1, seq = seq + 1
			WHERE name = $1 RETURNING next_trial - 1, seq`, study).Scan(&n, &seq)
		if errors.Is(err, pgx.ErrNoRows) {
			return dltune.ErrNotFound
		} else if err != nil {
			return err
		}
		return db.insert(ctx, tx, study, t, n, seq)
	})
	if err != nil {
		return err
	}
	t.Number = n
	return nil
}

// insert stores t as trial n, changed in change seq, held by this DB if
// it is running.
func (db *DB) insert(ctx context.Context, tx pgx.Tx, study string, t *dltune.Trial, n int, seq int64) error {
	rec, err := store.EncodeTrial(t, n)
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	_, err = tx.Exec(ctx, `INSERT INTO dltune_trials (study, number, state, record, seq, owner, expires)
		VALUES ($1, $2, $3::smallint, $4, $5, $6, CASE WHEN $3::smallint = 1 THEN now() + $7::interval END)`,
		study, n, int16(t.State), rec, seq, db.owner, db.lease)
	return err
}

// UpdateTrial replaces the stored record of trial t.Number. When t is
// finished (Complete, Pruned or Failed) its checkpoint is deleted in the
// same statement, and when it has no epoch (it restarts from scratch) its
// weights. A Running trial is held by this DB, any other is held
// by none. It fails with an error matching dltune.ErrNotFound if the
// study or trial does not exist, and dltune.ErrLost if another DB holds
// the trial. It is safe for concurrent use.
func (db *DB) UpdateTrial(ctx context.Context, study string, t *dltune.Trial) (err error) {
	defer db.wrap(&err, "study %q trial %d", study, t.Number)
	rec, err := store.EncodeTrial(t, t.Number)
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	n, err := db.updateTrial(ctx, db.pool, study, t, rec)
	if err != nil {
		return err
	}
	if n == 0 {
		return db.missing(ctx, study, t.Number)
	}
	return nil
}

// updateTrial replaces, with q (the pool or a transaction), the record of
// trial t.Number with rec, deleting its checkpoint when t is finished and
// its weights when t has no epoch, as UpdateTrial documents. It returns
// the number of trials changed: 0 if the trial does not exist or another
// DB holds it.
func (db *DB) updateTrial(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, study string, t *dltune.Trial, rec []byte) (int, error) {
	var n int
	err := q.QueryRow(ctx, `WITH s AS (
			UPDATE dltune_studies SET seq = seq + 1 WHERE name = $1 RETURNING seq
		), u AS (
			UPDATE dltune_trials t SET state = $3::smallint, record = $4, seq = s.seq,
				owner = $6, expires = CASE WHEN $3::smallint = 1 THEN now() + $7::interval END
			FROM s WHERE t.study = $1 AND t.number = $2 AND (t.owner IS NULL OR t.owner = $6) RETURNING t.number
		), d AS (
			DELETE FROM dltune_checkpoints c USING u WHERE $5 AND c.study = $1 AND c.number = u.number
		), w AS (
			DELETE FROM dltune_weights w USING u WHERE $8 AND w.study = $1 AND w.number = u.number
		)
		SELECT count(*) FROM u`, study, t.Number, int16(t.State), rec, t.State.Finished(), db.owner, db.lease, len(t.Curve) == 0).Scan(&n)
	return n, err
}

// SaveCheckpoint replaces the record of trial t.Number and its checkpoint
// in one statement, so that the stored curve and checkpoint always agree.
// A trial keeps one checkpoint, its latest. It fails with an error
// matching dltune.ErrNotFound if the study or trial does not exist,
// dltune.ErrLost if another DB holds the trial, and an error if t is
// finished. It is safe for concurrent use.
func (db *DB) SaveCheckpoint(ctx context.Context, study string, t *dltune.Trial, checkpoint []byte) (err error) {
	defer db.wrap(&err, "study %q trial %d: save checkpoint", study, t.Number)
	if t.State.Finished() {
		return fmt.Errorf("trial is %s", t.State)
	}
	rec, err := store.EncodeTrial(t, t.Number)
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if checkpoint == nil {
		checkpoint = []byte{}
	}
	var n int
	err = db.pool.QueryRow(ctx, `WITH s AS (
			UPDATE dltune_studies SET seq = seq + 1 WHERE name = $1 RETURNING seq
		), u AS (
			UPDATE dltune_trials t SET state = $3::smallint, record = $4, seq = s.seq,
				owner = $6, expires = CASE WHEN $3::smallint = 1 THEN now() + $7::interval END
			FROM s WHERE t.study = $1 AND t.number = $2 AND (t.owner IS NULL OR t.owner = $6) RETURNING t.number
		), c AS (
			INSERT INTO dltune_checkpoints (study, number, data) SELECT $1, number, $5 FROM u
			ON CONFLICT (study, number) DO UPDATE SET data = EXCLUDED.data
		)
		SELECT count(*) FROM u`, study, t.Number, int16(t.State), rec, checkpoint, db.owner, db.lease).Scan(&n)
	if err != nil {
		return err
	}
	if n == 0 {
		return db.missing(ctx, study, t.Number)
	}
	return nil
}

// SaveWeights replaces, in one transaction, the record of trial t.Number,
// its checkpoint and its weights, then deletes the weights that
// dltune.DropWeights drops to keep those of keep trials, ranked as a
// leaderboard ranks them, so that the stored curve, checkpoint and
// weights always agree and the weights kept are bounded. The study row's lock, which every change of
// the study's trials takes, orders concurrent SaveWeights, so workers
// saving at once keep exactly keep. When t is finished its checkpoint is
// deleted and checkpoint must be nil; otherwise checkpoint must not be
// nil. w nil deletes the trial's weights. It fails with an error matching
// dltune.ErrNotFound if the study or trial does not exist, and
// dltune.ErrLost if another DB holds the trial. It is safe for concurrent
// use.
func (db *DB) SaveWeights(ctx context.Context, study string, t *dltune.Trial, checkpoint []byte, w *dltune.Weights, keep int) (err error) {
	defer db.wrap(&err, "study %q trial %d: save weights", study, t.Number)
	switch finished := t.State.Finished(); {
	case finished && checkpoint != nil:
		return fmt.Errorf("a checkpoint for a trial that is %s", t.State)
	case !finished && checkpoint == nil:
		return fmt.Errorf("no checkpoint for a trial that is %s", t.State)
	}
	if w != nil {
		if err := w.Check(); err != nil {
			return err
		}
	}
	rec, err := store.EncodeTrial(t, t.Number)
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	var n int
	err = pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		// A finished trial, which alone has no checkpoint here, loses its
		// checkpoint in updateTrial's statement.
		var err error
		n, err = db.updateTrial(ctx, tx, study, t, rec)
		if err != nil || n == 0 {
			return err // for n == 0, missing, below, says why
		}
		if checkpoint != nil {
			_, err = tx.Exec(ctx, `INSERT INTO dltune_checkpoints (study, number, data) VALUES ($1, $2, $3)
				ON CONFLICT (study, number) DO UPDATE SET data = EXCLUDED.data`, study, t.Number, checkpoint)
			if err != nil {
				return fmt.Errorf("checkpoint: %w", err)
			}
		}
		if w != nil {
			_, err = tx.Exec(ctx, `INSERT INTO dltune_weights (study, number, epoch, loss, model) VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (study, number) DO UPDATE SET epoch = EXCLUDED.epoch, loss = EXCLUDED.loss, model = EXCLUDED.model`,
				study, t.Number, w.Epoch, w.Loss, w.Model)
		} else {
			_, err = tx.Exec(ctx, `DELETE FROM dltune_weights WHERE study = $1 AND number = $2`, study, t.Number)
		}
		if err != nil {
			return fmt.Errorf("weights: %w", err)
		}
		if err := dropWeights(ctx, tx, study, keep); err != nil {
			return fmt.Errorf("drop weights: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if n == 0 {
		return db.missing(ctx, study, t.Number)
	}
	return nil
}

// dropWeights deletes, in tx, the weights of the study that
// dltune.DropWeights drops, keeping those of keep trials. It reads the
// record of each trial that has weights: keep, and those of trials not
// finished. The caller holds the study row's lock, so the trials' states
// cannot change under it.
func dropWeights(ctx context.Context, tx pgx.Tx, study string, keep int) error {
	rows, err := tx.Query(ctx, `SELECT w.number, w.loss, t.record FROM dltune_weights w
		JOIN dltune_trials t ON t.study = w.study AND t.number = w.number WHERE w.study = $1`, study)
	if err != nil {
		return err
	}
	var held []dltune.HeldWeights
	for rows.Next() {
		var h dltune.HeldWeights
		var rec []byte
		if err := rows.Scan(&h.Trial, &h.Loss, &rec); err != nil {
			rows.Close()
			return err
		}
		t, err := store.DecodeTrialSummary(rec)
		if err != nil {
			rows.Close()
			return fmt.Errorf("trial %d: %w", h.Trial, err)
		}
		h.State, h.Epochs = t.State, t.Epochs()
		held = append(held, h)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	drop := dltune.DropWeights(held, keep)
	if len(drop) == 0 {
		return nil
	}
	_, err = tx.Exec(ctx, `DELETE FROM dltune_weights WHERE study = $1 AND number = ANY($2)`, study, drop)
	return err
}

// Weights returns the weights of trial number, or an error matching
// dltune.ErrNotFound if the study or trial does not exist or the trial
// has none. It is safe for concurrent use.
func (db *DB) Weights(ctx context.Context, study string, number int) (_ *dltune.Weights, err error) {
	defer db.wrap(&err, "study %q trial %d weights", study, number)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	w := &dltune.Weights{}
	err = db.pool.QueryRow(ctx, `SELECT epoch, loss, model FROM dltune_weights WHERE study = $1 AND number = $2`,
		study, number).Scan(&w.Epoch, &w.Loss, &w.Model)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, dltune.ErrNotFound
	} else if err != nil {
		return nil, err
	}
	if err := w.Check(); err != nil {
		return nil, fmt.Errorf("%w: %w", store.ErrCorrupt, err)
	}
	return w, nil
}

// WeightsHead returns the epoch and loss of trial number's weights, with
// Model nil, or an error matching dltune.ErrNotFound as Weights does. It
// reads two columns, never the model. It is safe for concurrent use.
func (db *DB) WeightsHead(ctx context.Context, study string, number int) (_ *dltune.Weights, err error) {
	defer db.wrap(&err, "study %q trial %d weights", study, number)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	w := &dltune.Weights{}
	err = db.pool.QueryRow(ctx, `SELECT epoch, loss FROM dltune_weights WHERE study = $1 AND number = $2`,
		study, number).Scan(&w.Epoch, &w.Loss)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, dltune.ErrNotFound
	} else if err != nil {
		return nil, err
	}
	if w.Epoch < 1 || math.IsNaN(w.Loss) || math.IsInf(w.Loss, 0) {
		return nil, fmt.Errorf("%w: weights of epoch %d, loss %v", store.ErrCorrupt, w.Epoch, w.Loss)
	}
	return w, nil
}

// missing explains why a change of trial number changed nothing: the
// trial does not exist (dltune.ErrNotFound) or another DB holds it
// (dltune.ErrLost).
func (db *DB) missing(ctx context.Context, study string, number int) error {
	var owner *string
	err := db.pool.QueryRow(ctx, `SELECT owner FROM dltune_trials WHERE study = $1 AND number = $2`, study, number).Scan(&owner)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return dltune.ErrNotFound
	case err != nil:
		return err
	case owner != nil && *owner == "":
		return fmt.Errorf("%w: this worker's hold on it expired", dltune.ErrLost)
	case owner != nil && *owner != db.owner:
		return fmt.Errorf("%w: %s has it now", dltune.ErrLost, *owner)
	}
	return fmt.Errorf("%w: it changed meanwhile", dltune.ErrLost)
}

// Checkpoint returns the last checkpoint of trial number, or an error
// matching dltune.ErrNotFound if the study or trial does not exist or the
// trial has none. It is safe for concurrent use.
func (db *DB) Checkpoint(ctx context.Context, study string, number int) (_ []byte, err error) {
	defer db.wrap(&err, "study %q trial %d checkpoint", study, number)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var data []byte
	err = db.pool.QueryRow(ctx, `SELECT data FROM dltune_checkpoints WHERE study = $1 AND number = $2`, study, number).Scan(&data)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, dltune.ErrNotFound
	} else if err != nil {
		return nil, err
	}
	if data == nil {
		data = []byte{}
	}
	return data, nil
}

// Trial returns trial number of the study, or an error matching
// dltune.ErrNotFound. It is safe for concurrent use.
func (db *DB) Trial(ctx context.Context, study string, number int) (_ *dltune.Trial, err error) {
	defer db.wrap(&err, "study %q trial %d", study, number)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var rec []byte
	err = db.pool.QueryRow(ctx, `SELECT record FROM dltune_trials WHERE study = $1 AND number = $2`, study, number).Scan(&rec)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, dltune.ErrNotFound
	} else if err != nil {
		return nil, err
	}
	return decodeTrial(rec, number)
}

// Trials returns the study's trials by ascending number, or an error
// matching dltune.ErrNotFound if there is no such study. It reads one
// consistent snapshot. It is safe for concurrent use.
func (db *DB) Trials(ctx context.Context, study string) ([]*dltune.Trial, error) {
	return db.trials(ctx, study, store.DecodeTrial)
}

// TrialSummaries returns the study's trials as Trials does, without their
// events, errors, filters and per-layer diagnostics, which it does not
// decode. It
// is safe for concurrent use.
func (db *DB) TrialSummaries(ctx context.Context, study string) ([]*dltune.Trial, error) {
	return db.trials(ctx, study, store.DecodeTrialSummary)
}

func (db *DB) trials(ctx context.Context, study string, decode func([]byte) (*dltune.Trial, error)) (_ []*dltune.Trial, err error) {
	defer db.wrap(&err, "study %q trials", study)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// One statement is one snapshot; the join tells a study without
	// trials (one row of nulls) from no study (no row).
	rows, err := db.pool.Query(ctx, `SELECT t.number, t.record FROM dltune_studies s
		LEFT JOIN dltune_trials t ON t.study = s.name WHERE s.name = $1 ORDER BY t.number`, study)
	if err != nil {
		return nil, err
	}
	var out []*dltune.Trial
	found := false
	var number *int
	var rec []byte
	_, err = pgx.ForEachRow(rows, []any{&number, &rec}, func() error {
		found = true
		if number == nil {
			return nil
		}
		t, err := decodeWith(decode, rec, *number)
		if err != nil {
			return err
		}
		out = append(out, t)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, dltune.ErrNotFound
	}
	return out, nil
}

// decodeTrial decodes the record of trial number.
func decodeTrial(rec []byte, number int) (*dltune.Trial, error) {
	return decodeWith(store.DecodeTrial, rec, number)
}

// decodeWith decodes the record of trial number with decode.
func decodeWith(decode func([]byte) (*dltune.Trial, error), rec []byte, number int) (*dltune.Trial, error) {
	t, err := decode(rec)
	if err != nil {
		return nil, fmt.Errorf("trial %d: %w", number, err)
	}
	if t.Number != number {
		return nil, fmt.Errorf("trial %d: %w: record has number %d", number, store.ErrCorrupt, t.Number)
	}
	return t, nil
}

// ImportTrial stores t, with its checkpoint if not nil, as trial t.Number
// of the study, keeping its number, held by no worker: a study copied from
// another store keeps its numbers, from which its trials' seeds derive.
// Numbers later reserved follow the largest imported, and the trial
// counts against the budget. It fails with an error matching
// dltune.ErrExists if the study has a trial of that number, and
// dltune.ErrNotFound if there is no such study. It is safe for concurrent
// use.
func (db *DB) ImportTrial(ctx context.Context, study string, t *dltune.Trial, checkpoint []byte) (err error) {
	defer db.wrap(&err, "study %q import trial %d", study, t.Number)
	if t.Number < 0 {
		return errors.New("negative number")
	}
	rec, err := store.EncodeTrial(t, t.Number)
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var seq int64
		err := tx.QueryRow(ctx, `UPDATE dltune_studies SET next_trial = greatest(next_trial, $2 + 1), started = started + 1, seq = seq + 1
			WHERE name = $1 RETURNING seq`, study, t.Number).Scan(&seq)
		if errors.Is(err, pgx.ErrNoRows) {
			return dltune.ErrNotFound
		} else if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO dltune_trials (study, number, state, record, seq) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (study, number) DO NOTHING`, study, t.Number, int16(t.State), rec, seq)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return dltune.ErrExists
		}
		if checkpoint != nil && !t.State.Finished() {
			_, err = tx.Exec(ctx, `INSERT INTO dltune_checkpoints (study, number, data) VALUES ($1, $2, $3)`, study, t.Number, checkpoint)
		}
		return err
	})
}
