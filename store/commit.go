package store

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"

	bolt "go.etcd.io/bbolt"
)

// A change is one state change waiting to be committed.
type change struct {
	// fn applies the change in a write transaction. It may be called more
	// than once, each time in a new transaction (when another change in
	// its group fails), so it must depend only on its inputs and the
	// transaction.
	fn  func(*bolt.Tx) error
	err error
	// wake is closed once: when the change is committed (or failed), or
	// when its caller is to lead the next group commit (lead is then set).
	wake chan struct{}
	lead bool
}

// errSkip aborts a group's transaction after one change failed.
var errSkip = errors.New("skip")

// update applies fn as one atomic change in a write transaction.
//
// Changes that arrive while a transaction commits are queued and committed
// together in the next one: group commit, with no added delay for a lone
// writer (unlike bbolt's DB.Batch, which waits for a timer). The caller
// whose change starts a group runs its transaction; afterwards it hands
// the lead to the first queued caller, so that no caller works for others
// indefinitely. A change that fails is dropped from its group and the
// others are retried without it, so one change's error never undoes
// another's.
//
// ctx is checked before the change is queued; once queued, a change runs
// to completion, so that a caller never sees an error for a change that
// was made.
func (db *DB) update(ctx context.Context, fn func(*bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if db.readOnly {
		return fmt.Errorf("store %s: %w", db.path, ErrReadOnly)
	}
	if db.broken.Load() {
		return fmt.Errorf("store %s: %w", db.path, ErrCorrupt)
	}
	c := &change{fn: fn, wake: make(chan struct{})}
	db.mu.Lock()
	db.queue = append(db.queue, c)
	lead := !db.leading
	db.leading = true
	db.mu.Unlock()
	if !lead {
		<-c.wake
		if !c.lead {
			return c.err
		}
	}

	// Lead: commit everything queued, this change included.
	db.mu.Lock()
	group := db.queue
	db.queue = nil
	db.mu.Unlock()
	db.commit(group)
	for _, g := range group {
		if g != c {
			close(g.wake)
		}
	}
	db.mu.Lock()
	if len(db.queue) > 0 {
		next := db.queue[0]
		next.lead = true
		close(next.wake)
	} else {
		db.leading = false
	}
	db.mu.Unlock()
	return c.err
}

// commit applies the changes of group in one write transaction and sets
// each change's err. It never panics.
func (db *DB) commit(group []*change) {
	for len(group) > 0 {
		failed := -1
		err := db.tryCommit(group, &failed)
		if failed >= 0 {
			// Drop the failed change and retry the others.
			group = append(group[:failed:failed], group[failed+1:]...)
			continue
		}
		if err != nil {
			err = db.boltErr(err)
		}
		for _, c := range group {
			c.err = err
		}
		return
	}
}

// tryCommit runs one transaction for commit. If a change fails, it records
// the change's error, sets *failed to its index and rolls back.
func (db *DB) tryCommit(group []*change, failed *int) (err error) {
	defer func() {
		if r := recover(); r != nil {
			// bbolt panics on damaged pages; its write state is suspect.
			db.broken.Store(true)
			err = fmt.Errorf("%w: %v", ErrCorrupt, r)
			*failed = -1
		}
	}()
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	err = db.bdb.Update(func(tx *bolt.Tx) error {
		for i, c := range group {
			if err := c.fn(tx); err != nil {
				c.err = err
				*failed = i
				return errSkip
			}
		}
		return nil
	})
	if err == nil {
		db.commits.Add(1)
	}
	return err
}
