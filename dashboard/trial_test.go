package dashboard

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/store"
	"github.com/dltune/dltune/study"
	"github.com/dltune/dltune/studyfile"
)

// stderrEvil is what the program of commandScript writes on its stderr.
const stderrEvil = "<script>window.pwned=1</script>"

// commandScript is a training program for sh: two epochs with a metric
// steps, then a stderr bearing HTML; trial 1 then fails.
const commandScript = `for n in 1 2; do
  echo "{\"epoch\": $n, \"val_loss\": 0.$n, \"steps\": ${n}00}" >&3
done
echo 'line one' >&2
echo '` + stderrEvil + `' >&2
if [ "$DLTUNE_TRIAL" = 1 ]; then exit 1; fi
`

// runCommandStudy runs a command study of two trials of the sh script
// commandScript in a new store, and returns it with its trials.
func runCommandStudy(t *testing.T) (*store.DB, []*dltune.Trial) {
	t.Helper()
	dir := t.TempDir()
	script := filepath.Join(dir, "train.sh")
	if err := os.WriteFile(script, []byte(commandScript), 0o644); err != nil {
		t.Fatal(err)
	}
	src := fmt.Sprintf("name: cmd\nseed: 1\ncommand:\n  argv: [sh, %q, $lr]\n  epochs: 2\nspace:\n  lr: {float: [0.1, 0.2]}\nsearch: {strategy: random, trials: 2, parallel: 1}\n", script)
	spec, err := studyfile.Parse(filepath.Join(dir, "cmd.yaml"), []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	prep, err := study.Prepare(ctx, spec, study.PrepareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(filepath.Join(dir, "s.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := prep.Run(ctx, db, study.Options{WorkDir: filepath.Join(dir, "work")}); err != nil {
		t.Fatal(err)
	}
	trials, err := db.Trials(ctx, "cmd")
	if err != nil {
		t.Fatal(err)
	}
	return db, trials
}

// TestCommandTrialPage runs a real command study and reads its trials'
// pages: each shows its stderr once, escaped, under a title that says
// which run it is of, and its epochs' metric.
func TestCommandTrialPage(t *testing.T) {
	db, trials := runCommandStudy(t)
	h := New(db, nil)
	states := map[dltune.State]int{}
	for _, tr := range trials {
		states[tr.State]++
		if !strings.Contains(tr.Stderr, stderrEvil) {
			t.Fatalf("trial %d (%s) kept stderr %q; the test wants %q in it", tr.Number, tr.State, tr.Stderr, stderrEvil)
		}
		code, _, body := get(t, h, fmt.Sprintf("/study/cmd/trial/%d", tr.Number))
		if code != http.StatusOK {
			t.Fatalf("trial %d: status %d:\n%s", tr.Number, code, body)
		}
		title := "stderr of its last run, ending"
		if tr.State == dltune.Failed {
			title = "stderr of the failed run, ending"
			if !strings.Contains(body, "its stderr ends below") {
				t.Errorf("trial %d: the error does not point to its stderr:\n%s", tr.Number, body)
			}
		}
		want := `<pre class="stderr">line one` + "\n" + html.EscapeString(stderrEvil)
		if !strings.Contains(body, "<h2>"+title+"</h2>") || !strings.Contains(body, want) {
			t.Errorf("trial %d (%s): no %q with %q:\n%s", tr.Number, tr.State, title, want, body)
		}
		if strings.Contains(body, stderrEvil) {
			t.Errorf("trial %d: the page holds its stderr unescaped", tr.Number)
		}
		if n := strings.Count(body, html.EscapeString(stderrEvil)); n != 1 {
			t.Errorf("trial %d: the page shows its stderr %d times, want once", tr.Number, n)
		}
		for _, s := range []string{"<th>steps</th>", "<td>100</td>", "<td>200</td>"} {
			if !strings.Contains(body, s) {
				t.Errorf("trial %d: the epoch table lacks %q", tr.Number, s)
			}
		}
		if strings.Contains(body, "<h2>Model</h2>") {
			t.Errorf("trial %d: a command trial's page speaks of its model", tr.Number)
		}
	}
	if states[dltune.Failed] != 1 || states[dltune.Complete] != 1 {
		t.Errorf("trials ended %v; the test wants one complete and one failed", states)
	}
}

func TestSplitStderr(t *testing.T) {
	long := strings.Repeat("x\n", maxStderrLines+5) + "last"
	cases := []struct {
		name                   string
		tr                     dltune.Trial
		msg, title, text, tail string
	}{
		{"no stderr", dltune.Trial{Error: "boom"}, "boom", "", "", ""},
		{"failed", dltune.Trial{Error: "exit status 1" + stderrQuote + "  oops", Stderr: "oops"},
			"exit status 1; its stderr ends below", "stderr of the failed run, ending", "oops", ""},
		{"complete", dltune.Trial{Stderr: "done\n"}, "", "stderr of its last run, ending", "done\n", ""},
		{"long", dltune.Trial{Stderr: long}, "", "stderr of its last run, ending", "", "last"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			msg, tail := splitStderr(&c.tr)
			if msg != c.msg || tail.Title != c.title || (c.text != "" && tail.Text != c.text) {
				t.Errorf("got %q, %+v; want %q, %q, %q", msg, tail, c.msg, c.title, c.text)
			}
			if c.tail != "" {
				lines := strings.Split(tail.Text, "\n")
				if len(lines) != maxStderrLines+1 || lines[0] != "..." || lines[len(lines)-1] != c.tail {
					t.Errorf("bounded to %d lines from %q to %q", len(lines), lines[0], lines[len(lines)-1])
				}
			}
		})
	}
}

// TestTrialWeights stores weights of one trial: its page shows the
// command that exports them, another's says the store keeps none, and a
// read-only reader of a store a run writes says it cannot tell, at once.
func TestTrialWeights(t *testing.T) {
	db := newStore(t)
	addStudy(t, db, "core", "core.yaml", []dltune.Params{{"lr": dltune.Float(0.01)}, {"lr": dltune.Float(0.02)}})
	ctx := context.Background()
	tr, err := db.Trial(ctx, "core", 1)
	if err != nil {
		t.Fatal(err)
	}
	w := &dltune.Weights{Epoch: 2, Loss: tr.Curve[1].ValLoss, Model: []byte("model")}
	if !w.Match(tr) {
		t.Fatal("the test's weights do not match trial 1")
	}
	if err := db.SaveWeights(ctx, "core", tr, nil, w, 3); err != nil {
		t.Fatal(err)
	}
	h := New(db, nil)
	_, _, body := get(t, h, "/study/core/trial/1")
	if want := "<pre>dltune export --study core --trial 1 -o model.dltm</pre>"; !strings.Contains(body, want) || !strings.Contains(body, "best epoch, 2.") {
		t.Errorf("trial 1's page lacks %q:\n%s", want, body)
	}
	_, _, body = get(t, h, "/study/core/trial/0")
	if !strings.Contains(body, "keeps no weights of this trial") || strings.Contains(body, "dltune export --study") {
		t.Errorf("trial 0's page does not say the store keeps no weights of it:\n%s", body)
	}

	// A reader while db, the writer, keeps a snapshot.
	stop := db.KeepSnapshot(time.Hour)
	t.Cleanup(stop)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(store.SnapshotPath(db.Path())); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no snapshot after 10s")
		}
	}
	ro, err := store.Open(db.Path(), &store.Options{ReadOnly: true, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ro.Close() })
	srv := httptest.NewServer(New(ro, nil))
	t.Cleanup(srv.Close)
	start := time.Now()
	resp, err := http.Get(srv.URL + "/study/core/trial/1")
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); resp.StatusCode != http.StatusOK || took > 5*time.Second {
		t.Errorf("status %d after %v", resp.StatusCode, took)
	}
	if !strings.Contains(string(b), "cannot be read while a run writes the store") {
		t.Errorf("the read-only page does not say it cannot read the weights:\n%s", b)
	}
}
