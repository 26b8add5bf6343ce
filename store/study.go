package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/dltune/dltune"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// CreateStudy stores s as a new study with empty trial history. It fails
// with an error matching dltune.ErrExists if a study of that name exists.
// It is safe for concurrent use.
func (db *DB) CreateStudy(ctx context.Context, s *dltune.Study) error {
	if err := checkName(s.Name); err != nil {
		return err
	}
	data, err := encodeStudy(s)
	if err != nil {
		return fmt.Errorf("study %q: encode: %w", s.Name, err)
	}
	return db.update(ctx, func(tx *bolt.Tx) error {
		b, err := tx.Bucket(studiesBucket).CreateBucket([]byte(s.Name))
		if errors.Is(err, berrors.ErrBucketExists) {
			return fmt.Errorf("study %q: %w", s.Name, dltune.ErrExists)
		} else if err != nil {
			return fmt.Errorf("study %q: %w", s.Name, err)
		}
		if _, err := b.CreateBucket(trialsBucket); err != nil {
			return fmt.Errorf("study %q: %w", s.Name, err)
		}
		if _, err := b.CreateBucket(checkpointsBucket); err != nil {
			return fmt.Errorf("study %q: %w", s.Name, err)
		}
		return b.Put(studyKey, data)
	})
}

// UpdateStudy replaces the record of the study named s.Name (its spec, file
// and creation time); its trials are unchanged. It fails with an error
// matching dltune.ErrNotFound if there is no such study. It is safe for
// concurrent use.
func (db *DB) UpdateStudy(ctx context.Context, s *dltune.Study) error {
	data, err := encodeStudy(s)
	if err != nil {
		return fmt.Errorf("study %q: encode: %w", s.Name, err)
	}
	return db.update(ctx, func(tx *bolt.Tx) error {
		b, err := studyBucket(tx, s.Name)
		if err != nil {
			return err
		}
		if err := b.Put(studyKey, data); err != nil {
			return err
		}
		return revise(b, s.Name)
	})
}

// Study returns the named study, or an error matching dltune.ErrNotFound.
// It is safe for concurrent use.
func (db *DB) Study(ctx context.Context, name string) (*dltune.Study, error) {
	var s *dltune.Study
	err := db.view(ctx, func(tx *bolt.Tx) error {
		b, err := studyBucket(tx, name)
		if err != nil {
			return err
		}
		s, err = readStudy(b, name)
		return err
	})
	return s, err
}

// Studies returns every study in the store, ordered by name (bytewise). It
// is safe for concurrent use.
func (db *DB) Studies(ctx context.Context) ([]*dltune.Study, error) {
	var studies []*dltune.Study
	err := db.view(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(studiesBucket).ForEachBucket(func(k []byte) error {
			name := string(k)
			s, err := readStudy(tx.Bucket(studiesBucket).Bucket(k), name)
			if err != nil {
				return err
			}
			studies = append(studies, s)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return studies, nil
}

// Revision returns the study's revision: a number that every change of
// the study raises (its record updated; a trial created, updated,
// checkpointed or imported), so that a reader that polls a study (a
// dashboard) learns whether to read it again without reading its trials.
// It reads one bucket's header, whatever the number of trials. It
// fails with an error matching dltune.ErrNotFound if there is no such
// study. A study deleted and created again starts again from 0, and a
// store written by a dltune older than Revision leaves it unchanged. It
// is safe for concurrent use.
func (db *DB) Revision(ctx context.Context, name string) (uint64, error) {
	var rev uint64
	err := db.view(ctx, func(tx *bolt.Tx) error {
		b, err := studyBucket(tx, name)
		if err != nil {
			return err
		}
		rev = b.Sequence()
		return nil
	})
	return rev, err
}

// putTrial stores data as the record of trial n in the study whose bucket
// is b, and revises the study, so that no change of a trial's record
// leaves the study's revision behind.
func putTrial(b *bolt.Bucket, study string, n int, data []byte) error {
	if err := b.Bucket(trialsBucket).Put(trialKey(n), data); err != nil {
		return fmt.Errorf("study %q trial %d: %w", study, n, err)
	}
	return revise(b, study)
}

// revise raises the revision of the study whose bucket is b, in the
// transaction that changes it.
func revise(b *bolt.Bucket, name string) error {
	if _, err := b.NextSequence(); err != nil {
		return fmt.Errorf("study %q revision: %w", name, err)
	}
	return nil
}

// DeleteStudy deletes the named study with all its trials and checkpoints,
// or fails with an error matching dltune.ErrNotFound. The file does not
// shrink; its freed pages are reused. It is safe for concurrent use.
func (db *DB) DeleteStudy(ctx context.Context, name string) error {
	return db.update(ctx, func(tx *bolt.Tx) error {
		err := tx.Bucket(studiesBucket).DeleteBucket([]byte(name))
		if errors.Is(err, berrors.ErrBucketNotFound) || name == "" {
			return fmt.Errorf("study %q: %w", name, dltune.ErrNotFound)
		}
		return err
	})
}

// checkName reports whether name can name a study.
func checkName(name string) error {
	switch {
	case name == "":
		return errors.New("study has no name")
	case len(name) > bolt.MaxKeySize:
		return fmt.Errorf("study name is %d bytes long; the limit is %d", len(name), bolt.MaxKeySize)
	}
	return nil
}

// studyBucket returns the bucket of the named study, or an error matching
// dltune.ErrNotFound.
func studyBucket(tx *bolt.Tx, name string) (*bolt.Bucket, error) {
	var b *bolt.Bucket
	if name != "" && len(name) <= bolt.MaxKeySize {
		b = tx.Bucket(studiesBucket).Bucket([]byte(name))
	}
	if b == nil {
		return nil, fmt.Errorf("study %q: %w", name, dltune.ErrNotFound)
	}
	return b, nil
}

// readStudy decodes the record in study bucket b.
func readStudy(b *bolt.Bucket, name string) (*dltune.Study, error) {
	data := b.Get(studyKey)
	if data == nil {
		return nil, fmt.Errorf("study %q: %w: no study record", name, ErrCorrupt)
	}
	s, err := decodeStudy(data)
	if err != nil {
		return nil, fmt.Errorf("study %q: %w", name, err)
	}
	if s.Name != name {
		return nil, fmt.Errorf("study %q: %w: record names study %q", name, ErrCorrupt, s.Name)
	}
	return s, nil
}
