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
	"strings"
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
