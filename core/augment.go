package core

import (
	"fmt"
	"math/rand/v2"
)

// AugmentConfig sets on-the-fly augmentation of the training images of a
// convolutional model. Each training batch is transformed as it is
// gathered, from a generator seeded by the training seed and the batch's
// number, so a run is reproducible and a resumed one identical; validation
// data is never augmented. The zero value disables augmentation.
type AugmentConfig struct {
	// Crop pads each image with Crop zero pixels on every side and crops
	// it back to its size at a random offset: a shift of up to Crop
	// pixels in each direction. 0 disables it; at most the image's
	// smaller side.
	Crop int
	// Flip mirrors each image left to right with probability 1/2.
	Flip bool
}

func (a AugmentConfig) enabled() bool { return a.Crop > 0 || a.Flip }

// validate checks a against the image shape in (nil when the model is not
// convolutional).
func (a AugmentConfig) validate(p *convPlan) error {
	switch {
	case a.Crop < 0:
		return fmt.Errorf("augment.crop: %d is negative", a.Crop)
	case !a.enabled():
		return nil
	case p == nil:
		return fmt.Errorf("augment: needs images, that is a convolutional model (model.blocks)")
	case a.Crop > min(p.in.h, p.in.w):
		return fmt.Errorf("augment.crop: %d is more than the %dx%d image's smaller side", a.Crop, p.in.h, p.in.w)
	}
	return nil
}

// augmenter transforms training batches in place.
type augmenter struct {
	cfg     AugmentConfig
	shape   imageShape
	rng     *rand.PCG
	scratch []float32 // one image
}

func newAugmenter(cfg AugmentConfig, shape imageShape) *augmenter {
	return &augmenter{cfg: cfg, shape: shape, rng: rand.NewPCG(0, 0), scratch: make([]float32, shape.size())}
}

// apply transforms the images of x (one per row), drawing from a
// generator seeded by seed and batch.
func (a *augmenter) apply(x *Tensor, seed, batch uint64) {
	a.rng.Seed(seed^streamAugment, splitmix64(batch^streamAugment))
	H, W := a.shape.h, a.shape.w
	c := a.cfg.Crop
	for r := range x.Rows {
		u := a.rng.Uint64()
		// Offsets in [-c, c] from the low bits, the flip from the top one.
		dy, dx := 0, 0
		if c > 0 {
			span := uint64(2*c + 1)
			dy = int(u%span) - c
			dx = int(u/span%span) - c
		}
		flip := a.cfg.Flip && u>>63 == 1
		if dy == 0 && dx == 0 && !flip {
			continue
		}
		img := x.Data[r*x.Cols : (r+1)*x.Cols]
		copy(a.scratch, img)
		for ch := range a.shape.c {
			src := a.scratch[ch*H*W : (ch+1)*H*W]
			dst := img[ch*H*W : (ch+1)*H*W]
			for y := range H {
				row := dst[y*W : (y+1)*W]
				sy := y + dy
				if sy < 0 || sy >= H {
					clear(row)
					continue
				}
				srow := src[sy*W : (sy+1)*W]
				for xx := range row {
					sx := xx + dx
					if flip {
						sx = W - 1 - xx + dx
					}
					if sx < 0 || sx >= W {
						row[xx] = 0
					} else {
						row[xx] = srow[sx]
					}
				}
			}
		}
	}
}
