package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/dltune/dltune"
)

// Format is the store format this package writes: the version in the meta
// bucket and in every record. A store or record with a larger format is
// refused with ErrVersion; older formats, when there are any, are read and
// upgraded.
const Format = 1

// The records below are the on-disk schema. They mirror the dltune types
// field by field so that a change to those types cannot silently change
// what is on disk: a new field is added here, and a change of meaning
// bumps Format. "format" is always the first key of a record.

// studyRecord is the stored form of a dltune.Study.
type studyRecord struct {
	Format  int       `json:"format"`
	Name    string    `json:"name"`
	File    string    `json:"file,omitempty"`
	Spec    []byte    `json:"spec"`
	Created time.Time `json:"created"`
}

// trialRecord is the stored form of a dltune.Trial.
type trialRecord struct {
	trialHead[epochRecord]
	Events  []eventRecord  `json:"events,omitempty"`
	Filters *filtersRecord `json:"filters,omitempty"`
	// Stderr: records before it have none; a summary skips it.
	Stderr string `json:"stderr,omitempty"`
}

// trialHead holds the keys of a trial record that its summary reads too,
// in the order a record stores them. E is the record of an epoch: whole
// (epochRecord), or without its diagnostics and metrics (epochHead).
// Error is here to keep the order; a summary skips it (trialSummary).
type trialHead[E interface{ epoch() dltune.Epoch }] struct {
	Format   int           `json:"format"`
	Number   int           `json:"number"`
	Params   dltune.Params `json:"params"`
	State    dltune.State  `json:"state"`
	Budget   int           `json:"budget"`
	Curve    []E           `json:"curve,omitempty"`
	Bracket  int           `json:"bracket,omitempty"`
	RetryOf  int           `json:"retry_of"`
	Error    string        `json:"error,omitempty"`
	Created  time.Time     `json:"created"`
	Started  time.Time     `json:"started,omitzero"`
	Finished time.Time     `json:"finished,omitzero"`
}

// filtersRecord is the stored form of a dltune.Filters: the weights are
// the base64 of their little-endian IEEE 754 bits, exact and compact. A
// trial summary does not decode it. Records before it have no "filters"
// key; an optional key did not need a new Format.
type filtersRecord struct {
	Shape [4]int `json:"shape"`
	Epoch int    `json:"epoch"`
	Data  []byte `json:"data,omitempty"`
}

// epochRecord is the stored form of a dltune.Epoch. Its floats may be NaN or
// infinite (a diverging trial), which plain JSON numbers cannot hold.
type epochRecord struct {
	epochHead
	Layers []layerRecord `json:"layers,omitempty"`
	// Metrics: records before them have none; a summary skips them.
	Metrics map[string]number `json:"metrics,omitempty"`
}

// epochHead is an epochRecord without its per-layer diagnostics: what a
// trial summary decodes of an epoch.
type epochHead struct {
	Epoch        int    `json:"epoch"`
	TrainLoss    number `json:"train_loss"`
	ValLoss      number `json:"val_loss"`
	ValAccuracy  number `json:"val_accuracy,omitzero"`
	HasAccuracy  bool   `json:"has_accuracy,omitempty"`
	LearningRate number `json:"lr"`
	Seconds      number `json:"seconds"`
}

// trialSummary is what decodeTrialSummary reads of a trial record: its
// head, with epochs without "layers" and "metrics". encoding/json skips
// the keys a struct has no field for, so the events, filters, stderr and
// the epochs' diagnostics are never allocated; and a field outside the
// head wins over the head's field of the same key, so Error skips the
// error message too.
type trialSummary struct {
	trialHead[epochHead]
	Error skipped `json:"error,omitempty"`
}

// skipped decodes any JSON value to nothing, allocating nothing.
type skipped struct{}

// UnmarshalJSON does nothing: the decoder has checked b already.
func (skipped) UnmarshalJSON([]byte) error { return nil }

// layerRecord is the stored form of a dltune.LayerStats.
type layerRecord struct {
	Name         string `json:"name"`
	WeightNorm   number `json:"weight_norm"`
	GradRMS      number `json:"grad_rms"`
	GradMax      number `json:"grad_max"`
	DeadFraction number `json:"dead_fraction"`
	GradHist     []int  `json:"grad_hist,omitempty"`
	HistLow      int    `json:"hist_low,omitempty"`
}

// eventRecord is the stored form of a dltune.Event.
type eventRecord struct {
	Time  time.Time `json:"time"`
	Epoch int       `json:"epoch"`
	What  string    `json:"what"`
}

// A number is a float64 that encodes NaN and the infinities as the JSON
// strings "NaN", "+Inf" and "-Inf".
type number float64

