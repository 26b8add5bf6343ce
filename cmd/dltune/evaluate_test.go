package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEvaluateOneClass scores a model on test data that holds one of its
// classes only, as a small or filtered test set may: the others have no
// support, and the accuracy is that class's recall.
func TestEvaluateOneClass(t *testing.T) {
	lines := strings.Split(strings.TrimSpace(string(mustRead(t, "testdata/blobs-test.csv"))), "\n")
	var amber []string
	for _, l := range lines[1:] {
		if strings.HasPrefix(l, "amber,") {
			amber = append(amber, l)
		}
	}
	if len(amber) < 5 {
		t.Fatalf("only %d amber rows in blobs-test.csv", len(amber))
	}
	in := filepath.Join(t.TempDir(), "amber.csv")
	if err := os.WriteFile(in, []byte(lines[0]+"\n"+strings.Join(amber, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := cli(t, context.Background(), "evaluate", "-m", "testdata/blobs.dltm", in, "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var ev struct {
		Samples  int     `json:"samples"`
		Accuracy float64 `json:"accuracy"`
		Classes  []struct {
			Label   string `json:"label"`
			Support int    `json:"support"`
		} `json:"classes"`
	}
	if err := json.Unmarshal([]byte(out), &ev); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	support := map[string]int{}
	for _, c := range ev.Classes {
		support[c.Label] = c.Support
	}
	if ev.Samples != len(amber) || support["amber"] != len(amber) || len(ev.Classes) < 2 || ev.Accuracy <= 0 {
		t.Errorf("evaluate: %d samples, supports %v, accuracy %v; want %d amber samples among the model's classes", ev.Samples, support, ev.Accuracy, len(amber))
	}
}
