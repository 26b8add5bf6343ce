package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/internal/pgtest"
	"github.com/dltune/dltune/store/postgres"
)

// TestPostgresServe serves the dashboard of a PostgreSQL store while two
// workers train a study in it: the event stream hears of their changes,
// and the pages show the study as they leave it.
func TestPostgresServe(t *testing.T) {
	const pw = "n0t-shown-anywhere"
	u := pgtest.WithParam(pgtest.URL(t), "password", pw)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dir := t.TempDir()
	file, spec := servedSpec(t, dir, 4)
	db, err := postgres.Open(ctx, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.CreateStudy(ctx, &dltune.Study{Name: "served", File: file, Spec: spec, Created: time.Now()})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}

	sctx, stopServe := context.WithCancel(ctx)
	defer stopServe()
	var stdout, stderr lockedBuffer
	served := make(chan int, 1)
	go func() {
		served <- Main(sctx, []string{"serve", "--storage", u, "--addr", "127.0.0.1:0"}, &stdout, &stderr)
	}()
	var base string
	addr := regexp.MustCompile(`serving the studies of .* at (http://[0-9.:]+/)\n`)
	for deadline := time.Now().Add(10 * time.Second); base == ""; time.Sleep(10 * time.Millisecond) {
		if m := addr.FindStringSubmatch(stdout.String()); m != nil {
			base = m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("not serving after 10s; stdout %q, stderr %q", stdout.String(), stderr.String())
		}
	}
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, string(body)
	}
	if code, body := get("study/served"); code != 200 || !strings.Contains(body, "No trial yet") {
		t.Fatalf("/study/served before the workers: status %d:\n%s", code, body)
	}

	// The event stream, opened before the workers start.
	req, _ := http.NewRequestWithContext(sctx, http.MethodGet, base+"study/served/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("events: status %d", resp.StatusCode)
	}
	changed := make(chan bool, 1)
	go func() {
		lines := bufio.NewReader(resp.Body)
		for {
			l, err := lines.ReadString('\n')
			if err != nil {
				changed <- false
				return
			}
			if l == "event: change\n" {
				changed <- true
				return
			}
		}
	}()

	workers := make(chan string, 2)
	for range 2 {
		go func() {
			code, _, errs := cli(t, ctx, "worker", "--study", "served", "--storage", u)
			if code != 0 {
				workers <- errs
				return
			}
			workers <- ""
		}()
	}
	select {
	case ok := <-changed:
		if !ok {
			t.Error("the event stream ended without a change")
		}
	case <-time.After(30 * time.Second):
		t.Error("no change event while the workers train")
	}
	for range 2 {
		if errs := <-workers; errs != "" {
			t.Fatalf("a worker failed: %s", errs)
		}
	}

	code, body := get("")
	if code != 200 || !strings.Contains(body, `<td class="done">done</td>`) || !strings.Contains(body, "<td>4/4</td>") {
		t.Errorf("/: status %d, want the study done with 4 of 4 trials:\n%s", code, body)
	}
	code, body = get("study/served?sort=trial")
	if code != 200 {
		t.Fatalf("/study/served: status %d:\n%s", code, body)
	}
	for n := range 4 {
		if want := fmt.Sprintf(`href="/study/served/trial/%d"`, n); !strings.Contains(body, want) {
			t.Errorf("the leaderboard lacks trial %d:\n%s", n, body)
		}
	}
	if code, body := get("study/served/trial/3"); code != 200 || !strings.Contains(body, "complete") {
		t.Errorf("/study/served/trial/3: status %d:\n%s", code, body)
	}
	if code, _ := get("study/served/plot/curves.svg"); code != 200 {
		t.Errorf("curves.svg: status %d", code)
	}
	stopServe()
	select {
	case code := <-served:
		if code != 0 {
			t.Errorf("serve exited %d: %s", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop with its context")
	}
	if out := stdout.String() + stderr.String(); strings.Contains(out, pw) {
		t.Errorf("serve printed the password:\n%s", out)
	}
}
