package core

// This file holds what the data loaders (CSV and IDX) share to read a
// source: gzip detection and the size of what remains to be read.

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"
)

// gunzipIfGzip peeks at br's first two bytes. If they are the gzip magic
// 1F 8B, it returns a gzip reader over br, which the caller closes.
// Otherwise it returns br itself and a nil gzip reader.
func gunzipIfGzip(br *bufio.Reader) (io.Reader, *gzip.Reader, error) {
	magic, err := br.Peek(2)
	if err != nil && err != io.EOF {
		return nil, nil, err
	}
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, fmt.Errorf("gzip header: %w", err)
		}
		return gz, gz, nil
	}
	return br, nil, nil
}

// dataReaderSize returns how many bytes remain in r when that is cheap to
// know (an open regular file, or an in-memory reader), and -1 otherwise.
func dataReaderSize(r io.Reader) int64 {
	switch r := r.(type) {
	case *bytes.Reader:
		return int64(r.Len())
	case *strings.Reader:
		return int64(r.Len())
	case *bytes.Buffer:
		return int64(r.Len())
	case *os.File:
		fi, err := r.Stat()
		if err != nil || !fi.Mode().IsRegular() {
			return -1
		}
		off, err := r.Seek(0, io.SeekCurrent)
		if err != nil || off > fi.Size() {
			return -1
		}
		return fi.Size() - off
	}
	return -1
}

// The loaders' default bounds, used where an options field is 0.
const (
	// DefaultMaxDataBytes bounds the memory a loaded data set may take, and
	// the bytes a loader reads after decompression (4 GiB).
	DefaultMaxDataBytes = 4 << 30
	// DefaultMaxLineBytes bounds the length of one line of a CSV file
	// (16 MiB): wider than any real table's row, and it stops a file with
	// no newline (a path to /dev/zero, a binary file) early.
	DefaultMaxLineBytes = 16 << 20
)

// A limitError reports that a source went past one of the loaders' bounds,
// on the 1-based line.
type limitError struct {
	what  string // "line", "data"
	line  int
	limit int64
}

func (e *limitError) Error() string {
	if e.what == "line" {
		return fmt.Sprintf("line %d: longer than the line length limit of %s; is this a CSV file?", e.line, byteSize(e.limit))
	}
	return fmt.Sprintf("line %d: more data than the size limit of %s", e.line, byteSize(e.limit))
}

// boundedReader reads r, but fails once more than max bytes have been read
// in all, or when a line grows past maxLine bytes (if maxLine > 0). It
// counts lines so that its errors say where the source went wrong.
type boundedReader struct {
	r       io.Reader
	n, max  int64 // bytes read so far, and the bound
	maxLine int64
	line    int   // 1-based number of the line being read
	col     int64 // bytes of that line read so far
	err     error // sticky
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if room := b.max - b.n; room < int64(len(p)) {
		p = p[:room+1] // one byte past the bound is enough to tell
	}
	k, err := b.r.Read(p)
	p = p[:k]
	for i := 0; i < len(p); {
		nl := bytes.IndexByte(p[i:], '\n')
		end := len(p)
		if nl >= 0 {
			end = i + nl
		}
		if b.maxLine > 0 && b.col+int64(end-i) > b.maxLine {
			b.err = &limitError{what: "line", line: b.line, limit: b.maxLine}
			return i, b.err
		}
		b.col += int64(end - i)
		if nl < 0 {
			break
		}
		b.line++
		b.col = 0
		i = end + 1
	}
	b.n += int64(k)
	if b.n > b.max {
		b.err = &limitError{what: "data", line: b.line, limit: b.max}
		return 0, b.err
	}
	return k, err
}

// excerptLen is how many bytes of a data file an error quotes at most.
const excerptLen = 32

// excerpt quotes s as Go would (control characters, invalid UTF-8 and
// other unprintable runes escaped), keeping at most excerptLen bytes of it
// and marking a cut with an ellipsis. Errors quote data files through it,
// so that a file's content reaches a terminal only escaped and short.
func excerpt(s string) string {
	if len(s) <= excerptLen {
		return strconv.Quote(s)
	}
	cut := excerptLen
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + "…"
}

// Bytes is a size in bytes. Its String is the form messages use: exact
// below 1 KiB ("512 bytes"), otherwise in the largest binary unit it
// reaches, with one decimal ("1.5 GiB").
type Bytes int64

func (n Bytes) String() string {
	if n < 1<<10 {
		return fmt.Sprintf("%d bytes", int64(n))
	}
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	v, u := float64(n)/(1<<10), 0
	for v >= 1<<10 && u < len(units)-1 {
		v /= 1 << 10
		u++
	}
	return fmt.Sprintf("%.1f %s", v, units[u])
}

// byteSize formats n bytes for a message.
func byteSize(n int64) string { return Bytes(n).String() }
