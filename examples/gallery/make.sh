#!/bin/sh
# Remakes the gallery's images: run from the repository root,
#
#   sh examples/gallery/make.sh
#
# It runs the quickstart (12 trials of random search) and spirals-asha
# (27 trials under ASHA) into a temporary store each, a few seconds on two
# cores, and plots them. Losses are the same on every run (seeded); the
# timelines' times are not.
set -eu
out=examples/gallery
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/dltune" ./cmd/dltune
dltune() { "$tmp/dltune" "$@"; }

dltune run examples/quickstart.yaml --storage "$tmp/qs.db" >/dev/null 2>&1
for kind in history curves parallel slice contour importance timeline; do
	dltune plot "$kind" --storage "$tmp/qs.db" -o "$out/quickstart-$kind.png"
done
# The best trial's gradient flow.
dltune plot gradients --trial 11 --storage "$tmp/qs.db" -o "$out/quickstart-gradients-trial11.png"

dltune run examples/spirals-asha.yaml --storage "$tmp/asha.db" >/dev/null 2>&1
for kind in history curves importance timeline; do
	dltune plot "$kind" --storage "$tmp/asha.db" -o "$out/spirals-asha-$kind.png"
done

# A CNN on Fashion-MNIST (apt-get install dataset-fashion-mnist): about a
# minute of CPU.
if [ -e /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
	dltune run examples/fashion-mnist-cnn.yaml --storage "$tmp/cnn.db" >/dev/null 2>&1
	dltune plot filters --trial 0 --storage "$tmp/cnn.db" -o "$out/fashion-mnist-cnn-filters.png"
	dltune plot gradients --trial 0 --storage "$tmp/cnn.db" -o "$out/fashion-mnist-cnn-gradients.png"
fi
