package core

// Portable implementations of the vector helpers; x and y have the same
// length.

func axpyGo(alpha float32, x, y []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += alpha * v
	}
}

func dotGo(x, y []float32) float32 {
	y = y[:len(x)]
	// Four partial sums shorten the dependency chain of the additions.
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i] * y[i]
		s1 += x[i+1] * y[i+1]
		s2 += x[i+2] * y[i+2]
		s3 += x[i+3] * y[i+3]
	}
	for ; i < len(x); i++ {
		s0 += x[i] * y[i]
	}
	return (s0 + s1) + (s2 + s3)
}

func scalGo(alpha float32, x []float32) {
	for i := range x {
		x[i] *= alpha
	}
}
