// Package plot draws what a study learned as images: the optimization
// history, learning curves, the parameters against the loss (parallel
// coordinates, slices, contours), parameter importance, a timeline of the
// workers, and one trial's gradient flow layer by layer.
//
// Render reads a study through a Source (the store's read methods) and
// returns a Figure, which writes itself as PNG or SVG. Nothing is written
// until the whole image is drawn: WriteFile either writes a complete image
// or leaves the path untouched.
//
// Plots are drawn with gonum.org/v1/plot, in pure Go.
package plot
