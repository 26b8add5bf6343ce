package store

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dltune/dltune"
	bolt "go.etcd.io/bbolt"
)

// openTest opens a new store in a temporary directory and closes it when
// the test ends.
func openTest(t testing.TB) *DB {
	t.Helper()
	db, err := Open(filepath.Join(t.TempDir(), "dltune.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// testStudy returns a study record for tests.
func testStudy(name string) *dltune.Study {
	return &dltune.Study{
		Name:    name,
		File:    name + ".yaml",
		Spec:    []byte("name: " + name + "\nseed: 7\n"),
		Created: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC),
	}
}

// testTrial returns a running trial with epochs epochs trained.
func testTrial(epochs int) *dltune.Trial {
	t := &dltune.Trial{
		Params:  dltune.Params{"lr": dltune.Float(0.01), "width": dltune.Int(64), "act": dltune.String("relu")},
		State:   dltune.Running,
		Budget:  10,
		RetryOf: -1,
		Created: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC),
		Started: time.Date(2025, 3, 1, 12, 0, 1, 0, time.UTC),
	}
	for e := 1; e <= epochs; e++ {
		addEpoch(t)
	}
	return t
}

// addEpoch appends an epoch to t's curve.
func addEpoch(t *dltune.Trial) {
	e := len(t.Curve) + 1
	t.Curve = append(t.Curve, dltune.Epoch{
		Epoch:        e,
		TrainLoss:    1 / float64(e),
		ValLoss:      1.1 / float64(e),
		LearningRate: 0.01,
		Seconds:      0.5,
	})
}

// canon returns a canonical string for a trial or study, in which equal
// values (NaN included, times in any location) are equal strings.
func canon(v any) string {
	switch x := v.(type) {
	case *dltune.Trial:
		c := x.Clone()
		c.Created, c.Started, c.Finished = c.Created.UTC(), c.Started.UTC(), c.Finished.UTC()
		for i := range c.Events {
			c.Events[i].Time = c.Events[i].Time.UTC()
		}
		if len(c.Curve) == 0 {
			c.Curve = nil
		}
		for i := range c.Curve {
			if len(c.Curve[i].Layers) == 0 {
				c.Curve[i].Layers = nil
			}
			for j := range c.Curve[i].Layers {
				if len(c.Curve[i].Layers[j].GradHist) == 0 {
					c.Curve[i].Layers[j].GradHist = nil
				}
			}
		}
		if len(c.Events) == 0 {
			c.Events = nil
		}
		// The filters by value, their weights by bits.
		f := c.Filters
		c.Filters = nil
		s := fmt.Sprintf("%#v", c)
		if f != nil {
			bits := make([]uint32, len(f.Data))
			for i, v := range f.Data {
				bits[i] = math.Float32bits(v)
			}
			s += fmt.Sprintf(" filters %v epoch %d data %v %#x", f.Shape, f.Epoch, f.Data == nil, bits)
		}
		return s
	case *dltune.Study:
		c := *x
		c.Created = c.Created.UTC()
		if len(c.Spec) == 0 {
			c.Spec = nil
		}
		return fmt.Sprintf("%#v", c)
	}
	panic(fmt.Sprintf("canon: %T", v))
}

// checkIntegrity fails the test if bbolt finds the file damaged.
func checkIntegrity(t *testing.T, path string) {
	t.Helper()
	bdb, err := bolt.Open(path, 0, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatalf("check %s: %v", path, err)
	}
	defer bdb.Close()
	err = bdb.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			t.Errorf("check %s: %v", path, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// rawUpdate changes the file at path directly with bbolt.
func rawUpdate(t *testing.T, path string, fn func(*bolt.Tx) error) {
	t.Helper()
	bdb, err := bolt.Open(path, 0, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	if err := bdb.Update(fn); err != nil {
		t.Fatal(err)
	}
}

// copyFile copies src to a new file in dir and returns its path.
func copyFile(t *testing.T, src, dir string) string {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, filepath.Base(src))
	if err := os.WriteFile(dst, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return dst
}

// sameFile fails the test if the file at path no longer holds want.
func sameFile(t *testing.T, path string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s changed: %d bytes, was %d", path, len(got), len(want))
	}
}

var bg = context.Background()

var nan, inf = math.NaN(), math.Inf(1)
