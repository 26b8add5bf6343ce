package core

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
)

// IDXType is the element type code of an IDX file (the third byte of its
// header).
type IDXType byte

// The element types of the IDX format. Multi-byte elements are big-endian.
const (
	IDXUint8   IDXType = 0x08 // unsigned byte
	IDXInt8    IDXType = 0x09 // signed byte
	IDXInt16   IDXType = 0x0B // 2-byte signed integer
	IDXInt32   IDXType = 0x0C // 4-byte signed integer
	IDXFloat32 IDXType = 0x0D // 4-byte IEEE 754 float
	IDXFloat64 IDXType = 0x0E // 8-byte IEEE 754 float
)

// Size returns the size of one element in bytes, or 0 for an unknown type.
func (t IDXType) Size() int {
	switch t {
	case IDXUint8, IDXInt8:
		return 1
	case IDXInt16:
		return 2
	case IDXInt32, IDXFloat32:
		return 4
	case IDXFloat64:
		return 8
	}
	return 0
}

// String returns the type's name as the IDX description spells it (ubyte,
// byte, short, int, float, double).
func (t IDXType) String() string {
	switch t {
	case IDXUint8:
		return "ubyte"
	case IDXInt8:
		return "byte"
	case IDXInt16:
		return "short"
	case IDXInt32:
		return "int"
	case IDXFloat32:
		return "float"
	case IDXFloat64:
		return "double"
	}
	return fmt.Sprintf("idxtype(0x%02X)", byte(t))
}

// isInteger reports whether t is one of the integer element types.
func (t IDXType) isInteger() bool {
	return t == IDXUint8 || t == IDXInt8 || t == IDXInt16 || t == IDXInt32
}

// An IDX is the content of one IDX file: a dense row-major array of
// elements of one type, as used by MNIST and Fashion-MNIST.
type IDX struct {
	// Type is the element type.
	Type IDXType
	// Dims are the array's dimensions, outermost (the sample count) first.
	Dims []int
	// Data holds the elements as stored in the file: big-endian,
	// Type.Size() bytes each, len(Data) == Len()*Type.Size().
	Data []byte
}

// Len returns the number of elements, the product of Dims. Len, At and
// Float32s panic if Type is not one of the IDX element types.
func (x *IDX) Len() int {
	size := x.Type.Size()
	if size == 0 {
		panic(fmt.Sprintf("core: IDX of unknown element type %v", x.Type))
	}
	return len(x.Data) / size
}

// At returns element i (in row-major order) converted exactly to float64.
// It panics if i is out of range.
func (x *IDX) At(i int) float64 {
	d := x.Data
	switch x.Type {
	case IDXUint8:
		return float64(d[i])
	case IDXInt8:
		return float64(int8(d[i]))
	case IDXInt16:
		return float64(int16(binary.BigEndian.Uint16(d[2*i:])))
	case IDXInt32:
		return float64(int32(binary.BigEndian.Uint32(d[4*i:])))
	case IDXFloat32:
		return float64(math.Float32frombits(binary.BigEndian.Uint32(d[4*i:])))
	case IDXFloat64:
		return math.Float64frombits(binary.BigEndian.Uint64(d[8*i:]))
	}
	panic(fmt.Sprintf("core: IDX of unknown element type %v", x.Type))
}

// Float32s returns all elements converted to float32 in one new slice.
// Integers beyond ±2^24 and doubles lose precision as float32 conversion
// implies.
func (x *IDX) Float32s() []float32 {
	n := x.Len()
	out := make([]float32, n)
	d := x.Data
	switch x.Type {
	case IDXUint8:
		d = d[:n]
		for i, b := range d {
			out[i] = float32(b)
		}
	case IDXInt8:
		d = d[:n]
		for i, b := range d {
			out[i] = float32(int8(b))
		}
	case IDXInt16:
		for i := range out {
			out[i] = float32(int16(binary.BigEndian.Uint16(d[2*i:])))
		}
	case IDXInt32:
		for i := range out {
			out[i] = float32(int32(binary.BigEndian.Uint32(d[4*i:])))
		}
	case IDXFloat32:
		for i := range out {
			out[i] = math.Float32frombits(binary.BigEndian.Uint32(d[4*i:]))
		}
	case IDXFloat64:
		for i := range out {
			out[i] = float32(math.Float64frombits(binary.BigEndian.Uint64(d[8*i:])))
		}
	}
	return out
}

