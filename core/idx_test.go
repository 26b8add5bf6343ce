package core

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// idxFile returns the bytes of an IDX file with the given header and data.
func idxFile(typ IDXType, dims []int, data []byte) []byte {
	b := []byte{0, 0, byte(typ), byte(len(dims))}
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, uint32(d))
	}
	return append(b, data...)
}

// idxGzip returns b gzip-compressed.
func idxGzip(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// idxWrite writes b to a file named name in dir and returns its path.
func idxWrite(t testing.TB, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// idxOpaque hides a reader's concrete type so that ReadIDX cannot know its
// size.
type idxOpaque struct{ r io.Reader }

func (o idxOpaque) Read(p []byte) (int, error) { return o.r.Read(p) }

func TestReadIDXTypes(t *testing.T) {
	be16 := func(v int16) []byte { return binary.BigEndian.AppendUint16(nil, uint16(v)) }
	be32 := func(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
	cat := func(bs ...[]byte) []byte { return bytes.Join(bs, nil) }
	tests := []struct {
		name string
		typ  IDXType
		data []byte
		want []float64
	}{
		{"ubyte", IDXUint8, []byte{0, 1, 128, 255}, []float64{0, 1, 128, 255}},
		{"byte", IDXInt8, []byte{0, 1, 0x80, 0xFF}, []float64{0, 1, -128, -1}},
		{"short", IDXInt16, cat(be16(0), be16(300), be16(-2), be16(math.MaxInt16)), []float64{0, 300, -2, math.MaxInt16}},
		{"int", IDXInt32, cat(be32(0), be32(70000), be32(uint32(0xFFFFFFFF)), be32(1<<31)), []float64{0, 70000, -1, math.MinInt32}},
		{"float", IDXFloat32, cat(be32(math.Float32bits(0.5)), be32(math.Float32bits(-3)), be32(math.Float32bits(1e6)), be32(0)), []float64{0.5, -3, 1e6, 0}},
		{"double", IDXFloat64, cat(binary.BigEndian.AppendUint64(nil, math.Float64bits(0.25)), binary.BigEndian.AppendUint64(nil, math.Float64bits(-1e-3)),
			binary.BigEndian.AppendUint64(nil, math.Float64bits(7)), binary.BigEndian.AppendUint64(nil, math.Float64bits(2.5))), []float64{0.25, -1e-3, 7, 2.5}},
	}
	for _, tt := range tests {
		for _, gz := range []bool{false, true} {
			name := tt.name
			file := idxFile(tt.typ, []int{2, 2}, tt.data)
			if gz {
				name += "/gzip"
				file = idxGzip(t, file)
			}
			t.Run(name, func(t *testing.T) {
				x, err := ReadIDX(bytes.NewReader(file))
				if err != nil {
					t.Fatal(err)
				}
				if x.Type != tt.typ || len(x.Dims) != 2 || x.Dims[0] != 2 || x.Dims[1] != 2 || x.Len() != 4 {
					t.Fatalf("got type %v dims %v len %d, want %v [2 2] 4", x.Type, x.Dims, x.Len(), tt.typ)
				}
				f32 := x.Float32s()
				for i, w := range tt.want {
					if got := x.At(i); got != w {
						t.Errorf("At(%d) = %v, want %v", i, got, w)
					}
					if f32[i] != float32(w) {
						t.Errorf("Float32s()[%d] = %v, want %v", i, f32[i], float32(w))
					}
				}
			})
		}
	}
}

func TestReadIDXUnknownSize(t *testing.T) {
	// More than idxChunk bytes, read through a reader of unknown size, so
	// that the buffer has to grow.
	data := make([]byte, 2*idxChunk+17)
	for i := range data {
		data[i] = byte(i * 7)
	}
	file := idxFile(IDXUint8, []int{len(data)}, data)
	for name, r := range map[string]io.Reader{
		"plain": idxOpaque{bytes.NewReader(file)},
		"gzip":  bytes.NewReader(idxGzip(t, file)),
	} {
		t.Run(name, func(t *testing.T) {
			x, err := ReadIDX(r)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(x.Data, data) {
				t.Fatal("data differs from what was written")
			}
		})
	}
}

// TestReadIDXFileOffset reads an IDX file that starts partway into an open
// file, whose remaining size ReadIDX computes from the offset.
func TestReadIDXFileOffset(t *testing.T) {
	imgs, _ := idxFixture()
	p := idxWrite(t, t.TempDir(), "packed", append([]byte("prefix"), idxFile(IDXUint8, []int{5, 6}, imgs)...))
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Seek(int64(len("prefix")), io.SeekStart); err != nil {
		t.Fatal(err)
	}
	x, err := ReadIDX(f)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(x.Data, imgs) {
		t.Errorf("data %v, want %v", x.Data, imgs)
	}
}

func TestReadIDXErrors(t *testing.T) {
	ok := idxFile(IDXUint8, []int{3, 2}, []byte{1, 2, 3, 4, 5, 6})
	corrupt := idxGzip(t, ok)
	corrupt[len(corrupt)-6] ^= 0xFF // the CRC-32 in the trailer
	tests := []struct {
		name string
		file []byte
		want string
	}{
		{"empty", nil, "empty file"},
		{"short magic", []byte{0, 0, 8}, "truncated IDX header"},
		{"bad magic", []byte{1, 0, 8, 1, 0, 0, 0, 0}, "magic bytes are 01 00 08 01"},
		{"text file", []byte("label,x\n1,2\n"), "not an IDX file"},
		{"unknown type", idxFile(0x0A, []int{1}, []byte{0}), "unknown IDX element type 0x0A"},
		{"no dimensions", []byte{0, 0, 8, 0}, "0 dimensions, want 1 to 16"},
		{"too many dimensions", []byte{0, 0, 8, 17}, "17 dimensions"},
		{"truncated dims", []byte{0, 0, 8, 3, 0, 0, 0, 1, 0, 0}, "truncated IDX header: want 3 dimension sizes"},
		{"short data", ok[:len(ok)-1], "header says 3 items, file holds 2 and 1 of the 2 bytes of the next"},
		{"whole items missing", ok[:len(ok)-4], "header says 3 items, file holds 1"},
		{"trailing data", append(ok[:len(ok):len(ok)], 9), "header says 3 items (6 bytes of ubyte), file holds more data"},
		{"huge header", idxFile(IDXInt32, []int{1 << 20, 1 << 20}, nil), "more than 32 GiB"},
		{"gzip short data", idxGzip(t, ok[:len(ok)-3]), "header says 3 items, file holds 1 and 1 of the 2 bytes"},
		{"gzip trailing data", idxGzip(t, append(ok[:len(ok):len(ok)], 1, 2)), "file holds more data"},
		{"gzip corrupt", corrupt, "checksum"},
		{"gzip bad header", []byte{0x1f, 0x8b, 0}, "gzip header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadIDX(bytes.NewReader(tt.file))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ReadIDX error %v, want one containing %q", err, tt.want)
			}
			// The same error when the size is not known in advance.
			_, err = ReadIDX(idxOpaque{bytes.NewReader(tt.file)})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ReadIDX of unknown size: error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// TestReadIDXHugeHeaderAllocation checks that a header announcing 16 GiB
// in front of a few bytes costs a few MiB, not 16 GiB.
func TestReadIDXHugeHeaderAllocation(t *testing.T) {
	file := idxFile(IDXUint8, []int{1 << 24, 1 << 10}, make([]byte, 100))
	for name, r := range map[string]func() io.Reader{
		"sized":   func() io.Reader { return bytes.NewReader(file) },
		"unsized": func() io.Reader { return idxOpaque{bytes.NewReader(file)} },
		"gzip":    func() io.Reader { return bytes.NewReader(idxGzip(t, file)) },
	} {
		t.Run(name, func(t *testing.T) {
			r := r()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := ReadIDX(r)
			runtime.ReadMemStats(&after)
			if err == nil || !strings.Contains(err.Error(), "header says 16777216 items, file holds 0") {
				t.Fatalf("error %v, want a truncation error", err)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
				t.Errorf("allocated %d bytes for a %d-byte file", alloc, len(file))
			}
		})
	}
}

func TestLoadIDX(t *testing.T) {
	tests := []struct {
		name           string
		images, labels string
	}{
		{"plain", "testdata/idx/images-idx3-ubyte", "testdata/idx/labels-idx1-ubyte"},
		{"gzip", "testdata/idx/images-idx3-ubyte.gz", "testdata/idx/labels-idx1-ubyte.gz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := LoadIDX(tt.images, tt.labels, IDXOptions{})
			if err != nil {
				t.Fatal(err)
			}
			imgs, labs := idxFixture()
			if d.Task != Classification || d.Classes != 4 || d.Len() != 5 || d.X.Cols != 6 || d.Y.Cols != 1 {
				t.Fatalf("got task %v classes %d, X %d×%d, Y %d×%d; want classification, 4, 5×6, 5×1",
					d.Task, d.Classes, d.X.Rows, d.X.Cols, d.Y.Rows, d.Y.Cols)
			}
			for i, v := range imgs {
				if d.X.Data[i] != float32(v) {
					t.Fatalf("X.Data[%d] = %v, want %v", i, d.X.Data[i], v)
				}
			}
			for i, v := range labs {
				if d.Y.Data[i] != float32(v) {
					t.Fatalf("Y.Data[%d] = %v, want %v", i, d.Y.Data[i], v)
				}
			}
		})
	}
}

// TestLoadIDXByContent checks that compression is recognized by content,
// not by the file name.
func TestLoadIDXByContent(t *testing.T) {
	dir := t.TempDir()
	imgs, labs := idxFixture()
	im := idxWrite(t, dir, "images.gz", idxFile(IDXUint8, []int{5, 2, 3}, imgs))    // plain, named .gz
	lb := idxWrite(t, dir, "labels", idxGzip(t, idxFile(IDXUint8, []int{5}, labs))) // gzip, named plain
	d, err := LoadIDX(im, lb, IDXOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Len() != 5 || d.Y.Data[4] != float32(labs[4]) {
		t.Fatalf("got %d samples, last label %v; want 5, %v", d.Len(), d.Y.Data[4], labs[4])
	}
}

func TestLoadIDXErrors(t *testing.T) {
	imgs, labs := idxFixture()
	goodImages := idxFile(IDXUint8, []int{5, 2, 3}, imgs)
	goodLabels := idxFile(IDXUint8, []int{5}, labs)
	nan := binary.BigEndian.AppendUint32(nil, math.Float32bits(float32(math.NaN())))
	tests := []struct {
		name           string
		images, labels []byte
		// want holds substrings of the error; "IMAGES" and "LABELS" stand
		// for the files' paths.
		want []string
	}{
		{"truncated labels", goodImages, goodLabels[:len(goodLabels)-1], []string{"load LABELS: header says 5 labels, file holds 4"}},
		{"truncated images", goodImages[:len(goodImages)-7], goodLabels, []string{"load IMAGES: header says 5 images, file holds 3 and 5 of the 6 bytes of the next"}},
		{"truncated gzip labels", goodImages, idxGzip(t, goodLabels[:len(goodLabels)-2]), []string{"load LABELS: header says 5 labels, file holds 3"}},
		{"bad magic", []byte{0x50, 0x4b, 3, 4}, goodLabels, []string{"load IMAGES: not an IDX file"}},
		{"count mismatch", goodImages, idxFile(IDXUint8, []int{4}, labs[:4]), []string{"load IMAGES and LABELS: 5 images but 4 labels"}},
		{"no images", idxFile(IDXUint8, []int{0, 2, 3}, nil), idxFile(IDXUint8, []int{0}, nil), []string{"load IMAGES: header says 0 images"}},
		{"empty images", idxFile(IDXUint8, []int{5, 0, 3}, nil), goodLabels, []string{"load IMAGES: images of shape 0×3 hold no values"}},
		{"2-D labels", goodImages, idxFile(IDXUint8, []int{5, 1}, labs), []string{"load LABELS: labels have shape 5×1, want one dimension"}},
		{"float labels", goodImages, idxFile(IDXFloat32, []int{1}, nan), []string{"load LABELS: labels are of type float, want an integer type"}},
		{"negative label", goodImages, idxFile(IDXInt8, []int{5}, []byte{0, 1, 0xFF, 2, 3}), []string{"load LABELS: label of item 2 is -1, want 0 to 65535"}},
		{"huge label", goodImages, idxFile(IDXInt32, []int{5}, bytes.Repeat([]byte{0, 1, 0, 0}, 5)), []string{"load LABELS: label of item 0 is 65536"}},
		{"NaN pixel", idxFile(IDXFloat32, []int{2, 1}, append(binary.BigEndian.AppendUint32(nil, 0), nan...)), idxFile(IDXUint8, []int{2}, []byte{0, 1}), []string{"load IMAGES: value 0 of image 1 is NaN"}},
		{"truncated header", goodImages[:6], goodLabels, []string{"load IMAGES: truncated IDX header"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			im := idxWrite(t, dir, "train-images-idx3-ubyte", tt.images)
			lb := idxWrite(t, dir, "train-labels-idx1-ubyte.gz", tt.labels)
			_, err := LoadIDX(im, lb, IDXOptions{})
			if err == nil {
				t.Fatalf("LoadIDX succeeded, want an error containing %q", tt.want)
			}
			for _, w := range tt.want {
				w = strings.NewReplacer("IMAGES", im, "LABELS", lb).Replace(w)
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q, want it to contain %q", err, w)
				}
			}
		})
	}
	t.Run("missing file", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "nope")
		_, err := LoadIDX(p, p, IDXOptions{})
		if err == nil || !strings.Contains(err.Error(), "load "+p) || !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("error %v, want a not-exist error naming %s", err, p)
		}
	})
}

