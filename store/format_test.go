package store

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dltune/dltune"
)

// fullTrial returns a trial with every field a record keeps set, NaN and
// infinities included: what TestRecordFormat pins.
func fullTrial() *dltune.Trial {
	at := time.Date(2025, 3, 1, 12, 0, 0, 5, time.FixedZone("CET", 3600))
	return &dltune.Trial{
		Number:   7,
		Params:   dltune.Params{"lr": dltune.Float(0.01), "width": dltune.Int(64), "act": dltune.String("relu"), "bn": dltune.Bool(true)},
		State:    dltune.Failed,
		Budget:   9,
		Bracket:  2,
		RetryOf:  3,
		Error:    "trial 7: python3 after epoch 2 of 9: exit status 1; stderr ends:\n  boom",
		Created:  at,
		Started:  at.Add(time.Second),
		Finished: at.Add(time.Minute),
		Curve: []dltune.Epoch{
			{Epoch: 1, TrainLoss: 1, ValLoss: 1.1, ValAccuracy: 0.5, HasAccuracy: true, LearningRate: 0.01, Seconds: 0.5,
				Layers:  []dltune.LayerStats{{Name: "dense1", WeightNorm: 2, GradRMS: 0.1, GradMax: 0.5, DeadFraction: 0.25, GradHist: []int{0, 3, 1}, HistLow: -6}},
				Metrics: map[string]float64{"f1": 0.4, "steps": 100}},
			{Epoch: 2, TrainLoss: math.Inf(1), ValLoss: math.NaN(), LearningRate: 0.01, Seconds: 0.25,
				Layers: []dltune.LayerStats{{Name: "dense1", GradMax: math.Inf(-1)}}},
		},
		Events: []dltune.Event{
			{Time: at, Epoch: 0, What: "created"},
			{Time: at.Add(time.Minute), Epoch: 2, What: "failed: boom"},
		},
		Filters: &dltune.Filters{Shape: [4]int{2, 1, 1, 2}, Epoch: 1, Data: []float32{0.5, -0.25, 1e-40, 3}},
		Stderr:  "epoch 2\nboom",
	}
}

// TestRecordFormat pins the stored bytes of a trial record with every
// field set, and checks that the records testdata/fuzz keeps, written by
// earlier versions of this package, decode to trials that encode to the
// same bytes, whole and as summaries. A change to the records that would
// change what a store holds, or how an existing store reads, fails here.
// go test -update rewrites testdata/record-trial.json.
func TestRecordFormat(t *testing.T) {
	tr := fullTrial()
	data, err := encodeTrial(tr, tr.Number)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "record-trial.json")
	if *update {
		if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want = bytes.TrimSuffix(want, []byte("\n"))
	if !bytes.Equal(data, want) {
		t.Errorf("encodeTrial wrote\n%s\nwant, as %s pins,\n%s", data, path, want)
	}
	got, err := decodeTrial(want)
	if err != nil {
		t.Fatal(err)
	}
	if canon(got) != canon(tr) {
		t.Errorf("decodeTrial(%s):\ngot  %s\nwant %s", path, canon(got), canon(tr))
	}
	sum, err := decodeTrialSummary(want)
	if err != nil {
		t.Fatal(err)
	}
	if canon(sum) != canon(summaryOf(tr)) {
		t.Errorf("decodeTrialSummary(%s):\ngot  %s\nwant %s", path, canon(sum), canon(summaryOf(tr)))
	}

	// The seeds encodeTrial wrote (see TestFuzzSeeds), and the others
	// that decode.
	seeds := map[string]string{}
	dir := filepath.Join("testdata", "fuzz", "FuzzDecodeTrial")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		seeds[e.Name()] = readSeed(t, filepath.Join(dir, e.Name()))
	}
	for _, name := range []string{"new", "running", "diverged", "params", "cnn"} {
		seed, ok := seeds[name]
		if !ok {
			t.Fatalf("no seed %s in %s", name, dir)
		}
		tr, err := decodeTrial([]byte(seed))
		if err != nil {
			t.Errorf("seed %s: %v", name, err)
			continue
		}
		if enc, err := encodeTrial(tr, tr.Number); err != nil || string(enc) != seed {
			t.Errorf("seed %s encodes again as\n%s (%v)\nwant\n%s", name, enc, err, seed)
		}
		sum, err := decodeTrialSummary([]byte(seed))
		if err != nil || canon(sum) != canon(summaryOf(tr)) {
			t.Errorf("seed %s: summary %s (%v), want %s", name, canon(sum), err, canon(summaryOf(tr)))
		}
	}
	decoded := 0
	for name, seed := range seeds {
		tr, err := decodeTrial([]byte(seed))
		if err != nil {
			continue // a summary, which skips filters, may still decode
		}
		decoded++
		sum, err := decodeTrialSummary([]byte(seed))
		if err != nil || canon(sum) != canon(summaryOf(tr)) {
			t.Errorf("seed %s: summary %s (%v), want %s", name, canon(sum), err, canon(summaryOf(tr)))
		}
	}
	if decoded != 8 {
		t.Errorf("%d seeds decode, want 8", decoded)
	}
}

// readSeed returns the bytes of a fuzz seed file, "go test fuzz v1"
// followed by one []byte("...") line.
func readSeed(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 2 || lines[0] != "go test fuzz v1" || !strings.HasPrefix(lines[1], "[]byte(") || !strings.HasSuffix(lines[1], ")") {
		t.Fatalf("%s is not a seed of one []byte", path)
	}
	s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")"))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return s
}

// TestSummarySkips checks that decoding a summary allocates a small part
// of a record whose error, stderr, events, filters and diagnostics are
// large: it skips them rather than decode them and drop them.
func TestSummarySkips(t *testing.T) {
	tr := fullTrial()
	tr.Error = strings.Repeat("e", 256<<10)
	tr.Stderr = strings.Repeat("s", dltune.MaxStderr)
	for i := range 2000 {
		tr.Events = append(tr.Events, dltune.Event{Time: tr.Created, Epoch: i, What: "paused at rung 1"})
	}
	for i := range tr.Curve {
		for range 50 {
			tr.Curve[i].Layers = append(tr.Curve[i].Layers, dltune.LayerStats{Name: "conv", GradHist: make([]int, 40)})
		}
	}
	data, err := encodeTrial(tr, tr.Number)
	if err != nil {
		t.Fatal(err)
	}
	const runs = 20
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		if _, err := decodeTrialSummary(data); err != nil {
			t.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	per := (after.TotalAlloc - before.TotalAlloc) / runs
	t.Logf("a summary of a %d-byte record allocates %d bytes", len(data), per)
	if per > uint64(len(data))/20 {
		t.Errorf("a summary of a %d-byte record allocates %d bytes, want at most a twentieth", len(data), per)
	}
}
