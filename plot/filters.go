package plot

import (
	"fmt"
	"image"
	"image/color"
	"math"

	"github.com/dltune/dltune"
	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// filters draws a CNN trial's first-layer filters as a grid of tiles, one
// per output and input channel, each kernel weight a square: red for
// positive, blue for negative, on a scale of its own tile's largest
// magnitude so that the pattern of every filter shows, not just the
// largest filter's.
func filters(studyName string, t *dltune.Trial) (*Figure, error) {
	f := t.Filters
	switch {
	case f == nil:
		return nil, fmt.Errorf("study %s, trial %d: no filters stored: only a CNN trial keeps its first convolution's filters, once it completes, pauses or is pruned", studyName, t.Number)
	case f.Data == nil:
		return nil, fmt.Errorf("study %s, trial %d: its %dx%dx%dx%d filters were too many to keep (more than %d weights)",
			studyName, t.Number, f.Shape[0], f.Shape[1], f.Shape[2], f.Shape[3], dltune.MaxFilters)
	}
	if err := f.Check(); err != nil {
		return nil, fmt.Errorf("study %s, trial %d: %w", studyName, t.Number, err)
	}
	img := filterGrid(f)
	title := fmt.Sprintf("First-layer filters: study %s, trial %d", studyName, t.Number)
	p := gplot.New()
	p.Title.Text = fmt.Sprintf("%s of %dx%d over %s, after epoch %d\nred: positive weight, blue: negative; each filter on its own scale",
		plural(f.Shape[0], "filter"), f.Shape[2], f.Shape[3], plural(f.Shape[1], "channel"), f.Epoch)
	b := img.Bounds()
	p.Add(plotter.NewImage(img, 0, 0, float64(b.Dx()), float64(b.Dy())))
	p.HideAxes()
	p.X.Min, p.X.Max = 0, float64(b.Dx())
	p.Y.Min, p.Y.Max = 0, float64(b.Dy())
	// Keep the squares square: the panel's aspect follows the image's.
	w := 16 * vg.Centimeter
	h := w*vg.Length(float64(b.Dy())/float64(b.Dx())) + 2*vg.Centimeter
	return &Figure{Title: title, Panels: [][]*gplot.Plot{{p}}, Width: w, Height: h + vg.Centimeter}, nil
}

// filterGrid lays the filters out in a near-square grid of tiles, input
// channels of one filter side by side.
func filterGrid(f *dltune.Filters) *image.RGBA {
	out, in, kh, kw := f.Shape[0], f.Shape[1], f.Shape[2], f.Shape[3]
	const px, gap = 24, 12 // pixels per weight and between tiles
	tileW, tileH := in*kw*px+(in-1)*px/2, kh*px
	// A landscape grid, about twice as wide as high.
	cols := min(out, max(1, int(math.Ceil(math.Sqrt(2*float64(out)*float64(tileH)/float64(tileW))))))
	rows := (out + cols - 1) / cols
	img := image.NewRGBA(image.Rect(0, 0, cols*(tileW+gap)+gap, rows*(tileH+gap)+gap))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	k := kh * kw
	for o := range out {
		x0, y0 := gap+(o%cols)*(tileW+gap), gap+(o/cols)*(tileH+gap)
		w := f.Data[o*in*k : (o+1)*in*k]
		scale := 0.0
		for _, v := range w {
			scale = math.Max(scale, math.Abs(float64(v)))
		}
		for c := range in {
			cx := x0 + c*(kw*px+px/2)
			for y := range kh {
				for x := range kw {
					col := diverging(float64(w[c*k+y*kw+x]), scale)
					for dy := range px {
						for dx := range px {
							img.Set(cx+x*px+dx, y0+y*px+dy, col)
						}
					}
				}
			}
		}
	}
	return img
}

// diverging maps v in [-scale, scale] to blue through white to red.
func diverging(v, scale float64) color.RGBA {
	if scale == 0 {
		return color.RGBA{0xf0, 0xf0, 0xf0, 0xff}
	}
	a := math.Min(1, math.Abs(v)/scale)
	fade := uint8(255 * (1 - a))
	if v >= 0 {
		return color.RGBA{0xd7 + uint8(float64(0xff-0xd7)*(1-a)), fade, fade, 0xff}
	}
	return color.RGBA{fade, fade + uint8(float64(0xff-fade)*0.15), 0xff - uint8(float64(0xff-0xb0)*a), 0xff}
}
