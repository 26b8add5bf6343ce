package store

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dltune/dltune"
)

var update = flag.Bool("update", false, "rewrite the seed corpora in testdata/fuzz")

// fill sets every field reachable from v to a value that is not zero,
// different for each field, so that a field the records forget shows up
// in a round trip.
func fill(v reflect.Value, n *int) {
	*n++
	switch x := v.Addr().Interface().(type) {
	case *time.Time:
		*x = time.Date(2025, 1, 1, 0, 0, *n, *n, time.UTC)
		return
	case *dltune.State:
		*x = dltune.State(1 + *n%6)
		return
	case *dltune.Params:
		*x = dltune.Params{fmt.Sprint("p", *n): dltune.Float(float64(*n) + 0.5), "q": dltune.String("x")}
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), n)
	case reflect.Array:
		for i := range v.Len() {
			fill(v.Index(i), n)
		}
	case reflect.Float32:
		v.SetFloat(float64(*n) + 0.25)
	case reflect.Struct:
		for i := range v.NumField() {
			fill(v.Field(i), n)
		}
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := range 2 {
			fill(v.Index(i), n)
		}
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		for range 2 {
			k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
			fill(k, n)
			fill(e, n)
			v.SetMapIndex(k, e)
		}
	case reflect.Int, reflect.Int64:
		v.SetInt(int64(*n))
	case reflect.Uint8:
		v.SetUint(uint64(*n))
	case reflect.Float64:
		v.SetFloat(float64(*n) + 0.25)
	case reflect.String:
		v.SetString(fmt.Sprint("s", *n))
	case reflect.Bool:
		v.SetBool(true)
	default:
		panic(fmt.Sprintf("fill: %s", v.Type()))
	}
}

// TestRecordsCoverEveryField fails when dltune.Trial or dltune.Study gains a
// field that the store's records do not keep.
func TestRecordsCoverEveryField(t *testing.T) {
	var n int
	var tr dltune.Trial
	fill(reflect.ValueOf(&tr).Elem(), &n)
	if tr.Filters == nil || len(tr.Filters.Data) != 2 {
		t.Fatalf("fill left the filters %+v", tr.Filters)
	}
	tr.Filters.Shape = [4]int{1, 1, 1, 2} // as many weights as fill made
	data, err := encodeTrial(&tr, tr.Number)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeTrial(data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, &tr) {
		t.Errorf("trial round trip lost fields:\ngot  %+v\nwant %+v", got, &tr)
	}
	// A summary keeps every field but the diagnostics, events, error and
	// filters.
	sum, err := decodeTrialSummary(data)
	if err != nil {
		t.Fatal(err)
	}
	if want := summaryOf(&tr); !reflect.DeepEqual(sum, want) {
		t.Errorf("trial summary lost fields:\ngot  %+v\nwant %+v", sum, want)
	}

	var s dltune.Study
	fill(reflect.ValueOf(&s).Elem(), &n)
	data, err = encodeStudy(&s)
	if err != nil {
		t.Fatal(err)
	}
	gs, err := decodeStudy(data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gs, &s) {
		t.Errorf("study round trip lost fields:\ngot  %+v\nwant %+v", gs, &s)
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		data string
		want error
		msg  string
	}{
		{"not json", `hello`, ErrCorrupt, "decode"},
		{"truncated", `{"format":1,"number":0,"state":"runn`, ErrCorrupt, "decode"},
		{"no format", `{"number":0,"state":"running"}`, ErrCorrupt, "no format version"},
		{"format zero", `{"format":0,"number":0,"state":"running"}`, ErrCorrupt, "no format version"},
		{"future format", `{"format":7,"number":0,"state":"running"}`, ErrVersion, "store format 7 is newer than this dltune (1); upgrade dltune"},
		{"future format, new field types", `{"format":2,"number":"zero","state":{"v":1}}`, ErrVersion, "store format 2"},
		{"unknown state", `{"format":1,"number":0,"state":"sleeping"}`, ErrCorrupt, "unknown trial state"},
		{"no state", `{"format":1,"number":0}`, ErrCorrupt, "no valid state"},
		{"negative number", `{"format":1,"number":-1,"state":"running"}`, ErrCorrupt, "negative trial number"},
		{"bad float", `{"format":1,"number":0,"state":"running","curve":[{"epoch":1,"val_loss":"lots"}]}`, ErrCorrupt, "not a number"},
		{"filters of the wrong length", `{"format":1,"number":3,"state":"complete","filters":{"shape":[1,1,1,2],"epoch":1,"data":"AAAAAA=="}}`, ErrCorrupt, "trial 3: filters: 1 weights for shape [1 1 1 2] (2)"},
		{"filters of a partial float", `{"format":1,"number":0,"state":"complete","filters":{"shape":[1,1,1,1],"epoch":1,"data":"AAAA"}}`, ErrCorrupt, "not a whole number of float32s"},
		{"filters without shape", `{"format":1,"number":0,"state":"complete","filters":{"epoch":1}}`, ErrCorrupt, "bad shape [0 0 0 0]"},
		{"filters as a number", `{"format":1,"number":0,"state":"complete","filters":7}`, ErrCorrupt, "decode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeTrial([]byte(tt.data))
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("decodeTrial = %v, want %v containing %q", err, tt.want, tt.msg)
			}
		})
	}
	if _, err := decodeStudy([]byte(`{"format":2,"name":1}`)); !errors.Is(err, ErrVersion) {
		t.Errorf("decodeStudy(future) = %v, want ErrVersion", err)
	}
}

