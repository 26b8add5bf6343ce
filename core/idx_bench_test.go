package core

import (
	"compress/gzip"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkLoadIDX loads a generated 60,000×28×28 ubyte IDX image file and
// its labels, the size of (Fashion-)MNIST's training set, plain and
// gzip-compressed. MB/s counts the uncompressed IDX bytes.
func BenchmarkLoadIDX(b *testing.B) {
	const n, rows, cols = 60000, 28, 28
	rng := rand.New(rand.NewPCG(1, 2))
	pixels := make([]byte, n*rows*cols)
	for i := range pixels {
		// Like MNIST: mostly background, which gzip compresses well.
		if rng.IntN(5) == 0 {
			pixels[i] = byte(rng.IntN(256))
		}
	}
	labels := make([]byte, n)
	for i := range labels {
		labels[i] = byte(i % 10)
	}
	images := idxFile(IDXUint8, []int{n, rows, cols}, pixels)
	labelFile := idxFile(IDXUint8, []int{n}, labels)
	dir := b.TempDir()
	paths := map[string][2]string{
		"plain": {idxWrite(b, dir, "images", images), idxWrite(b, dir, "labels", labelFile)},
		"gzip":  {idxWrite(b, dir, "images.gz", idxGzipLevel(b, images, gzip.DefaultCompression)), idxWrite(b, dir, "labels.gz", idxGzip(b, labelFile))},
	}
	size := float64(len(images) + len(labelFile))
	for _, name := range []string{"plain", "gzip"} {
		p := paths[name]
		b.Run(name, func(b *testing.B) {
			start := time.Now()
			for b.Loop() {
				d, err := LoadIDX(p[0], p[1], IDXOptions{})
				if err != nil {
					b.Fatal(err)
				}
				if d.Len() != n {
					b.Fatalf("%d samples", d.Len())
				}
			}
			b.ReportMetric(size*float64(b.N)/time.Since(start).Seconds()/1e6, "MB/s")
		})
	}
}

// idxGzipLevel returns b compressed at the given gzip level.
func idxGzipLevel(t testing.TB, b []byte, level int) []byte {
	t.Helper()
	var buf strings.Builder
	zw, err := gzip.NewWriterLevel(&buf, level)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return []byte(buf.String())
}

// BenchmarkLoadCSV loads a generated 10,000-row table of 20 numeric
// features and a class label. MB/s counts the file's bytes.
func BenchmarkLoadCSV(b *testing.B) {
	const n, f = 10000, 20
	rng := rand.New(rand.NewPCG(3, 4))
	var sb strings.Builder
	for j := range f {
		sb.WriteString("x" + strconv.Itoa(j) + ",")
	}
	sb.WriteString("label\n")
	for range n {
		for range f {
			sb.WriteString(strconv.FormatFloat(rng.NormFloat64(), 'g', 7, 32) + ",")
		}
		sb.WriteString("class" + strconv.Itoa(rng.IntN(5)) + "\n")
	}
	path := filepath.Join(b.TempDir(), "bench.csv")
	if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	opt := CSVOptions{Target: "label", Task: Classification}
	start := time.Now()
	for b.Loop() {
		if _, err := LoadCSV(path, opt); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(sb.Len())*float64(b.N)/time.Since(start).Seconds()/1e6, "MB/s")
}

// BenchmarkFashionMNIST loads Debian's Fashion-MNIST training set
// (dataset-fashion-mnist) when it is installed, beside a baseline that
// only decompresses the two files: the ratio of the two is LoadIDX's
// overhead over gzip itself. MB/s counts the uncompressed IDX bytes.
func BenchmarkFashionMNIST(b *testing.B) {
	dir := "/usr/share/datasets/fashion-mnist"
	im, lb := filepath.Join(dir, "train-images-idx3-ubyte.gz"), filepath.Join(dir, "train-labels-idx1-ubyte.gz")
	if _, err := os.Stat(im); err != nil {
		b.Skip("dataset-fashion-mnist is not installed")
	}
	const size = 16 + 60000*784 + 8 + 60000
	b.Run("LoadIDX", func(b *testing.B) {
		start := time.Now()
		for b.Loop() {
			if _, err := LoadIDX(im, lb, IDXOptions{}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(size*float64(b.N)/time.Since(start).Seconds()/1e6, "MB/s")
	})
	b.Run("gunzip-only", func(b *testing.B) {
		start := time.Now()
		for b.Loop() {
			for _, p := range []string{im, lb} {
				f, err := os.Open(p)
				if err != nil {
					b.Fatal(err)
				}
				zr, err := gzip.NewReader(f)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.Copy(io.Discard, zr); err != nil {
					b.Fatal(err)
				}
				f.Close()
			}
		}
		b.ReportMetric(size*float64(b.N)/time.Since(start).Seconds()/1e6, "MB/s")
	})
}