// MarshalJSON encodes f as a JSON number, or a string if it is not finite.
func (f number) MarshalJSON() ([]byte, error) {
	v := float64(f)
	switch {
	case math.IsNaN(v):
		return []byte(`"NaN"`), nil
	case math.IsInf(v, 1):
		return []byte(`"+Inf"`), nil
	case math.IsInf(v, -1):
		return []byte(`"-Inf"`), nil
	}
	return strconv.AppendFloat(nil, v, 'g', -1, 64), nil
}

// UnmarshalJSON decodes what MarshalJSON encodes; null leaves f unchanged.
func (f *number) UnmarshalJSON(b []byte) error {
	switch s := string(b); s {
	case "null":
		return nil
	case `"NaN"`:
		*f = number(math.NaN())
	case `"+Inf"`:
		*f = number(math.Inf(1))
	case `"-Inf"`:
		*f = number(math.Inf(-1))
	default:
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return fmt.Errorf("%s is not a number", s)
		}
		*f = number(v)
	}
	return nil
}

// encodeStudy returns the stored form of s.
func encodeStudy(s *dltune.Study) ([]byte, error) {
	return json.Marshal(&studyRecord{
		Format:  Format,
		Name:    s.Name,
		File:    s.File,
		Spec:    s.Spec,
		Created: s.Created,
	})
}

// decodeStudy decodes a study record written by encodeStudy.
func decodeStudy(data []byte) (*dltune.Study, error) {
	var r studyRecord
	if err := decodeRecord(data, &r, &r.Format); err != nil {
		return nil, err
	}
	return &dltune.Study{Name: r.Name, File: r.File, Spec: r.Spec, Created: r.Created}, nil
}

// encodeTrial returns the stored form of t, numbered n.
func encodeTrial(t *dltune.Trial, n int) ([]byte, error) {
	r := trialRecord{
		trialHead: trialHead[epochRecord]{
			Format:   Format,
			Number:   n,
			Params:   t.Params,
			State:    t.State,
			Budget:   t.Budget,
			Bracket:  t.Bracket,
			RetryOf:  t.RetryOf,
			Error:    t.Error,
			Created:  t.Created,
			Started:  t.Started,
			Finished: t.Finished,
		},
		Stderr: t.Stderr,
	}
	if len(t.Curve) > 0 {
		r.Curve = make([]epochRecord, len(t.Curve))
		for i, e := range t.Curve {
			r.Curve[i] = epochRecord{epochHead: epochHead{
				Epoch:        e.Epoch,
				TrainLoss:    number(e.TrainLoss),
				ValLoss:      number(e.ValLoss),
				ValAccuracy:  number(e.ValAccuracy),
				HasAccuracy:  e.HasAccuracy,
				LearningRate: number(e.LearningRate),
				Seconds:      number(e.Seconds),
			}}
			if len(e.Layers) > 0 {
				ls := make([]layerRecord, len(e.Layers))
				for j, l := range e.Layers {
					ls[j] = layerRecord{
						Name:         l.Name,
						WeightNorm:   number(l.WeightNorm),
						GradRMS:      number(l.GradRMS),
						GradMax:      number(l.GradMax),
						DeadFraction: number(l.DeadFraction),
						GradHist:     l.GradHist,
						HistLow:      l.HistLow,
					}
				}
				r.Curve[i].Layers = ls
			}
			if len(e.Metrics) > 0 {
				ms := make(map[string]number, len(e.Metrics))
				for k, v := range e.Metrics {
					ms[k] = number(v)
				}
				r.Curve[i].Metrics = ms
			}
		}
	}
	if len(t.Events) > 0 {
		r.Events = make([]eventRecord, len(t.Events))
		for i, e := range t.Events {
			r.Events[i] = eventRecord{Time: e.Time, Epoch: e.Epoch, What: e.What}
		}
	}
	if f := t.Filters; f != nil {
		r.Filters = &filtersRecord{Shape: f.Shape, Epoch: f.Epoch}
		if f.Data != nil {
			r.Filters.Data = make([]byte, 0, 4*len(f.Data))
			for _, v := range f.Data {
				r.Filters.Data = binary.LittleEndian.AppendUint32(r.Filters.Data, math.Float32bits(v))
			}
		}
	}
	return json.Marshal(&r)
}

