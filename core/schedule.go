package core

import (
	"fmt"
	"math"
)

type schedKind uint8

const (
	schedConstant schedKind = iota + 1
	schedStep
	schedCosine
)

var schedNames = [...]string{schedConstant: "constant", schedStep: "step", schedCosine: "cosine"}

// parseSchedKind returns the schedule kind called name, or 0.
func parseSchedKind(name string) schedKind {
	for k, n := range schedNames {
		if n != "" && n == name {
			return schedKind(k)
		}
	}
	return 0
}

// schedule gives the learning rate of every batch from the fractional
// epoch e = completed epochs + batch/batches (the progress at the start of
// the batch):
//
//	constant: lr
//	step:     lr·γ^⌊e/StepEpochs⌋
//	cosine:   min + (lr-min)·(1+cos(π·min(e/Epochs, 1)))/2
//
// times the warm-up factor min(1, (batches done + 1)/(WarmupEpochs·batches)),
// which ramps the rate linearly from lr/(WarmupEpochs·batches) at the first
// batch to the scheduled value.
type schedule struct {
	kind       schedKind
	base       float64
	stepEpochs int
	gamma      float64
	minRate    float64
	warmup     int
	epochs     int
}

func newSchedule(c *ScheduleConfig, lr float64, epochs int) schedule {
	s := schedule{base: lr, stepEpochs: c.StepEpochs, gamma: c.Gamma, minRate: c.MinRate,
		warmup: c.WarmupEpochs, epochs: epochs}
	s.kind = parseSchedKind(c.Kind)
	if c.Kind == "" {
		s.kind = schedConstant
	}
	if s.stepEpochs == 0 {
		s.stepEpochs = 10
	}
	if s.gamma == 0 {
		s.gamma = 0.1
	}
	return s
}

// validate checks a ScheduleConfig given the base learning rate, naming the
// field at fault.
func (c *ScheduleConfig) validate(lr float64) error {
	if c.Kind != "" && parseSchedKind(c.Kind) == 0 {
		return fmt.Errorf("schedule.kind: unknown schedule %q (want %s)", c.Kind, oneOf(Schedules()))
	}
	if c.StepEpochs < 0 {
		return fmt.Errorf("schedule.step_epochs: %d is negative", c.StepEpochs)
	}
	if !(c.Gamma >= 0) || math.IsInf(c.Gamma, 0) {
		return fmt.Errorf("schedule.gamma: %v is not a finite number >= 0", c.Gamma)
	}
	if !(c.MinRate >= 0 && c.MinRate <= lr) {
		return fmt.Errorf("schedule.min_rate: %v is not in [0, learning rate %v]", c.MinRate, lr)
	}
	if c.WarmupEpochs < 0 {
		return fmt.Errorf("schedule.warmup_epochs: %d is negative", c.WarmupEpochs)
	}
	return nil
}

// rate returns the learning rate for batch (0-based) of batches in the
// epoch after epoch completed ones.
func (s *schedule) rate(epoch, batch, batches int) float64 {
	e := float64(epoch) + float64(batch)/float64(batches)
	var lr float64
	switch s.kind {
	case schedStep:
		lr = s.base * math.Pow(s.gamma, math.Floor(e/float64(s.stepEpochs)))
	case schedCosine:
		p := min(e/float64(s.epochs), 1)
		lr = s.minRate + (s.base-s.minRate)*(1+math.Cos(math.Pi*p))/2
	default:
		lr = s.base
	}
	if s.warmup > 0 {
		done := float64(epoch)*float64(batches) + float64(batch) + 1
		if f := done / (float64(s.warmup) * float64(batches)); f < 1 {
			lr *= f
		}
	}
	return lr
}
