package plot

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dltune/dltune"
)

func TestSampleTrials(t *testing.T) {
	var trials []*dltune.Trial
	for i := range 100 {
		// Losses fall with the number, but for every tenth trial.
		l := float64(100 - i)
		if i%10 == 0 {
			l = 0.5 + float64(i)/1000
		}
		trials = append(trials, &dltune.Trial{Number: i, Curve: []dltune.Epoch{{Epoch: 1, ValLoss: l}}})
	}
	loss := func(t *dltune.Trial) float64 { return t.Loss() }
	cases := []struct {
		n     int
		want  []int
		noted bool
	}{
		{0, nil, false},
		{100, nil, false},
		{200, nil, false},
		// The best 5: 0, 10, 20, 30, 40; then 5 of the other 95 by number,
		// every 19th of them (50, 60, 70, 80 and 90 among them).
		{10, []int{0, 1, 10, 20, 22, 30, 40, 43, 62, 81}, true},
		{1, []int{0}, true}, // no best; one other, the first by number
	}
	for _, c := range cases {
		t.Run(fmt.Sprint(c.n), func(t *testing.T) {
			got, note := sampleTrials(trials, loss, c.n)
			if c.want == nil {
				if len(got) != len(trials) || note != "" {
					t.Errorf("%d trials, note %q; want all 100 and no note", len(got), note)
				}
				return
			}
			var nums []int
			for _, tr := range got {
				nums = append(nums, tr.Number)
			}
			if fmt.Sprint(nums) != fmt.Sprint(c.want) {
				t.Errorf("drew %v, want %v", nums, c.want)
			}
			if (note != "") != c.noted || (c.noted && !strings.Contains(note, "of 100")) {
				t.Errorf("note %q", note)
			}
		})
	}
}

func TestLastTrials(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	// Trial 0 runs twice, the second time after trials 1 and 2 started.
	rs := []run{{trial: 0, start: at(0), end: at(5)}, {trial: 1, start: at(1), end: at(3)},
		{trial: 2, start: at(2), end: at(4)}, {trial: 0, start: at(6), end: at(8)}, {trial: 3, start: at(7), end: at(9)}}
	got, from, ran := lastTrials(rs, 2)
	var trials []int
	for _, r := range got {
		trials = append(trials, r.trial)
	}
	if fmt.Sprint(trials) != "[2 3]" || !from.Equal(at(2)) || ran != 4 {
		t.Errorf("lastTrials(2) = runs of %v from %v of %d, want [2 3] from %v of 4", trials, from, ran, at(2))
	}
	if got, from, ran := lastTrials(rs, 4); len(got) != len(rs) || !from.Equal(at(0)) || ran != 4 {
		t.Errorf("lastTrials(4) = %d runs from %v of %d, want all 5 from %v of 4", len(got), from, ran, at(0))
	}
}

// TestMaxTrials draws the parallel, slice and timeline plots of a study
// of 12 trials bounded to 4, and unbounded: only the bounded say so, and
// they are smaller.
func TestMaxTrials(t *testing.T) {
	src := halvingSource(t)
	for _, c := range []struct {
		kind Kind
		note string
	}{
		{Parallel, "drawn: the best 2 and 2 others evenly spread, of"},
		{Slice, "drawn: the best 2 and 2 others evenly spread, of"},
		{Timeline, "the 4 trials that started last, of 12"},
	} {
		var svg [2]bytes.Buffer
		for i, n := range []int{0, 4} {
			f, err := Render(context.Background(), src, Options{Kind: c.kind, Study: "halving", MaxTrials: n})
			if err != nil {
				t.Fatal(err)
			}
			if err := f.Write(&svg[i], "svg"); err != nil {
				t.Fatal(err)
			}
		}
		if !strings.Contains(svg[1].String(), c.note) || strings.Contains(svg[0].String(), c.note) {
			t.Errorf("%s: only the bounded plot should say %q", c.kind, c.note)
		}
		if svg[1].Len() >= svg[0].Len() {
			t.Errorf("%s: the plot of 4 trials is %d bytes, that of 12 %d", c.kind, svg[1].Len(), svg[0].Len())
		}
	}
}

// TestImportanceTrials draws the importance plot of a study whose 12
// trials compare at a rung, bounded to 6 trials, to 12 and unbounded: only
// the plot of a sample says so. (That the sample changes the importances
// is analysis's TestImportancesSample's to check.)
func TestImportanceTrials(t *testing.T) {
	src := halvingSource(t)
	const note = "from a sample of 6 of 12 trials at the rung of 1 epoch"
	var titles [3]string
	var labels [3][]string
	for i, n := range []int{0, 12, 6} {
		f, err := Render(context.Background(), src, Options{Kind: Importance, Study: "halving", Seed: 1, ImportanceTrials: n})
		if err != nil {
			t.Fatal(err)
		}
		p := f.Panels[0][0]
		titles[i] = p.Title.Text
		for _, tk := range p.Y.Tick.Marker.Ticks(p.Y.Min, p.Y.Max) {
			labels[i] = append(labels[i], tk.Label)
		}
	}
	for i, title := range titles {
		if got := strings.Contains(title, note); got != (i == 2) {
			t.Errorf("title %q: says %q %v, want %v", title, note, got, i == 2)
		}
	}
	if !slices.Equal(labels[0], labels[1]) {
		t.Errorf("bars of all 12 trials %q, bounded to 12 %q: want the same", labels[0], labels[1])
	}
	if len(labels[2]) != len(labels[0]) {
		t.Errorf("bars of a sample of 6 %q, of all 12 %q: want one per parameter", labels[2], labels[0])
	}
}
