package main

import (
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"os"
	"path/filepath"
)

// coverSide is the cover's width and height in pixels: 600 is what stores
// and rippers commonly embed.
const coverSide = 600

// writeCover writes a JPEG cover made from seed: a gradient, a few discs and
// grain, so that it compresses like a photo (about 100 KB) and differs from
// every other album's.
func writeCover(path string, seed int64) error {
	rng := rand.New(rand.NewPCG(uint64(seed), 0xc0ffee))
	img := image.NewRGBA(image.Rect(0, 0, coverSide, coverSide))
	c1 := [3]float64{rng.Float64() * 255, rng.Float64() * 255, rng.Float64() * 255}
	c2 := [3]float64{rng.Float64() * 255, rng.Float64() * 255, rng.Float64() * 255}
	type disc struct {
		x, y, r2 int
		c        [3]float64
	}
	discs := make([]disc, 3+rng.IntN(5))
	for i := range discs {
		r := 30 + rng.IntN(150)
		discs[i] = disc{rng.IntN(coverSide), rng.IntN(coverSide), r * r,
			[3]float64{rng.Float64() * 255, rng.Float64() * 255, rng.Float64() * 255}}
	}
	for y := range coverSide {
		for x := range coverSide {
			t := float64(x+y) / (2 * coverSide)
			var px [3]float64
			for k := range px {
				px[k] = c1[k]*(1-t) + c2[k]*t
			}
			for _, d := range discs {
				if dx, dy := x-d.x, y-d.y; dx*dx+dy*dy < d.r2 {
					for k := range px {
						px[k] = (px[k] + d.c[k]) / 2
					}
				}
			}
			grain := rng.Float64()*24 - 12
			img.Set(x, y, color.RGBA{clamp(px[0] + grain), clamp(px[1] + grain), clamp(px[2] + grain), 255})
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := jpeg.Encode(f, img, &jpeg.Options{Quality: 85}); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func clamp(v float64) uint8 {
	return uint8(min(max(v, 0), 255))
}