// TestLoadFashionMNIST loads the test set of Debian's Fashion-MNIST
// (dataset-fashion-mnist) when it is installed, and is skipped otherwise.
// BenchmarkFashionMNIST times the training set.
func TestLoadFashionMNIST(t *testing.T) {
	dir := "/usr/share/datasets/fashion-mnist"
	im, lb := filepath.Join(dir, "t10k-images-idx3-ubyte.gz"), filepath.Join(dir, "t10k-labels-idx1-ubyte.gz")
	if _, err := os.Stat(im); err != nil {
		t.Skip("dataset-fashion-mnist is not installed")
	}
	d, err := LoadIDX(im, lb, IDXOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Len() != 10000 || d.X.Cols != 784 || d.Classes != 10 {
		t.Fatalf("got %d×%d with %d classes, want 10000×784 with 10", d.Len(), d.X.Cols, d.Classes)
	}
	counts := make([]int, 10)
	for _, y := range d.Y.Data {
		counts[int(y)]++
	}
	for c, n := range counts {
		if n != 1000 {
			t.Errorf("class %d has %d samples, want 1000", c, n)
		}
	}
	var lo, hi float32 = 255, 0
	for _, v := range d.X.Data {
		lo, hi = min(lo, v), max(hi, v)
	}
	if lo != 0 || hi != 255 {
		t.Errorf("pixels span %v..%v, want 0..255", lo, hi)
	}
}

func TestLoadIDXClasses(t *testing.T) {
	imgs, _ := idxFixture()
	images := idxFile(IDXUint8, []int{5, 2, 3}, imgs)
	tests := []struct {
		name    string
		labels  []byte
		classes int    // stated
		want    int    // classes, if no error
		err     string // error after "load LABELS: "
	}{
		{"consecutive", []byte{3, 0, 2, 1, 2}, 0, 4, ""},
		{"two", []byte{1, 0, 0, 1, 1}, 0, 2, ""},
		{"one class", []byte{1, 1, 1, 1, 1}, 0, 0, "all 5 labels are 1, want at least 2 classes"},
		{"one class stated", []byte{0, 0, 0, 0, 0}, 10, 0, "all 5 labels are 0, want at least 2 classes"},
		{"0 and 255", []byte{0, 255, 255, 0, 0}, 0, 0, "labels take 2 distinct values from 0 to 255, which implies 256 classes, 254 of them without samples (the first is 1); relabel the classes 0 to 1, or state the class count"},
		{"gap", []byte{0, 1, 3, 3, 0}, 0, 0, "labels take 3 distinct values from 0 to 3, which implies 4 classes, 1 of them without samples (the first is 2)"},
		{"0 and 255 stated", []byte{0, 255, 255, 0, 0}, 256, 256, ""},
		{"stated more", []byte{3, 0, 2, 1, 2}, 10, 10, ""},
		{"above stated", []byte{3, 0, 2, 1, 2}, 3, 0, "label of item 0 is 3, but the stated class count is 3 (labels 0 to 2)"},
		{"negative stated", []byte{3, 0, 2, 1, 2}, -1, 0, "stated class count -1 is not in [1, 65536]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			im := idxWrite(t, dir, "images", images)
			lb := idxWrite(t, dir, "labels", idxFile(IDXUint8, []int{5}, tt.labels))
			d, err := LoadIDX(im, lb, IDXOptions{Classes: tt.classes})
			if tt.err != "" {
				want := "load " + lb + ": " + tt.err
				if err == nil || !strings.HasPrefix(err.Error(), want) {
					t.Fatalf("error %v, want it to start with %q", err, want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d.Classes != tt.want {
				t.Fatalf("Classes %d, want %d", d.Classes, tt.want)
			}
			for i, v := range tt.labels {
				if d.Y.Data[i] != float32(v) {
					t.Fatalf("Y.Data[%d] = %v, want %v", i, d.Y.Data[i], v)
				}
			}
		})
	}
}

// TestLoadIDXBounds checks that headers declaring more than the size limit
// allows are rejected before the data is read: a small gzip file can
// declare a gibibyte of images (issue 10 item 2).
func TestLoadIDXBounds(t *testing.T) {
	dir := t.TempDir()
	imgs, labs := idxFixture()
	// 16384 images of 256×256 bytes: 1 GiB, of which the file holds the
	// first MiB (all zeros, so about 1 KiB compressed).
	huge := idxGzip(t, idxFile(IDXUint8, []int{1 << 14, 256, 256}, make([]byte, 1<<20)))
	hugeLabels := idxGzip(t, idxFile(IDXUint8, []int{1 << 14}, bytes.Repeat([]byte{0, 1}, 1<<13)))
	if len(huge) > 1<<20 {
		t.Fatalf("crafted file is %d bytes, want less than 1 MiB", len(huge))
	}
	fixture := func() (string, string) {
		return idxWrite(t, dir, "images", idxFile(IDXUint8, []int{5, 2, 3}, imgs)),
			idxWrite(t, dir, "labels", idxFile(IDXUint8, []int{5}, labs))
	}
	tests := []struct {
		name           string
		images, labels func() (string, string)
		max            int64
		err            string // "" for success; IMAGES and LABELS stand for the paths
	}{
		{"gzip declares 1 GiB, default limit", func() (string, string) {
			return idxWrite(t, dir, "huge.gz", huge), idxWrite(t, dir, "huge-labels.gz", hugeLabels)
		}, nil, 0, "load IMAGES: header declares 16384 images of 65536 ubyte each, 5.0 GiB in memory, more than the size limit of 4.0 GiB"},
		{"gzip declares 1 GiB, 64 MiB limit", func() (string, string) {
			return idxWrite(t, dir, "huge.gz", huge), idxWrite(t, dir, "huge-labels.gz", hugeLabels)
		}, nil, 64 << 20, "load IMAGES: header declares 16384 images of 65536 ubyte each, 5.0 GiB in memory, more than the size limit of 64.0 MiB"},
		// The fixture takes 5 label bytes, 20 bytes of float32 labels, 30
		// image bytes and 120 bytes of float32 images: 175 bytes.
		{"fixture fits", fixture, nil, 175, ""},
		{"fixture one byte over", fixture, nil, 174, "load IMAGES: header declares 5 images of 6 ubyte each, 175 bytes in memory, more than the size limit of 174 bytes"},
		{"labels over", fixture, nil, 24, "load LABELS: header declares 5 labels of 1 ubyte each, 25 bytes in memory, more than the size limit of 24 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			im, lb := tt.images()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			d, err := LoadIDX(im, lb, IDXOptions{MaxBytes: tt.max})
			runtime.ReadMemStats(&after)
			if tt.err == "" {
				if err != nil || d.Len() != 5 {
					t.Fatalf("LoadIDX: %v, want the 5 samples", err)
				}
				return
			}
			want := strings.NewReplacer("IMAGES", im, "LABELS", lb).Replace(tt.err)
			if err == nil || err.Error() != want {
				t.Fatalf("error %v, want %q", err, want)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
				t.Errorf("allocated %d bytes before rejecting the header", alloc)
			}
		})
	}
}