// decodeTrial decodes a trial record written by encodeTrial.
func decodeTrial(data []byte) (*dltune.Trial, error) {
	var r trialRecord
	if err := decodeRecord(data, &r, &r.Format); err != nil {
		return nil, err
	}
	t, err := r.trialHead.trial()
	if err != nil {
		return nil, err
	}
	t.Error, t.Stderr = r.Error, r.Stderr
	for i, e := range r.Curve {
		if len(e.Layers) > 0 {
			ls := make([]dltune.LayerStats, len(e.Layers))
			for j, l := range e.Layers {
				ls[j] = dltune.LayerStats{
					Name:         l.Name,
					WeightNorm:   float64(l.WeightNorm),
					GradRMS:      float64(l.GradRMS),
					GradMax:      float64(l.GradMax),
					DeadFraction: float64(l.DeadFraction),
					GradHist:     l.GradHist,
					HistLow:      l.HistLow,
				}
			}
			t.Curve[i].Layers = ls
		}
		if len(e.Metrics) > 0 {
			ms := make(map[string]float64, len(e.Metrics))
			for k, v := range e.Metrics {
				ms[k] = float64(v)
			}
			t.Curve[i].Metrics = ms
		}
	}
	if len(r.Events) > 0 {
		t.Events = make([]dltune.Event, len(r.Events))
		for i, e := range r.Events {
			t.Events[i] = dltune.Event{Time: e.Time, Epoch: e.Epoch, What: e.What}
		}
	}
	if r.Filters != nil {
		f, err := r.Filters.filters()
		if err != nil {
			return nil, fmt.Errorf("%w: decode: trial %d: %v", ErrCorrupt, r.Number, err)
		}
		t.Filters = f
	}
	return t, nil
}

// filters returns the filters r records, checked.
func (r *filtersRecord) filters() (*dltune.Filters, error) {
	f := &dltune.Filters{Shape: r.Shape, Epoch: r.Epoch}
	if len(r.Data)%4 != 0 {
		return nil, fmt.Errorf("filters: %d bytes are not a whole number of float32s", len(r.Data))
	}
	if len(r.Data) > 0 {
		f.Data = make([]float32, len(r.Data)/4)
		for i := range f.Data {
			f.Data[i] = math.Float32frombits(binary.LittleEndian.Uint32(r.Data[4*i:]))
		}
	}
	if err := f.Check(); err != nil {
		return nil, err
	}
	return f, nil
}

// decodeTrialSummary decodes a trial record written by encodeTrial without
// its events, its error, its filters and its epochs' per-layer
// diagnostics, and checks it as decodeTrial does.
func decodeTrialSummary(data []byte) (*dltune.Trial, error) {
	var r trialSummary
	if err := decodeRecord(data, &r, &r.Format); err != nil {
		return nil, err
	}
	return r.trialHead.trial()
}

// trial returns the trial h records, checked, with its curve but without
// its error and its epochs' diagnostics.
func (h *trialHead[E]) trial() (*dltune.Trial, error) {
	if _, err := h.State.MarshalText(); err != nil {
		return nil, fmt.Errorf("%w: decode: trial has no valid state", ErrCorrupt)
	}
	if h.Number < 0 {
		return nil, fmt.Errorf("%w: decode: negative trial number %d", ErrCorrupt, h.Number)
	}
	t := &dltune.Trial{
		Number:   h.Number,
		Params:   h.Params,
		State:    h.State,
		Budget:   h.Budget,
		Bracket:  h.Bracket,
		RetryOf:  h.RetryOf,
		Created:  h.Created,
		Started:  h.Started,
		Finished: h.Finished,
	}
	if len(h.Curve) > 0 {
		t.Curve = make([]dltune.Epoch, len(h.Curve))
		for i, e := range h.Curve {
			t.Curve[i] = e.epoch()
		}
	}
	return t, nil
}

// epoch returns the epoch e records, without per-layer diagnostics.
func (e epochHead) epoch() dltune.Epoch {
	return dltune.Epoch{
		Epoch:        e.Epoch,
		TrainLoss:    float64(e.TrainLoss),
		ValLoss:      float64(e.ValLoss),
		ValAccuracy:  float64(e.ValAccuracy),
		HasAccuracy:  e.HasAccuracy,
		LearningRate: float64(e.LearningRate),
		Seconds:      float64(e.Seconds),
	}
}

// decodeRecord decodes data into r and checks the format version that
// decoding stored in *format. A record from a newer format is reported as
// such even when the rest of it does not decode: the format is the first
// key, and json.Unmarshal fills it before it meets a field it cannot read.
func decodeRecord(data []byte, r any, format *int) error {
	err := json.Unmarshal(data, r)
	switch {
	case *format > Format:
		return &versionError{format: *format}
	case err != nil:
		return fmt.Errorf("%w: decode: %v", ErrCorrupt, err)
	case *format < 1:
		return fmt.Errorf("%w: decode: record has no format version", ErrCorrupt)
	}
	return nil
}
