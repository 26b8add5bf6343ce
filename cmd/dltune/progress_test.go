package main

import (
	"math"
	"testing"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/study"
)

func TestTrialLine(t *testing.T) {
	status := study.Status{Budget: 12, Finished: 3, Best: 0.25, BestTrial: 1}
	curve := func(n int) []dltune.Epoch {
		var c []dltune.Epoch
		for e := 1; e <= n; e++ {
			c = append(c, dltune.Epoch{Epoch: e, ValLoss: 1 / float64(e)})
		}
		return c
	}
	lr := dltune.Params{"lr": dltune.Float(0.01)}
	tests := []struct {
		name   string
		trial  dltune.Trial
		status study.Status
		want   string
	}{
		{"one epoch", dltune.Trial{Number: 4, State: dltune.Paused, Params: lr, Curve: curve(1)}, status,
			"trial 4 paused after 1 epoch: val_loss 1 [lr=0.01] · 3/12 finished, best 0.25 (trial 1)"},
		{"epochs", dltune.Trial{Number: 5, State: dltune.Complete, Params: lr, Curve: curve(4)}, status,
			"trial 5 complete after 4 epochs: val_loss 0.25 [lr=0.01] · 3/12 finished, best 0.25 (trial 1)"},
		{"failed at once", dltune.Trial{Number: 6, State: dltune.Failed, Error: "trial 6: boom\x1b[2J", Params: lr},
			study.Status{Budget: 12, Finished: 1, Best: math.Inf(1)},
			`trial 6 failed after 0 epochs: boom\x1b[2J [lr=0.01] · 1/12 finished`},
		{"failed command", dltune.Trial{Number: 7, State: dltune.Failed, Params: lr,
			Error: "trial 7: python3 after epoch 2 of 9: exit status 1; stderr ends:\n  ...\n  Traceback (most recent call last):\n    File \"train.py\", line 3\n  ValueError: lr too large\n"},
			study.Status{Budget: 12, Finished: 1, Best: math.Inf(1)},
			`trial 7 failed after 0 epochs: python3 after epoch 2 of 9: exit status 1; stderr ends: ValueError: lr too large [lr=0.01] · 1/12 finished`},
		{"failed otherwise", dltune.Trial{Number: 8, State: dltune.Failed, Params: lr, Error: "trial 18: a\nb"},
			study.Status{Budget: 12, Finished: 1, Best: math.Inf(1)},
			`trial 8 failed after 0 epochs: trial 18: a\nb [lr=0.01] · 1/12 finished`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := trialLine(&tt.trial, tt.status); got != tt.want {
				t.Errorf("trialLine:\ngot  %s\nwant %s", got, tt.want)
			}
		})
	}
}