// ReadIDX reads one IDX file from r, plain or gzip-compressed (recognized by
// the gzip magic bytes, not by a name). It reads r to its end: data after
// the elements the header announces is an error, as are an unknown magic or
// type, a truncated file and a corrupt gzip stream. It is safe to call
// concurrently on different readers.
//
// Memory grows with the data actually read, never with what the header
// claims: when r's remaining size is known (an *os.File, *bytes.Reader,
// *strings.Reader or *bytes.Buffer) a header that does not match it is
// rejected before anything is allocated; otherwise the buffer grows as the
// data arrives.
func ReadIDX(r io.Reader) (*IDX, error) {
	return readIDX(r, "items", idxLimit{max: idxMaxBytes})
}

// idxMaxDims bounds the dimension count of an IDX header. The format
// allows 255; real files have 1 to 4.
const idxMaxDims = 16

// idxMaxBytes bounds the data size an IDX header may declare (32 GiB).
const idxMaxBytes = 1 << 35

// idxChunk is the smallest first buffer when the data's size is not known
// in advance; the buffer doubles from there up to the announced size.
const idxChunk = 1 << 20

// idxGzipRatio bounds the first data buffer of a gzip stream: up to
// idxGzipRatio times the compressed size is allocated at once. That holds
// real image files, which compress far less than 8:1, in one allocation.
// It also bounds what a forged header in a small file can make ReadIDX
// allocate before the data arrives.
const idxGzipRatio = 8

// An idxLimit bounds the memory an IDX file may take: the data the header
// declares, plus perElem bytes per element for a copy the caller makes,
// plus reserved bytes taken already, at most max bytes.
type idxLimit struct {
	max, reserved int64
	perElem       int
}

// readIDX is ReadIDX naming the outermost dimension noun ("images",
// "labels", "items") in its errors, within the memory limit lim.
func readIDX(r io.Reader, noun string, lim idxLimit) (*IDX, error) {
	size := dataReaderSize(r)
	br := bufio.NewReaderSize(r, 64<<10)
	src, gz, err := gunzipIfGzip(br)
	if err != nil {
		return nil, err
	}
	first := int64(idxChunk) // first buffer size for data of unknown size
	if gz != nil {
		defer gz.Close()
		if size > 0 {
			first = max(first, idxGzipRatio*size)
		}
		size = -1 // the decompressed size is unknown
	}

	var head [4]byte
	if _, err := io.ReadFull(src, head[:]); err == io.EOF {
		return nil, errors.New("empty file, want an IDX header")
	} else if err != nil {
		return nil, idxReadErr(err, "header: want 4 magic bytes")
	}
	if head[0] != 0 || head[1] != 0 {
		return nil, fmt.Errorf("not an IDX file: magic bytes are % X, want 00 00 then type and dimension count", head[:])
	}
	typ := IDXType(head[2])
	esize := typ.Size()
	if esize == 0 {
		return nil, fmt.Errorf("unknown IDX element type 0x%02X: want one of 0x08 ubyte, 0x09 byte, 0x0B short, 0x0C int, 0x0D float, 0x0E double", head[2])
	}
	ndims := int(head[3])
	if ndims == 0 || ndims > idxMaxDims {
		return nil, fmt.Errorf("IDX header has %d dimensions, want 1 to %d", ndims, idxMaxDims)
	}
	dimBytes := make([]byte, 4*ndims)
	if _, err := io.ReadFull(src, dimBytes); err != nil {
		return nil, idxReadErr(err, fmt.Sprintf("header: want %d dimension sizes", ndims))
	}
	dims := make([]int, ndims)
	for i := range dims {
		d := uint64(binary.BigEndian.Uint32(dimBytes[4*i:]))
		if d > math.MaxInt {
			return nil, fmt.Errorf("IDX header: dimension %d is %d, too large for this platform", i+1, d)
		}
		dims[i] = int(d)
	}
	// total is the number of data bytes, bounded so that it fits an int
	// and a slice on every platform.
	total := int64(esize)
	for _, d := range dims {
		if d != 0 && total > idxMaxBytes/int64(d) {
			return nil, fmt.Errorf("IDX header declares %s elements of %v: more than %d GiB", idxShape(dims), typ, idxMaxBytes>>30)
		}
		total *= int64(d)
	}
	// Neither term can overflow: total <= idxMaxBytes.
	if need := lim.reserved + total + total/int64(esize)*int64(lim.perElem); need > lim.max {
		each := int64(1)
		for _, d := range dims[1:] {
			each *= int64(d)
		}
		return nil, fmt.Errorf("header declares %d %s of %d %v each, %s in memory, more than the size limit of %s",
			dims[0], noun, each, typ, byteSize(need), byteSize(lim.max))
	}
	if int64(int(total)) != total {
		return nil, fmt.Errorf("IDX header declares %s of %v: %d bytes, too many for this platform", idxShape(dims), typ, total)
	}
	if size >= 0 {
		size -= int64(4 + 4*ndims)
		if size != total {
			return nil, idxSizeErr(noun, dims, typ, total, size)
		}
		first = total
	}
	data, err := readIDXData(src, int(total), int(min(first, total)))
	if err != nil {
		var short idxShortError
		if errors.As(err, &short) {
			return nil, idxSizeErr(noun, dims, typ, total, short.got)
		}
		return nil, err
	}
	return &IDX{Type: typ, Dims: dims, Data: data}, nil
}