// TestFuzzSeeds writes the seed corpora of the fuzz targets with -update.
func TestFuzzSeeds(t *testing.T) {
	if !*update {
		t.Skip("run with -update to rewrite testdata/fuzz")
	}
	at := time.Date(2025, 3, 1, 12, 0, 0, 5, time.FixedZone("CET", 3600))
	diverged := testTrial(2)
	diverged.Curve[1].ValLoss = nan
	diverged.Curve[1].TrainLoss = inf
	diverged.Curve[1].Layers = []dltune.LayerStats{{Name: "d", GradMax: -inf, GradHist: []int{1, 2}, HistLow: -9}}
	diverged.State, diverged.Error, diverged.Finished = dltune.Failed, "diverged", at
	diverged.Events = []dltune.Event{{Time: at, Epoch: 2, What: "failed"}}
	params := testTrial(0)
	params.Params["b"], params.Params["i"], params.Params["f"] = dltune.Bool(true), dltune.Int(-3), dltune.Float(2)
	cnn := testTrial(2)
	cnn.State, cnn.Finished = dltune.Complete, at
	cnn.Filters = &dltune.Filters{Shape: [4]int{2, 1, 1, 2}, Epoch: 2, Data: []float32{0.5, -0.25, 1e-40, 3}}
	trials := map[string][]byte{
		"future-format":        []byte(`{"format":2,"number":0,"state":{"name":"running"}}`),
		"no-format":            []byte(`{"number":0,"state":"running"}`),
		"unknown-state":        []byte(`{"format":1,"number":0,"state":"sleeping"}`),
		"param-overflow":       []byte(`{"format":1,"number":1,"state":"running","params":{"x":1e400}}`),
		"param-beyond-2pow53":  []byte(`{"format":1,"number":1,"state":"running","params":{"x":9007199254740993}}`),
		"inf-and-null":         []byte(`{"format":1,"number":1,"state":"paused","curve":[{"epoch":1,"val_loss":"-Inf","lr":null}]}`),
		"year-zero-offset":     []byte(`{"format":1,"number":1,"state":"running","created":"0000-01-01T00:00:00-23:59"}`),
		"filters-wrong-length": []byte(`{"format":1,"number":1,"state":"complete","filters":{"shape":[1,1,1,2],"epoch":1,"data":"AAAAAA=="}}`),
		"truncated":            []byte(`{"format":1,`),
		"empty":                {},
	}
	for name, tr := range map[string]*dltune.Trial{"new": testTrial(0), "running": testTrial(3), "diverged": diverged, "params": params, "cnn": cnn} {
		data, err := encodeTrial(tr, 7)
		if err != nil {
			t.Fatal(err)
		}
		trials[name] = data
	}
	studyData, err := encodeStudy(testStudy("s"))
	if err != nil {
		t.Fatal(err)
	}
	studies := map[string][]byte{
		"valid":         studyData,
		"bad-spec":      []byte(`{"format":1,"name":"s","spec":"not base64!"}`),
		"future-format": []byte(`{"format":3,"name":"s"}`),
		"null-spec":     []byte(`{"format":1,"name":"s","spec":null,"created":"2025-01-01T00:00:00Z"}`),
	}
	writeSeeds(t, "FuzzDecodeTrial", trials)
	writeSeeds(t, "FuzzDecodeStudy", studies)
}

func writeSeeds(t *testing.T, target string, seeds map[string][]byte) {
	dir := filepath.Join("testdata", "fuzz", target)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, s := range seeds {
		data := fmt.Appendf(nil, "go test fuzz v1\n[]byte(%q)\n", s)
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// FuzzDecodeTrial checks that decoding any bytes as a trial record either
// fails with ErrCorrupt or ErrVersion or gives a trial that encodes, that
// decoding and encoding again reach a fixed point, and that a summary of
// a record is the record without its diagnostics, events and error.
func FuzzDecodeTrial(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := decodeTrialSummary(data); err != nil && !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrVersion) {
			t.Fatalf("summary: error %v matches neither ErrCorrupt nor ErrVersion", err)
		}
		tr, err := decodeTrial(data)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrVersion) {
				t.Fatalf("error %v matches neither ErrCorrupt nor ErrVersion", err)
			}
			return
		}
		enc, err := encodeTrial(tr, tr.Number)
		if err != nil {
			t.Fatalf("decoded trial does not encode: %v", err)
		}
		tr2, err := decodeTrial(enc)
		if err != nil {
			t.Fatalf("encoded trial does not decode: %v\n%s", err, enc)
		}
		enc2, err := encodeTrial(tr2, tr2.Number)
		if err != nil || !bytes.Equal(enc, enc2) {
			t.Fatalf("no fixed point:\n%s\n%s (%v)", enc, enc2, err)
		}
		sum, err := decodeTrialSummary(enc)
		if err != nil {
			t.Fatalf("encoded trial decodes whole but not as a summary: %v\n%s", err, enc)
		}
		if canon(sum) != canon(summaryOf(tr2)) {
			t.Fatalf("summary:\ngot  %s\nwant %s", canon(sum), canon(summaryOf(tr2)))
		}
	})
}

// FuzzDecodeStudy is FuzzDecodeTrial for study records.
func FuzzDecodeStudy(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := decodeStudy(data)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrVersion) {
				t.Fatalf("error %v matches neither ErrCorrupt nor ErrVersion", err)
			}
			return
		}
		enc, err := encodeStudy(s)
		if err != nil {
			t.Fatalf("decoded study does not encode: %v", err)
		}
		s2, err := decodeStudy(enc)
		if err != nil {
			t.Fatalf("encoded study does not decode: %v\n%s", err, enc)
		}
		if enc2, err := encodeStudy(s2); err != nil || !bytes.Equal(enc, enc2) {
			t.Fatalf("no fixed point:\n%s\n%s (%v)", enc, enc2, err)
		}
	})
}
