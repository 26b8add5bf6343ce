package studyfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// CheckDataRoot reports the data files of s that lie outside the
// directory root once relative paths and symbolic links are resolved, as
// an ErrorList naming each field and file. A study file may name any file
// its user can read, and a message about bad data may quote a little of
// it; running someone else's study file under a data root keeps it to the
// files meant for it. A file that does not exist yet is judged by the
// directories above it that do.
//
// The check and the later opening of the file are two steps: a link
// changed in between is not caught. It is safe for concurrent use.
func (s *Spec) CheckDataRoot(root string) error {
	dir, err := realPath(root)
	if err != nil {
		return fmt.Errorf("data root: %w", err)
	}
	if fi, err := os.Stat(dir); err != nil {
		return fmt.Errorf("data root: %w", err)
	} else if !fi.IsDir() {
		return fmt.Errorf("data root %s: not a directory", root)
	}
	r := reporter{file: s.File}
	for _, pos := range s.pathPos {
		path := s.dataPath(pos.field)
		if path == "" {
			continue
		}
		real, err := realPath(path)
		if err != nil {
			r.add(pos.line, pos.col, pos.field, "data file %q: %v", path, err)
			continue
		}
		if !within(dir, real) {
			via := ""
			if abs, err := filepath.Abs(path); err == nil && abs != real {
				via = fmt.Sprintf(" (it resolves to %q)", real)
			}
			r.add(pos.line, pos.col, pos.field, "data file %q is outside the data root %q%s", path, root, via)
		}
	}
	return r.err()
}

// dataPath returns the resolved path of the data field named field.
func (s *Spec) dataPath(field string) string {
	switch field {
	case "data.train.images":
		return s.Data.Images
	case "data.train.labels":
		return s.Data.Labels
	case "data.csv.path":
		return s.Data.CSV
	case "data.test.images", "data.test.path":
		if len(s.Data.Test) > 0 {
			return s.Data.Test[0]
		}
	case "data.test.labels":
		if len(s.Data.Test) > 1 {
			return s.Data.Test[1]
		}
	}
	return ""
}

// realPath returns path made absolute with every symbolic link resolved.
// Of a path that does not exist, it resolves the longest part that does.
func realPath(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	var rest []string
	for p := abs; ; {
		real, err := filepath.EvalSymlinks(p)
		if err == nil {
			return filepath.Join(append([]string{real}, rest...)...), nil
		}
		parent := filepath.Dir(p)
		if !errors.Is(err, fs.ErrNotExist) || parent == p {
			return "", err
		}
		rest = append([]string{filepath.Base(p)}, rest...)
		p = parent
	}
}

// within reports whether path is dir or lies below it; both are clean
// absolute paths.
func within(dir, path string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// CheckTestData reports the files of data.test that cannot be opened as
// files (missing, a directory, unreadable), as an ErrorList naming each
// field and file. No trial reads them, so without this check a mistyped
// test file would be found only by dltune evaluate, after the study.
// It is safe for concurrent use.
func (s *Spec) CheckTestData() error {
	r := reporter{file: s.File}
	for _, pos := range s.pathPos {
		if !strings.HasPrefix(pos.field, "data.test.") {
			continue
		}
		path := s.dataPath(pos.field)
		if path == "" {
			continue
		}
		f, err := os.Open(path)
		if err == nil {
			var fi fs.FileInfo
			fi, err = f.Stat()
			f.Close()
			if err == nil && fi.IsDir() {
				r.add(pos.line, pos.col, pos.field, "test file %q is a directory", path)
			}
		}
		var pe *fs.PathError
		switch {
		case errors.Is(err, fs.ErrNotExist):
			r.add(pos.line, pos.col, pos.field, "test file %q does not exist", path)
		case errors.As(err, &pe):
			r.add(pos.line, pos.col, pos.field, "test file %q: %v", path, pe.Err)
		case err != nil:
			r.add(pos.line, pos.col, pos.field, "test file %q: %v", path, err)
		}
	}
	return r.err()
}
