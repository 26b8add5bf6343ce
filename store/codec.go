package store

import "github.com/dltune/dltune"

// The record codec, exported so that other stores (store/postgres) keep
// the same records as this one: what one store holds, another reads, and
// a copy between them changes no byte of a record.

// EncodeStudy returns the stored record of s: a JSON object whose first
// key is "format", Format.
func EncodeStudy(s *dltune.Study) ([]byte, error) { return encodeStudy(s) }

// DecodeStudy decodes a record EncodeStudy wrote. It fails with an error
// matching ErrVersion for a record of a newer format, and ErrCorrupt for
// one that does not decode.
func DecodeStudy(data []byte) (*dltune.Study, error) { return decodeStudy(data) }

// EncodeTrial returns the stored record of t, under number n. Floats that
// are not finite are the strings "NaN", "+Inf" and "-Inf".
func EncodeTrial(t *dltune.Trial, n int) ([]byte, error) { return encodeTrial(t, n) }

// DecodeTrial decodes a record EncodeTrial wrote, with the errors of
// DecodeStudy.
func DecodeTrial(data []byte) (*dltune.Trial, error) { return decodeTrial(data) }

// DecodeTrialSummary decodes a record EncodeTrial wrote without its
// events, error, filters and per-layer diagnostics, which it skips rather
// than decodes: what TrialSummaries returns.
func DecodeTrialSummary(data []byte) (*dltune.Trial, error) { return decodeTrialSummary(data) }
