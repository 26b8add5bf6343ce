package dashboard

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
)

func TestStatic(t *testing.T) {
	h := New(newStore(t), &Options{Token: "s3cret"})
	auth := func(r *http.Request) { r.Header.Set("Authorization", "Bearer s3cret") }
	files := []struct{ name, ctype string }{
		{"dashboard.css", "text/css; charset=utf-8"},
		{"live.js", "text/javascript; charset=utf-8"},
		{"charts.js", "text/javascript; charset=utf-8"},
		{"uplot/uPlot.iife.min.js", "text/javascript; charset=utf-8"},
		{"uplot/uPlot.min.css", "text/css; charset=utf-8"},
		{"uplot/LICENSE", "text/plain; charset=utf-8"},
	}
	for _, f := range files {
		t.Run(f.name, func(t *testing.T) {
			want, err := os.ReadFile("static/" + f.name)
			if err != nil {
				t.Fatal(err)
			}
			url := staticURL(f.name)
			code, hd, body := get(t, h, url, auth)
			if code != 200 || body != string(want) {
				t.Fatalf("%s: status %d, %d bytes, want 200 and the %d bytes of the file", url, code, len(body), len(want))
			}
			if hd.Get("Content-Type") != f.ctype {
				t.Errorf("Content-Type %q, want %q", hd.Get("Content-Type"), f.ctype)
			}
			if cc := hd.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
				t.Errorf("at its version, Cache-Control %q, want immutable", cc)
			}
			// Another version, say an old page's: to be revalidated.
			_, hd, _ = get(t, h, "/static/"+f.name+"?v=old", auth)
			if cc := hd.Get("Cache-Control"); cc != "no-cache" {
				t.Errorf("at another version, Cache-Control %q, want no-cache", cc)
			}
			code, _, _ = get(t, h, url, auth, func(r *http.Request) { r.Header.Set("If-None-Match", hd.Get("ETag")) })
			if code != http.StatusNotModified {
				t.Errorf("with its ETag, status %d, want 304", code)
			}
			code, hd, body = get(t, h, url, auth, func(r *http.Request) { r.Header.Set("Accept-Encoding", "br, gzip") })
			if code != 200 {
				t.Fatalf("gzip: status %d", code)
			}
			if hd.Get("Content-Encoding") == "gzip" {
				zr, err := gzip.NewReader(strings.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				got, err := io.ReadAll(zr)
				if err != nil || !bytes.Equal(got, want) {
					t.Errorf("gzipped body is not the file (%v)", err)
				}
			} else if len(want) > 4096 {
				t.Errorf("a %d-byte file was sent without gzip to a client that takes it", len(want))
			}
			if code, _, _ := get(t, h, url); code != http.StatusUnauthorized {
				t.Errorf("without the token, status %d, want 401", code)
			}
		})
	}
	for _, path := range []string{"/static/nothing.js", "/static/uplot/README.md", "/static/"} {
		if code, _, _ := get(t, h, path, auth); code != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", path, code)
		}
	}
}

var (
	inlineScript = regexp.MustCompile(`<script(\s[^>]*)?>[^<]`)
	styleAttr    = regexp.MustCompile(`<[^>]+\sstyle=`)
	staticRef    = regexp.MustCompile(`"(/static/[^"]+)"`)
)

// TestPolicy checks that the policy allows only the dashboard's own
// scripts and style sheets, and that the pages need no more: no inline
// script, style element or style attribute, and every static file they
// name is served.
func TestPolicy(t *testing.T) {
	h := New(newStore(t), nil)
	for _, path := range []string{"/", "/study/tiny", "/study/tiny/leaderboard", "/study/tiny/trial/0", "/study/tiny/trial/3", "/study/nope"} {
		_, hd, body := get(t, h, path)
		csp := hd.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: policy %q lacks %q", path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe") || strings.Contains(csp, "sha256-") {
			t.Errorf("%s: policy %q allows inline code", path, csp)
		}
		if m := inlineScript.FindString(body); m != "" {
			t.Errorf("%s holds an inline script: %s", path, m)
		}
		if m := styleAttr.FindString(body); m != "" || strings.Contains(body, "<style") {
			t.Errorf("%s holds inline style: %q", path, m)
		}
		refs := staticRef.FindAllStringSubmatch(body, -1)
		if path != "/study/tiny/leaderboard" && len(refs) == 0 {
			t.Errorf("%s names no static file", path)
		}
		for _, m := range refs {
			if code, _, _ := get(t, h, strings.ReplaceAll(m[1], "&amp;", "&")); code != 200 {
				t.Errorf("%s names %s, which is %d", path, m[1], code)
			}
		}
	}
}

// TestGzip checks that the plots and chart data go gzipped to a client
// that takes it, and whole to one that does not.
func TestGzip(t *testing.T) {
	h := New(newStore(t), nil)
	gz := func(r *http.Request) { r.Header.Set("Accept-Encoding", "gzip") }
	for _, path := range []string{"/study/tiny/plot/history.svg", "/study/tiny/plot/curves.svg",
		"/study/tiny", "/study/tiny/leaderboard", "/study/tiny/trial/0"} {
		_, hd, plain := get(t, h, path)
		if hd.Get("Content-Encoding") != "" || !strings.HasPrefix(plain, "<") {
			t.Fatalf("%s: plain response encoded %q: %.40s", path, hd.Get("Content-Encoding"), plain)
		}
		code, hd, body := get(t, h, path, gz)
		if code != 200 || hd.Get("Content-Encoding") != "gzip" || !strings.Contains(hd.Get("Vary"), "Accept-Encoding") {
			t.Fatalf("%s: status %d, encoding %q, vary %q", path, code, hd.Get("Content-Encoding"), hd.Get("Vary"))
		}
		zr, err := gzip.NewReader(strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(zr)
		if err != nil || string(got) != plain {
			t.Errorf("%s: gzipped body is not the plain one (%v)", path, err)
		}
		t.Logf("%s: %d bytes, %d gzipped", path, len(plain), len(body))
	}
}
