package dashboard

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
)

// The static files: the pages' style sheet and scripts, and the vendored
// uPlot (static/uplot, see its README.md) with its licence.
//
//go:embed static/*.css static/*.js static/uplot/*.css static/uplot/*.js static/uplot/LICENSE
var staticFS embed.FS

// An asset is a static file as served.
type asset struct {
	data    []byte
	gzipped []byte // nil when gzip would not make it smaller
	ctype   string
	version string // the start of the hex SHA-256 of data
}

// assets are the static files by path under static/, read once: the
// binary holds them, so they never change while it runs.
var assets = func() map[string]*asset {
	m := map[string]*asset{}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		a := &asset{data: data, ctype: contentType(p), version: hex.EncodeToString(sum[:8])}
		if z := compress(data, gzip.BestCompression); len(z) < len(data)*9/10 {
			a.gzipped = z
		}
		m[strings.TrimPrefix(p, "static/")] = a
		return nil
	})
	if err != nil {
		panic("dashboard: reading the embedded static files: " + err.Error())
	}
	return m
}()

func contentType(p string) string {
	switch path.Ext(p) {
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	}
	return "text/plain; charset=utf-8"
}

// staticURL returns the path of the static file name with its version in
// the query, so that a page asks for the bytes of the binary serving it
// and the browser may cache them for good. It panics on a name with no
// file: a template names only files that exist.
func staticURL(name string) string {
	a, ok := assets[name]
	if !ok {
		panic("dashboard: no static file " + name)
	}
	return "/static/" + name + "?v=" + a.version
}

// static serves a static file. Asked for at its version, it may be cached
// for a year; asked for otherwise (an old page after an upgrade), it must
// be revalidated.
func (h *Handler) static(w http.ResponseWriter, r *http.Request) {
	a, ok := assets[r.PathValue("file")]
	if !ok {
		h.fail(w, http.StatusNotFound, "no file at "+r.URL.Path)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", a.ctype)
	hd.Set("ETag", `"`+a.version+`"`)
	hd.Set("Vary", "Accept-Encoding")
	if r.URL.Query().Get("v") == a.version {
		hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		hd.Set("Cache-Control", "no-cache")
	}
	if match := r.Header.Get("If-None-Match"); match != "" && strings.Contains(match, `"`+a.version+`"`) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	data := a.data
	if a.gzipped != nil && acceptsGzip(r) {
		hd.Set("Content-Encoding", "gzip")
		data = a.gzipped
	}
	hd.Set("Content-Length", strconv.Itoa(len(data)))
	w.Write(data)
}

// writeBody writes data, gzipped when the client takes it and data is big
// enough to gain: SVG plots and JSON shrink four to tenfold.
func writeBody(w http.ResponseWriter, r *http.Request, data []byte) {
	hd := w.Header()
	hd.Set("Vary", "Accept-Encoding")
	if len(data) > 1024 && acceptsGzip(r) {
		hd.Set("Content-Encoding", "gzip")
		data = compress(data, gzip.BestSpeed)
	}
	hd.Set("Content-Length", strconv.Itoa(len(data)))
	w.Write(data)
}

// compress returns data gzipped at level: once and best for the static
// files, per response and fast for the pages.
func compress(data []byte, level int) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, level) // only an invalid level fails
	zw.Write(data)                            // a bytes.Buffer does not fail
	zw.Close()
	return buf.Bytes()
}

// acceptsGzip reports whether r accepts a gzip-encoded response.
func acceptsGzip(r *http.Request) bool {
	for _, e := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		name, q, _ := strings.Cut(strings.TrimSpace(e), ";")
		if strings.EqualFold(strings.TrimSpace(name), "gzip") && strings.ReplaceAll(q, " ", "") != "q=0" {
			return true
		}
	}
	return false
}
