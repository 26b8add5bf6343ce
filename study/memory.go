package study

import (
	"fmt"
	"math"
	"strings"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/core"
	"github.com/dltune/dltune/internal/sysmem"
	"github.com/dltune/dltune/studyfile"
)

// A MemoryLimit is the memory a study may use: its data and the trials it
// runs at once, together.
//
// The limit is shared out simply, so that whether a trial fits never
// depends on which others happen to run beside it: the data takes what it
// takes, and each of the trials run at once (the study's parallelism) may
// use an equal share of the rest. A trial whose estimated memory (see
// core.Config.EstimateMemory) exceeds its share fails before it allocates
// anything, with a MemoryError; the study goes on. The data loaders may
// read at most half the limit, since splitting the loaded set copies it.
type MemoryLimit struct {
	// Bytes is the limit. 0 means the memory the process can still use
	// when Prepare runs (package sysmem reads it); where that is unknown,
	// nothing is checked.
	Bytes int64
	// Source says where Bytes comes from, for messages:
	// "--max-memory", "/proc/meminfo MemAvailable". Prepare sets it when
	// it reads the figure itself.
	Source string
	// Hint, if not empty, ends the errors that quote the limit, saying how
	// to change it: "set --max-memory or DLTUNE_MAX_MEMORY".
	Hint string
}

// PrepareOptions tune Prepare.
type PrepareOptions struct {
	// Memory bounds the memory the study may use.
	Memory MemoryLimit
}

// A MemoryError reports a trial whose training needs more memory, by
// estimate, than its share of the study's limit.
type MemoryError struct {
	// Estimate is the trial's: what its trainer allocates, with the two
	// copies of its checkpoint that the store may make while it writes it.
	Estimate core.MemoryEstimate
	// Share is what one trial may use: the limit less the data, divided
	// among the Parallel trials run at once.
	Share    int64
	Limit    MemoryLimit
	Data     int64 // the memory the training and validation sets take
	Parallel int
}

// Error says what the trial needs and what it may use, e.g. "needs an
// estimated 64.3 GiB (parameters 16.2 GiB, ...), more than the 19.9 GiB a
// trial may use (20.0 GiB from /proc/meminfo MemAvailable, less 61.4 MiB of
// data; set --max-memory or DLTUNE_MAX_MEMORY)".
func (e *MemoryError) Error() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "needs an estimated %s, more than the %s a trial may use (%s from %s",
		e.Estimate, formatBytes(e.Share), formatBytes(e.Limit.Bytes), e.Limit.Source)
	if e.Data > 0 {
		fmt.Fprintf(&sb, ", less %s of data", formatBytes(e.Data))
	}
	if e.Parallel > 1 {
		fmt.Fprintf(&sb, ", shared by %d trials at once", e.Parallel)
	}
	if e.Limit.Hint != "" {
		sb.WriteString("; " + e.Limit.Hint)
	}
	sb.WriteString(")")
	return sb.String()
}

// memoryLimit returns m, or with m.Bytes 0 the memory the process can
// still use; Bytes is 0 in the result where that is unknown.
func memoryLimit(m MemoryLimit) MemoryLimit {
	if m.Bytes > 0 {
		return m
	}
	avail, err := sysmem.Available()
	if err != nil {
		return MemoryLimit{Hint: m.Hint}
	}
	m.Bytes = int64(min(avail.Bytes, math.MaxInt64))
	m.Source = avail.Source
	return m
}

// dataLimit is the most the data loaders may read under limit (0: their
// default): half, since the split copies what they load.
func dataLimit(limit int64) int64 {
	if limit <= 0 {
		return 0
	}
	return max(limit/2, 1)
}

// dataBytes returns the memory the data sets' values take.
func dataBytes(sets ...*core.Dataset) int64 {
	var n int64
	for _, d := range sets {
		n += 4 * int64(len(d.X.Data)+len(d.Y.Data))
	}
	return n
}

