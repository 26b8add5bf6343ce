package postgres_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/internal/pgtest"
	"github.com/dltune/dltune/store/postgres"
	"github.com/dltune/dltune/study"
)

var _ study.Claimer = (*postgres.DB)(nil)

// workers opens n DBs on the database u, as n worker processes would.
func workers(t *testing.T, u string, n int, opt *postgres.Options) []*postgres.DB {
	t.Helper()
	dbs := make([]*postgres.DB, n)
	for i := range dbs {
		db, err := postgres.Open(ctx, u, opt)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs[i] = db
	}
	return dbs
}

func TestStartKeepsTheBudget(t *testing.T) {
	u := pgtest.URL(t)
	dbs := workers(t, u, 6, nil)
	if err := dbs[0].CreateStudy(ctx, &dltune.Study{Name: "s"}); err != nil {
		t.Fatal(err)
	}
	const budget = 25
	var mu sync.Mutex
	started := map[int]int{} // number -> worker
	var wg sync.WaitGroup
	for w, db := range dbs {
		wg.Go(func() {
			for {
				n, err := db.Reserve(ctx, "s")
				if err != nil {
					t.Error(err)
					return
				}
				tr := &dltune.Trial{Number: n, State: dltune.Running, RetryOf: -1, Params: dltune.Params{"w": dltune.Int(w)}}
				ok, err := db.Start(ctx, "s", tr, budget)
				if err != nil {
					t.Error(err)
					return
				}
				if !ok {
					return
				}
				mu.Lock()
				if prev, dup := started[n]; dup {
					t.Errorf("number %d started by workers %d and %d", n, prev, w)
				}
				started[n] = w
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	ts, err := dbs[0].Trials(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != budget || len(started) != budget {
		t.Errorf("%d trials stored, %d reported started; want the budget, %d", len(ts), len(started), budget)
	}
	for _, tr := range ts {
		if w, ok := started[tr.Number]; !ok || tr.Params["w"].Int() != w {
			t.Errorf("trial %d stored with worker %d's params, started by %d (%v)", tr.Number, tr.Params["w"].Int(), w, ok)
		}
	}
	// A number Start was not given by Reserve is refused.
	if ok, err := dbs[0].Start(ctx, "s", &dltune.Trial{Number: 1000, State: dltune.Running, RetryOf: -1}, 1000); ok || err == nil {
		t.Errorf("Start of an unreserved number: %v, %v", ok, err)
	}
}

func TestClaimExactlyOnce(t *testing.T) {
	u := pgtest.URL(t)
	dbs := workers(t, u, 8, nil)
	if err := dbs[0].CreateStudy(ctx, &dltune.Study{Name: "s"}); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		tr := &dltune.Trial{State: dltune.Paused, Budget: 2, RetryOf: -1, Curve: []dltune.Epoch{{Epoch: 1}, {Epoch: 2}}}
		if err := dbs[0].CreateTrial(ctx, "s", tr); err != nil {
			t.Fatal(err)
		}
		if err := dbs[0].SaveCheckpoint(ctx, "s", tr, []byte("ck")); err != nil {
			t.Fatal(err)
		}
	}
	// Every worker tries to promote every paused trial at once.
	var mu sync.Mutex
	won := map[int][]int{}
	var wg sync.WaitGroup
	for w, db := range dbs {
		wg.Go(func() {
			for n := range 5 {
				tr, ck, ok, err := db.Claim(ctx, "s", n, dltune.Paused, func(t *dltune.Trial, has bool) {
					if !has {
						t.Events = append(t.Events, dltune.Event{What: "no checkpoint"})
					}
					t.State = dltune.Running
					t.Budget = 4
					t.Events = append(t.Events, dltune.Event{What: "promoted"})
				})
				if err != nil {
					t.Error(err)
					continue
				}
				if ok {
					if string(ck) != "ck" || tr.Budget != 4 || tr.Epochs() != 2 {
						t.Errorf("claimed trial %d: checkpoint %q, budget %d, %d epochs", n, ck, tr.Budget, tr.Epochs())
					}
					mu.Lock()
					won[n] = append(won[n], w)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	for n := range 5 {
		if len(won[n]) != 1 {
			t.Errorf("trial %d promoted by workers %v, want exactly one", n, won[n])
		}
	}
	ts, _ := dbs[0].Trials(ctx, "s")
	for _, tr := range ts {
		if tr.State != dltune.Running || len(tr.Events) != 1 {
			t.Errorf("trial %d is %s with events %v, want running, promoted once", tr.Number, tr.State, tr.Events)
		}
	}
	// The winner holds it: another worker's change is refused.
	n := 0
	w := won[n][0]
	other := dbs[(w+1)%len(dbs)]
	tr := ts[n].Clone()
	tr.State = dltune.Complete
	if err := other.UpdateTrial(ctx, "s", tr); !errors.Is(err, dltune.ErrLost) {
		t.Errorf("UpdateTrial by a worker that does not hold the trial: %v, want ErrLost", err)
	}
	if err := dbs[w].UpdateTrial(ctx, "s", tr); err != nil {
		t.Errorf("UpdateTrial by the holder: %v", err)
	}
	if _, err := dbs[w].Checkpoint(ctx, "s", n); !errors.Is(err, dltune.ErrNotFound) {
		t.Errorf("checkpoint of the completed trial: %v, want ErrNotFound", err)
	}
	// A claim of a trial not in the state asked for changes nothing.
	if _, _, ok, err := other.Claim(ctx, "s", n, dltune.Paused, func(t *dltune.Trial, _ bool) { t.Budget = 99 }); ok || err != nil {
		t.Errorf("claim of a complete trial as paused: %v, %v", ok, err)
	}
}

func TestExpire(t *testing.T) {
	u := pgtest.URL(t)
	// A worker that stopped beating (its heartbeat never comes within
	// the test) and one that beats.
	dead := workers(t, u, 1, &postgres.Options{Lease: 300 * time.Millisecond, Heartbeat: time.Hour})[0]
	live := workers(t, u, 1, &postgres.Options{Lease: 300 * time.Millisecond, Heartbeat: 50 * time.Millisecond})[0]
	if err := dead.CreateStudy(ctx, &dltune.Study{Name: "s"}); err != nil {
		t.Fatal(err)
	}
	a := &dltune.Trial{State: dltune.Running, Budget: 5, RetryOf: -1}
	b := &dltune.Trial{State: dltune.Running, Budget: 5, RetryOf: -1}
	if err := dead.CreateTrial(ctx, "s", a); err != nil {
		t.Fatal(err)
	}
	if err := live.CreateTrial(ctx, "s", b); err != nil {
		t.Fatal(err)
	}
	a.Curve = []dltune.Epoch{{Epoch: 1, ValLoss: 0.5}}
	if err := dead.SaveCheckpoint(ctx, "s", a, []byte("a1")); err != nil {
		t.Fatal(err)
	}
	if n, err := live.Expire(ctx, "s", interrupt); n != 0 || err != nil {
		t.Fatalf("Expire before any lease ended = %d, %v", n, err)
	}
	time.Sleep(time.Second)
	n, err := live.Expire(ctx, "s", interrupt)
	if n != 1 || err != nil {
		t.Fatalf("Expire = %d, %v; want the dead worker's trial", n, err)
	}
	ts, _ := live.Trials(ctx, "s")
	if ts[0].State != dltune.Interrupted || ts[1].State != dltune.Running {
		t.Errorf("after Expire: %s and %s, want interrupted and running", ts[0].State, ts[1].State)
	}
	if last := ts[0].Events[len(ts[0].Events)-1].What; !strings.Contains(last, dead.Owner()) {
		t.Errorf("event %q does not name the worker %s", last, dead.Owner())
	}
	// The dead worker, back, has lost it.
	a.Curve = append(a.Curve, dltune.Epoch{Epoch: 2})
	if err := dead.SaveCheckpoint(ctx, "s", a, []byte("a2")); !errors.Is(err, dltune.ErrLost) {
		t.Errorf("SaveCheckpoint after losing the trial: %v, want ErrLost", err)
	}
	// Another continues it from its checkpoint.
	tr, ck, ok, err := live.Claim(ctx, "s", a.Number, dltune.Interrupted, func(t *dltune.Trial, _ bool) { t.State = dltune.Running })
	if !ok || err != nil || string(ck) != "a1" || tr.Epochs() != 1 {
		t.Errorf("continue the expired trial: %v, %v, checkpoint %q, %d epochs", ok, err, ck, tr.Epochs())
	}
}

// interrupt is what the loop does to a trial whose hold expired.
func interrupt(t *dltune.Trial, holder string, at time.Time) {
	t.State = dltune.Interrupted
	t.Events = append(t.Events, dltune.Event{Time: at, Epoch: t.Epochs(), What: "interrupted: " + holder + " stopped"})
}

func TestChangesReadsOnlyChanges(t *testing.T) {
	db := open(t)
	if err := db.CreateStudy(ctx, &dltune.Study{Name: "s"}); err != nil {
		t.Fatal(err)
	}
	if ts, seq, err := db.Changes(ctx, "s", -1); len(ts) != 0 || err != nil {
		t.Fatalf("Changes of an empty study = %d trials, %d, %v", len(ts), seq, err)
	}
	var trials []*dltune.Trial
	for range 5 {
		tr := &dltune.Trial{State: dltune.Running, RetryOf: -1}
		if err := db.CreateTrial(ctx, "s", tr); err != nil {
			t.Fatal(err)
		}
		trials = append(trials, tr)
	}
	all, seq, err := db.Changes(ctx, "s", -1)
	if len(all) != 5 || err != nil {
		t.Fatalf("Changes(-1) = %d trials, %v", len(all), err)
	}
	if ts, s2, err := db.Changes(ctx, "s", seq); len(ts) != 0 || s2 != seq || err != nil {
		t.Errorf("Changes since the latest = %d trials, %d (was %d), %v", len(ts), s2, seq, err)
	}
	trials[3].State = dltune.Complete
	trials[1].Curve = []dltune.Epoch{{Epoch: 1}}
	if err := db.UpdateTrial(ctx, "s", trials[3]); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveCheckpoint(ctx, "s", trials[1], nil); err != nil {
		t.Fatal(err)
	}
	ts, s3, err := db.Changes(ctx, "s", seq)
	if err != nil || len(ts) != 2 || ts[0].Number != 1 || ts[1].Number != 3 || s3 <= seq {
		t.Errorf("Changes after two changes = %v, %d, %v; want trials 1 and 3", ts, s3, err)
	}
	if _, _, err := db.Changes(ctx, "nope", -1); !errors.Is(err, dltune.ErrNotFound) {
		t.Errorf("Changes of a missing study: %v", err)
	}
}

// TestMigrateFromVersion1 opens a schema an older dltune wrote: Open
// upgrades it and keeps its studies.
func TestMigrateFromVersion1(t *testing.T) {
	u := pgtest.URL(t)
	pgtest.Exec(t, u, postgres.Migration(0))
	pgtest.Exec(t, u, `INSERT INTO dltune_meta VALUES ('dltune store', 1)`)
	pgtest.Exec(t, u, `INSERT INTO dltune_studies (name, record, next_trial) VALUES ('old', '{"format":1,"name":"old","spec":null,"created":"2026-01-01T00:00:00Z"}', 2)`)
	for n, state := range []int{4, 2} {
		pgtest.Exec(t, u, `INSERT INTO dltune_trials (study, number, state, record) VALUES ('old', $1, $2, $3)`, n, state,
			`{"format":1,"number":`+string(rune('0'+n))+`,"params":{},"state":"`+dltune.State(state).String()+`","budget":3,"retry_of":-1,"created":"2026-01-01T00:00:00Z"}`)
	}
	db := open2(t, u)
	if v := count2(t, u, `SELECT version FROM dltune_meta`); v != postgres.Version {
		t.Errorf("version %d after Open, want %d", v, postgres.Version)
	}
	ts, err := db.Trials(ctx, "old")
	if err != nil || len(ts) != 2 || ts[1].State != dltune.Paused {
		t.Fatalf("trials after the upgrade: %v, %v", ts, err)
	}
	// The budget counts the trials the old schema had.
	n, err := db.Reserve(ctx, "old")
	if err != nil || n != 2 {
		t.Fatalf("Reserve = %d, %v; want 2", n, err)
	}
	if ok, err := db.Start(ctx, "old", &dltune.Trial{Number: n, State: dltune.Running, RetryOf: -1}, 2); ok || err != nil {
		t.Errorf("Start over a budget of 2 with 2 old trials: %v, %v", ok, err)
	}
	if ok, err := db.Start(ctx, "old", &dltune.Trial{Number: n, State: dltune.Running, RetryOf: -1}, 3); !ok || err != nil {
		t.Errorf("Start within the budget: %v, %v", ok, err)
	}
}
