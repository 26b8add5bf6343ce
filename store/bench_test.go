package store

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/dltune/dltune"
	bolt "go.etcd.io/bbolt"
)

// benchEpochs is how many epochs each benchmark trial records.
const benchEpochs = 3

// prefill adds n finished trials to the study, many per transaction.
func prefill(b *testing.B, db *DB, study string, n int) {
	b.Helper()
	for done := 0; done < n; {
		err := db.bdb.Update(func(tx *bolt.Tx) error {
			trials := tx.Bucket(studiesBucket).Bucket([]byte(study)).Bucket(trialsBucket)
			for i := 0; i < 1000 && done < n; i, done = i+1, done+1 {
				seq, _ := trials.NextSequence()
				tr := testTrial(benchEpochs)
				tr.State = dltune.Complete
				data, err := encodeTrial(tr, int(seq-1))
				if err != nil {
					return err
				}
				if err := trials.Put(trialKey(int(seq-1)), data); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// recordTrial records one trial as the run loop does with a trivial
// objective: create it, update it after each epoch (saving ckpt with it
// when ckpt is not nil), finish it. Each is one transaction.
func recordTrial(b *testing.B, db *DB, study string, ckpt []byte) {
	tr := testTrial(0)
	if err := db.CreateTrial(bg, study, tr); err != nil {
		b.Fatal(err)
	}
	for range benchEpochs {
		addEpoch(tr)
		var err error
		if ckpt != nil {
			err = db.SaveCheckpoint(bg, study, tr, ckpt)
		} else {
			err = db.UpdateTrial(bg, study, tr)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	tr.State = dltune.Complete
	if err := db.UpdateTrial(bg, study, tr); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkRecordTrial measures the cost of recording one trial (create,
// three epoch updates, finish: five transactions, each flushed to disk)
// in a study that already holds 1,000 or 10,000 trials, from one
// goroutine and from several at once (the run loop's parallel trials),
// without and with a 64 KiB checkpoint at each epoch.
//
// The nosync cases turn off bbolt's fsync to measure what the store costs
// besides the disk flush (encoding, the B+tree, group commit). They are a
// measurement only: the store never runs without fsync. BenchmarkCommit
// gives the cost of the flush itself on the same disk.
func BenchmarkRecordTrial(b *testing.B) {
	for _, sync := range []bool{true, false} {
		for _, ckptSize := range []int{0, 64 << 10} {
			for _, writers := range []int{1, 4, 16} {
				if !sync && writers > 1 {
					continue
				}
				for _, existing := range []int{1000, 10000} {
					name := fmt.Sprintf("ckpt=%dKiB/writers=%d/existing=%d", ckptSize>>10, writers, existing)
					if !sync {
						name = "nosync/" + name
					}
					b.Run(name, func(b *testing.B) {
						benchRecord(b, !sync, writers, existing, ckptSize)
					})
				}
			}
		}
	}
}

// BenchmarkCommit measures the cheapest bbolt transaction, one small
// value put and committed, on the disk the tests run on: the floor on
// the cost of each state change.
func BenchmarkCommit(b *testing.B) {
	db := openTest(b)
	v := make([]byte, 100)
	cpu := cpuTime()
	for b.Loop() {
		err := db.bdb.Update(func(tx *bolt.Tx) error {
			return tx.Bucket(metaBucket).Put([]byte("bench"), v)
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/commit")
	b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/1000/float64(b.N), "cpu-ms/commit")
}

func benchRecord(b *testing.B, noSync bool, writers, existing, ckptSize int) {
	db := openTest(b)
	db.bdb.NoSync = noSync
	if err := db.CreateStudy(bg, testStudy("s")); err != nil {
		b.Fatal(err)
	}
	prefill(b, db, "s", existing)
	var ckpt []byte
	if ckptSize > 0 {
		ckpt = make([]byte, ckptSize)
	}
	commits := db.commits.Load()
	cpu := cpuTime()
	b.ResetTimer()
	if writers == 1 {
		for b.Loop() {
			recordTrial(b, db, "s", ckpt)
		}
	} else {
		// b.N trials shared among the writers.
		var wg sync.WaitGroup
		work := make(chan struct{})
		for range writers {
			wg.Go(func() {
				for range work {
					recordTrial(b, db, "s", ckpt)
				}
			})
		}
		for range b.N {
			work <- struct{}{}
		}
		close(work)
		wg.Wait()
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/trial")
	b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/1000/float64(b.N), "cpu-ms/trial")
	changes := float64(b.N * (2 + benchEpochs))
	b.ReportMetric(changes/float64(db.commits.Load()-commits), "changes/commit")
}

// BenchmarkTrials measures reading a whole study: Trials decodes every
// trial, so its cost grows with their number.
func BenchmarkTrials(b *testing.B) {
	for _, existing := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("existing=%d", existing), func(b *testing.B) {
			db := openTest(b)
			if err := db.CreateStudy(bg, testStudy("s")); err != nil {
				b.Fatal(err)
			}
			prefill(b, db, "s", existing)
			cpu := cpuTime()
			for b.Loop() {
				trials, err := db.Trials(bg, "s")
				if err != nil || len(trials) != existing {
					b.Fatal(len(trials), err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(existing), "ns/trial")
			b.ReportMetric(float64((cpuTime()-cpu).Nanoseconds())/float64(b.N)/float64(existing), "cpu-ns/trial")
		})
	}
}

// BenchmarkRead measures one small read (Study) through a writable DB,
// which keeps its bbolt handle, against a read-only DB, which opens the
// file for each read so as to hold no lock between reads, and one that
// reads a writer's snapshot.
func BenchmarkRead(b *testing.B) {
	path := filepath.Join(b.TempDir(), "dltune.db")
	w, err := Open(path, nil)
	if err != nil {
		b.Fatal(err)
	}
	if err := w.CreateStudy(bg, testStudy("s")); err != nil {
		b.Fatal(err)
	}
	prefill(b, w, "s", 1000)
	read := func(b *testing.B, db *DB) {
		for b.Loop() {
			if _, err := db.Study(bg, "s"); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("writable", func(b *testing.B) { read(b, w) })
	w.Close()
	r, err := Open(path, &Options{ReadOnly: true, Timeout: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	b.Run("read-only", func(b *testing.B) { read(b, r) })
	w, err = Open(path, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	w.KeepSnapshot(time.Hour)
	b.Run("read-only-snapshot", func(b *testing.B) { read(b, r) })
}

// BenchmarkSaveEpoch measures recording one epoch of a running trial
// with its checkpoint (64 KiB, adam's three slabs): as SaveCheckpoint
// does when the epoch is not the trial's best, and as SaveWeights does
// when it is, with the model file (a third of the checkpoint) and keep 3
// trials' weights already stored.
func BenchmarkSaveEpoch(b *testing.B) {
	for _, weights := range []bool{false, true} {
		name := "checkpoint"
		if weights {
			name = "checkpoint+weights"
		}
		b.Run(name, func(b *testing.B) {
			db := openTest(b)
			if err := db.CreateStudy(bg, testStudy("s")); err != nil {
				b.Fatal(err)
			}
			ckpt := make([]byte, 64<<10)
			model := make([]byte, len(ckpt)/3)
			var tr *dltune.Trial
			for i := range 4 {
				tr = testTrial(1)
				if err := db.CreateTrial(bg, "s", tr); err != nil {
					b.Fatal(err)
				}
				w := &dltune.Weights{Epoch: 1, Loss: float64(i), Model: model}
				if err := db.SaveWeights(bg, "s", tr, ckpt, w, 3); err != nil {
					b.Fatal(err)
				}
			}
			w := &dltune.Weights{Epoch: 1, Loss: 0.5, Model: model}
			cpu := cpuTime()
			for b.Loop() {
				var err error
				if weights {
					err = db.SaveWeights(bg, "s", tr, ckpt, w, 3)
				} else {
					err = db.SaveCheckpoint(bg, "s", tr, ckpt)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/epoch")
			b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/1000/float64(b.N), "cpu-ms/epoch")
		})
	}
}

// BenchmarkWeightsHead measures what the dashboard's trial page asks: does
// the store keep a trial's weights, and of which epoch? Weights reads and
// copies the whole model (here 4 MiB) to tell; WeightsHead reads its
// header.
func BenchmarkWeightsHead(b *testing.B) {
	db := openTest(b)
	if err := db.CreateStudy(bg, testStudy("s")); err != nil {
		b.Fatal(err)
	}
	tr := testTrial(0)
	if err := db.CreateTrial(bg, "s", tr); err != nil {
		b.Fatal(err)
	}
	addEpoch(tr)
	tr.State = dltune.Complete
	w := &dltune.Weights{Epoch: 1, Loss: tr.Curve[0].ValLoss, Model: make([]byte, 4<<20)}
	if err := db.SaveWeights(bg, "s", tr, nil, w, 1); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		read func(ctx context.Context, study string, number int) (*dltune.Weights, error)
	}{
		{"Weights", db.Weights},
		{"WeightsHead", db.WeightsHead},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				got, err := c.read(bg, "s", tr.Number)
				if err != nil || !got.Match(tr) {
					b.Fatalf("%s: %+v, %v; want weights that match the trial", c.name, got, err)
				}
			}
		})
	}
}