// syntheticBytes returns the memory a synthetic data set of d takes.
func syntheticBytes(d studyfile.DataSpec) int64 {
	features := int64(max(d.Features, 2))
	return 4 * int64(d.Samples) * (features + 1)
}

// Memory returns the limit the study's trials are checked against; its
// Bytes is 0 when nothing is checked (the available memory is unknown and
// no limit was given).
func (p *Prepared) Memory() MemoryLimit { return p.mem }

// estimate returns the memory training c takes on the study's data.
func (p *Prepared) estimate(c core.Config) (core.MemoryEstimate, error) {
	e, err := c.EstimateMemory(core.ShapeOf(p.train, p.val))
	if err != nil {
		return e, err
	}
	// The store may hold two more copies of a checkpoint while it writes
	// it: bbolt copies a value into its pages, and copies it again when
	// its file map grows (measured: a 591 MiB checkpoint allocated 1.16
	// GiB in store.DB.SaveCheckpoint). A resumed trial holds the one it
	// read, one copy less than that.
	e.Checkpoint = min(e.Checkpoint, math.MaxInt64/3) * 3
	if p.spec.Search.KeepWeights > 0 {
		// A new best epoch's model file, as large as the parameters,
		// is written with the checkpoint and copied as it is; the
		// estimate's checkpoint counts it.
		e.Checkpoint += min(e.Parameters, math.MaxInt64/12) * 3
	}
	return e, nil
}

// share returns what each of parallel trials may use.
func (p *Prepared) share(parallel int) int64 {
	if p.mem.Bytes <= p.data {
		return 0
	}
	return (p.mem.Bytes - p.data) / int64(max(parallel, 1))
}

// fits returns a MemoryError if e exceeds a trial's share with parallel
// trials at once.
func (p *Prepared) fits(e core.MemoryEstimate, parallel int) error {
	if p.mem.Bytes <= 0 {
		return nil
	}
	if s := p.share(parallel); e.Total() > s {
		return &MemoryError{Estimate: e, Share: s, Limit: p.mem, Data: p.data, Parallel: max(parallel, 1)}
	}
	return nil
}

// parallel returns the trials run at once under opt.
func (p *Prepared) parallel(opt Options) int {
	if opt.Parallel > 0 {
		return opt.Parallel
	}
	return p.spec.Search.Parallel
}

// Check returns an error if no trial of the study can run under opt: when
// training takes the same memory in every trial (see
// studyfile.Spec.FixedSize) and that is more than a trial's share of the
// limit. Run calls it before it touches the store; a front end that
// creates a store file may call it before that.
func (p *Prepared) Check(opt Options) error {
	if p.fixed == nil {
		return nil
	}
	if err := p.fits(*p.fixed, p.parallel(opt)); err != nil {
		return fmt.Errorf("%s: every trial %w", p.spec.File, err)
	}
	return nil
}

// admit returns the loop's check of a trial before it starts, with
// parallel trials at once: a MemoryError if the trial's training cannot
// fit. A configuration that does not resolve or estimate passes, for the
// objective to report.
func (p *Prepared) admit(parallel int) func(dltune.Params) error {
	if p.mem.Bytes <= 0 {
		return nil
	}
	return func(params dltune.Params) error {
		c, err := p.spec.Resolve(params, 0)
		if err != nil {
			return nil
		}
		e, err := p.estimate(c)
		if err != nil {
			return nil
		}
		if err := p.fits(e, parallel); err != nil {
			return fmt.Errorf("training %w", err)
		}
		return nil
	}
}

// formatBytes formats n as core's estimates do: "512 bytes", "1.5 GiB".
func formatBytes(n int64) string { return core.Bytes(n).String() }

// dataLimitText says where the data limit comes from.
func dataLimitText(limit int64, mem MemoryLimit) string {
	if mem.Bytes <= 0 {
		return fmt.Sprintf("%s, the loaders' default", formatBytes(limit))
	}
	s := fmt.Sprintf("%s, half the %s from %s", formatBytes(limit), formatBytes(mem.Bytes), mem.Source)
	if mem.Hint != "" {
		s += "; " + mem.Hint
	}
	return s
}