// idxShortError reports that the data ended after got bytes, or that more
// followed (got > the announced size).
type idxShortError struct{ got int64 }

func (e idxShortError) Error() string { return fmt.Sprintf("data has %d bytes", e.got) }

// readIDXData reads exactly n bytes from r and checks that r ends there.
// Its buffer starts at first bytes and doubles as data arrives.
func readIDXData(r io.Reader, n, first int) ([]byte, error) {
	buf := make([]byte, first)
	got := 0
	for {
		k, err := io.ReadFull(r, buf[got:])
		got += k
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil, idxShortError{got: int64(got)}
		}
		if err != nil {
			return nil, fmt.Errorf("read IDX data after %d bytes: %w", got, err)
		}
		if got == n {
			break
		}
		nb := make([]byte, min(2*len(buf), n))
		copy(nb, buf)
		buf = nb
	}
	// The stream must end here. Reading to the end also makes a gzip
	// reader verify its checksum.
	var extra [1]byte
	for {
		k, err := r.Read(extra[:])
		if k > 0 {
			return nil, idxShortError{got: int64(got) + 1}
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read IDX data after %d bytes: %w", got, err)
		}
	}
}

// idxSizeErr describes a data section whose size (got bytes) differs from
// the header's total bytes.
func idxSizeErr(noun string, dims []int, typ IDXType, total, got int64) error {
	per := total
	if dims[0] > 0 {
		per = total / int64(dims[0])
	}
	if got > total {
		return fmt.Errorf("header says %d %s (%d bytes of %v), file holds more data", dims[0], noun, total, typ)
	}
	if per == 0 {
		return fmt.Errorf("header says %d %s (%d bytes of %v), file holds %d bytes", dims[0], noun, total, typ, got)
	}
	whole, part := got/per, got%per
	if part == 0 {
		return fmt.Errorf("header says %d %s, file holds %d", dims[0], noun, whole)
	}
	return fmt.Errorf("header says %d %s, file holds %d and %d of the %d bytes of the next", dims[0], noun, whole, part, per)
}

// idxReadErr wraps an error met while reading the header.
func idxReadErr(err error, what string) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return fmt.Errorf("truncated IDX %s", what)
	}
	return fmt.Errorf("read IDX %s: %w", what, err)
}

// idxShape formats dims as 60000×28×28.
func idxShape(dims []int) string {
	var b strings.Builder
	for i, d := range dims {
		if i > 0 {
			b.WriteString("×")
		}
		fmt.Fprint(&b, d)
	}
	return b.String()
}
