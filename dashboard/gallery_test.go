package dashboard

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/dltune/dltune/store"
	"github.com/dltune/dltune/study"
	"github.com/dltune/dltune/studyfile"
)

// TestGallery remakes the dashboard's screenshots in examples/gallery:
//
//	DLTUNE_GALLERY=1 go test ./dashboard -run Gallery
//
// It runs examples/quickstart.yaml (12 trials, seconds on two cores) into
// a temporary store and photographs the list of studies, the study and
// its best trial at a desktop's size (1280×800) and a phone's (390×844),
// the whole page, at most maxShot pixels tall. Losses are the same on
// every run (seeded); times and ages are not.
func TestGallery(t *testing.T) {
	if os.Getenv("DLTUNE_GALLERY") == "" {
		t.Skip("set DLTUNE_GALLERY=1 to remake examples/gallery/dashboard-*.png")
	}
	chromium(t)
	ctx := context.Background()
	const file = "../examples/quickstart.yaml"
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	spec, err := studyfile.Parse(file, src)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(filepath.Join(t.TempDir(), "dltune.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	p, err := study.Prepare(ctx, spec, study.PrepareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Run(ctx, db, study.Options{}); err != nil {
		t.Fatal(err)
	}
	trials, err := db.TrialSummaries(ctx, spec.Name)
	if err != nil {
		t.Fatal(err)
	}
	best, err := study.Best(spec, trials)
	if err != nil {
		t.Fatal(err)
	}

	srv := httptest.NewServer(New(db, nil))
	t.Cleanup(srv.Close)
	tab := watched(t)
	// The study and trial pages are shot with the mouse on the best
	// trial's point, as someone reading them would hold it.
	type hover struct {
		chart string
		x, y  float64
	}
	pages := []struct {
		name, path string
		hover      *hover
	}{
		{"studies", "/", nil},
		{"study", "/study/" + spec.Name, &hover{"history", float64(best.Number), best.Loss()}},
		{"trial", fmt.Sprintf("/study/%s/trial/%d", spec.Name, best.Number), &hover{"curve", float64(study.BestEpoch(best)), best.Loss()}},
	}
	sizes := []struct {
		name string
		w, h int64
		opts []chromedp.EmulateViewportOption
	}{
		{"desktop", 1280, 800, nil},
		{"phone", 390, 844, []chromedp.EmulateViewportOption{chromedp.EmulateMobile, chromedp.EmulatePortrait}},
	}
	for _, s := range sizes {
		if err := chromedp.Do(tab, chromedp.EmulateViewport(s.w, s.h, s.opts...)); err != nil {
			t.Fatal(err)
		}
		for _, pg := range pages {
			openSettled(t, tab, srv.URL+pg.path)
			if p := problems(t, tab); len(p) > 0 {
				t.Errorf("%s: %q", pg.path, p)
			}
			if h := pg.hover; h != nil {
				x, y := point(t, tab, h.chart, h.x, h.y)
				if err := chromedp.Do(tab, chromedp.MouseEvent(chromedp.MouseMoved, x, y)); err != nil {
					t.Fatal(err)
				}
			}
			shot, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatal(err)
			}
			out := filepath.Join("..", "examples", "gallery", fmt.Sprintf("dashboard-%s-%s.png", pg.name, s.name))
			if err := writeShot(out, shot, int(s.w)); err != nil {
				t.Fatal(err)
			}
			t.Logf("wrote %s", out)
		}
	}
}

// maxShot bounds a screenshot's height.
const maxShot = 2400

// writeShot writes the PNG shot to path, cut to maxShot pixels tall and
// recompressed.
func writeShot(path string, shot []byte, width int) error {
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		return fmt.Errorf("screenshot for %s: %w", path, err)
	}
	if img.Bounds().Dx() != width {
		return fmt.Errorf("screenshot for %s is %d px wide, want %d", path, img.Bounds().Dx(), width)
	}
	if b := img.Bounds(); b.Dy() > maxShot {
		img = img.(interface {
			SubImage(image.Rectangle) image.Image
		}).SubImage(image.Rect(b.Min.X, b.Min.Y, b.Max.X, b.Min.Y+maxShot))
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, quantize(img)); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// quantize returns img in 256 colours, each pixel in the nearest: a
// screenshot is mostly a few flat colours, what it loses at anti-aliased
// edges is hard to see, and the file shrinks severalfold.
func quantize(img image.Image) *image.Paletted {
	b := img.Bounds()
	counts := map[color.RGBA]int{}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			counts[color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)]++
		}
	}
	all := make([]color.RGBA, 0, len(counts))
	for c := range counts {
		all = append(all, c)
	}
	slices.SortFunc(all, func(a, b color.RGBA) int {
		if d := counts[b] - counts[a]; d != 0 {
			return d
		}
		return cmp.Compare(uint32(a.R)<<24|uint32(a.G)<<16|uint32(a.B)<<8|uint32(a.A), uint32(b.R)<<24|uint32(b.G)<<16|uint32(b.B)<<8|uint32(b.A))
	})
	// A cube of 64 colours keeps rare hues (a plot's few red lines)
	// near their colour; the other 192 are the most frequent.
	pal := make(color.Palette, 0, 256)
	for _, c := range all[:min(192, len(all))] {
		pal = append(pal, c)
	}
	for r := 0; r < 256; r += 85 {
		for g := 0; g < 256; g += 85 {
			for b := 0; b < 256; b += 85 {
				pal = append(pal, color.RGBA{uint8(r), uint8(g), uint8(b), 255})
			}
		}
	}
	out := image.NewPaletted(b, pal)
	index := map[color.RGBA]uint8{}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
			i, ok := index[c]
			if !ok {
				i = uint8(pal.Index(c))
				index[c] = i
			}
			out.SetColorIndex(x, y, i)
		}
	}
	return out
}
