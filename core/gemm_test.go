package core

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
)

// gemmCase is one product to check: shapes, transpositions, extra stride
// beyond each row and the scalars.
type gemmCase struct {
	transA, transB bool
	m, n, k        int
	padA, padB     int // stride minus row length
	padC           int
	alpha, beta    float32
	nanC           bool // fill C with NaN (only meaningful with beta 0)
}

func (tc gemmCase) String() string {
	t := func(b bool) string {
		if b {
			return "T"
		}
		return "N"
	}
	s := fmt.Sprintf("%s%s/%dx%dx%d/a%g_b%g", t(tc.transA), t(tc.transB), tc.m, tc.n, tc.k, tc.alpha, tc.beta)
	if tc.padA+tc.padB+tc.padC > 0 {
		s += fmt.Sprintf("/pad%d,%d,%d", tc.padA, tc.padB, tc.padC)
	}
	if tc.nanC {
		s += "/nanC"
	}
	return s
}

// gemmOperands builds A, B and C for tc, with NaN in every element outside
// the matrices proper so that a kernel reading past a row is caught.
type gemmOperands struct {
	a, b, c       []float32
	lda, ldb, ldc int
}

func newGemmOperands(tc gemmCase, rng *rand.Rand) gemmOperands {
	ar, ac := tc.m, tc.k
	if tc.transA {
		ar, ac = tc.k, tc.m
	}
	br, bc := tc.k, tc.n
	if tc.transB {
		br, bc = tc.n, tc.k
	}
	fill := func(rows, cols, pad int, nan bool) ([]float32, int) {
		ld := max(cols+pad, 1)
		s := make([]float32, rows*ld)
		for i := range s {
			if i%ld >= cols || nan {
				s[i] = float32(math.NaN())
			} else {
				s[i] = rng.Float32()*2 - 1
			}
		}
		return s, ld
	}
	var o gemmOperands
	o.a, o.lda = fill(ar, ac, tc.padA, false)
	o.b, o.ldb = fill(br, bc, tc.padB, false)
	o.c, o.ldc = fill(tc.m, tc.n, tc.padC, tc.nanC)
	return o
}

// gemmTolerance returns, per element of C, how far a float32 product may be
// from the reference: a few ulps of the sum of absolute terms per step of k.
func gemmTolerance(tc gemmCase, o gemmOperands) []float32 {
	abs := func(s []float32) []float32 {
		r := make([]float32, len(s))
		for i, v := range s {
			if math.IsNaN(float64(v)) {
				v = 0
			}
			r[i] = float32(math.Abs(float64(v)))
		}
		return r
	}
	bound := abs(o.c)
	beta := float32(math.Abs(float64(tc.beta)))
	if tc.beta == 0 {
		clear(bound)
	}
	sgemmRef(tc.transA, tc.transB, tc.m, tc.n, tc.k, float32(math.Abs(float64(tc.alpha))), abs(o.a), o.lda, abs(o.b), o.ldb, beta, bound, o.ldc)
	eps := float32(math.Pow(2, -23))
	for i := range bound {
		bound[i] = 2*float32(tc.k+2)*eps*bound[i] + 1e-30
	}
	return bound
}

// checkGemmCase runs tc through sgemm and compares with the reference.
func checkGemmCase(t *testing.T, tc gemmCase, rng *rand.Rand, sgemm func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)) {
	t.Helper()
	o := newGemmOperands(tc, rng)
	want := append([]float32(nil), o.c...)
	sgemmRef(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, o.a, o.lda, o.b, o.ldb, tc.beta, want, o.ldc)
	tol := gemmTolerance(tc, o)
	got := append([]float32(nil), o.c...)
	sgemm(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, o.a, o.lda, o.b, o.ldb, tc.beta, got, o.ldc)
	bad := 0
	for i := range got {
		row, col := i/o.ldc, i%o.ldc
		if col >= tc.n {
			if math.Float32bits(got[i]) != math.Float32bits(o.c[i]) {
				t.Errorf("%v: C[%d] outside the matrix (row %d col %d) changed from %v to %v", tc, i, row, col, o.c[i], got[i])
				bad++
			}
		} else if d := math.Abs(float64(got[i] - want[i])); !(d <= float64(tol[i])) {
			t.Errorf("%v: C[%d,%d] = %v, want %v (±%v)", tc, row, col, got[i], want[i], tol[i])
			bad++
		}
		if bad >= 5 {
			t.Fatalf("%v: too many errors", tc)
		}
	}
}

// gemmCases returns the table shared by every kernel: degenerate sizes,
// sizes around the tiles of every kernel, all transpositions, padded
// strides and scalar variants.
func gemmCases() []gemmCase {
	var cases []gemmCase
	shapes := [][3]int{
		{0, 0, 0}, {0, 5, 3}, {5, 0, 3}, {5, 3, 0}, {1, 1, 1}, {1, 1, 7},
		{2, 3, 4}, {3, 2, 1}, {4, 4, 4}, {5, 17, 3}, {6, 16, 1}, {6, 16, 8},
		{7, 15, 9}, {7, 17, 33}, {12, 32, 64}, {13, 31, 65}, {1, 64, 300},
		{64, 1, 300}, {17, 3, 129}, {23, 47, 257}, {32, 10, 128}, {128, 10, 128},
		{145, 33, 17}, {150, 20, 520}, {31, 4100, 3}, {3, 8200, 2},
		{6, 32, 1}, {7, 33, 9}, {5, 63, 17}, {13, 65, 40}, {12, 96, 805},
		{20, 200, 30},
	}
	trans := [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}}
	for _, s := range shapes {
		for _, tr := range trans {
			cases = append(cases, gemmCase{transA: tr[0], transB: tr[1], m: s[0], n: s[1], k: s[2], alpha: 1, beta: 0})
			cases = append(cases, gemmCase{transA: tr[0], transB: tr[1], m: s[0], n: s[1], k: s[2], padA: 3, padB: 1, padC: 5, alpha: -0.5, beta: 1.5})
		}
	}
	scalars := [][2]float32{{1, 1}, {2, 0}, {0, 0}, {0, 2}, {-1, -1}, {0.25, 1}}
	for _, sc := range scalars {
		for _, tr := range trans {
			cases = append(cases, gemmCase{transA: tr[0], transB: tr[1], m: 19, n: 37, k: 23, padA: 2, padB: 2, padC: 2, alpha: sc[0], beta: sc[1]})
		}
	}
	for _, tr := range trans {
		cases = append(cases, gemmCase{transA: tr[0], transB: tr[1], m: 13, n: 35, k: 300, alpha: 1, beta: 0, nanC: true, padC: 1})
		cases = append(cases, gemmCase{transA: tr[0], transB: tr[1], m: 13, n: 35, k: 300, alpha: 0, beta: 0, nanC: true})
	}
	return cases
}

// testKernels returns every micro-kernel that runs here: the assembly ones
// and the portable ones.
func testKernels() []*kernel { return append(archKernels(), goKernels()...) }

// testVariants returns each kernel of testKernels as it is configured, and
// again forced to pack every panel and forced to read Aᵀ and B in place
// whenever it can, so that both paths are checked whatever the shape.
func testVariants() []*kernel {
	var ks []*kernel
	for _, kn := range testKernels() {
		packed, direct := *kn, *kn
		packed.name += "/packed"
		packed.directMaxM, packed.directMaxN, packed.directRowsMaxN = 0, 0, 0
		direct.name += "/direct"
		direct.directMaxM, direct.directMaxN, direct.directRowsMaxN = math.MaxInt, math.MaxInt, math.MaxInt
		ks = append(ks, kn, &packed, &direct)
	}
	return ks
}

func TestSgemmKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, kn := range testVariants() {
		t.Run(kn.name, func(t *testing.T) {
			var g Gemm
			for _, tc := range gemmCases() {
				checkGemmCase(t, tc, rng, func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
					checkGemm(transA, transB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
					g.sgemm(kn, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
				})
			}
		})
	}
}

// transpose returns the Transpose that trans stands for.
func transpose(trans bool) Transpose {
	if trans {
		return Trans
	}
	return NoTrans
}

func TestSgemm(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var g Gemm
	for _, tc := range gemmCases() {
		checkGemmCase(t, tc, rng, func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
			g.Sgemm(transpose(transA), transpose(transB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		})
	}
	// The package-level convenience goes the same way.
	checkGemmCase(t, gemmCase{m: 9, n: 20, k: 11, alpha: 1, beta: 1, transB: true}, rng, func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
		Sgemm(transpose(transA), transpose(transB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	})
}

// TestSgemmRandom checks random shapes, transpositions, strides and
// scalars. DLTUNE_STRESS=n runs n cases per kernel variant instead of 100.
func TestSgemmRandom(t *testing.T) {
	runs := 100
	if s := os.Getenv("DLTUNE_STRESS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("DLTUNE_STRESS=%q: %v", s, err)
		}
		runs = n
	}
	for _, kn := range testVariants() {
		t.Run(kn.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(5, 6))
			var g Gemm
			scalars := []float32{0, 1, -1, 0.5, 2}
			for range runs {
				dim := func() int {
					if rng.IntN(4) == 0 {
						return rng.IntN(4)
					}
					return rng.IntN(160)
				}
				tc := gemmCase{
					transA: rng.IntN(2) == 0, transB: rng.IntN(2) == 0,
					m: dim(), n: dim(), k: dim(),
					padA: rng.IntN(3), padB: rng.IntN(3), padC: rng.IntN(3),
					alpha: scalars[rng.IntN(len(scalars))], beta: scalars[rng.IntN(len(scalars))],
				}
				tc.nanC = tc.beta == 0 && rng.IntN(2) == 0
				checkGemmCase(t, tc, rng, func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
					checkGemm(transA, transB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
					g.sgemm(kn, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
				})
				if t.Failed() {
					return
				}
			}
		})
	}
}

func TestSgemmPanics(t *testing.T) {
	a := make([]float32, 12)
	tests := []struct {
		name string
		f    func()
	}{
		{"negative m", func() { Sgemm(NoTrans, NoTrans, -1, 2, 2, 1, a, 2, a, 2, 0, a, 2) }},
		{"short lda", func() { Sgemm(NoTrans, NoTrans, 2, 2, 3, 1, a, 2, a, 2, 0, a, 2) }},
		{"short ldc", func() { Sgemm(NoTrans, NoTrans, 2, 3, 2, 1, a, 2, a, 3, 0, a, 2) }},
		{"short A", func() { Sgemm(NoTrans, NoTrans, 4, 2, 4, 1, a, 4, a, 2, 0, a, 2) }},
		{"short B transposed", func() { Sgemm(NoTrans, Trans, 2, 4, 4, 1, a, 4, a, 4, 0, a, 4) }},
		{"short C", func() { Sgemm(NoTrans, NoTrans, 2, 6, 2, 1, a, 2, a, 6, 0, a[:11], 6) }},
		{"bad tA", func() { Sgemm(Transpose(2), NoTrans, 2, 2, 2, 1, a, 2, a, 2, 0, a, 2) }},
		{"bad tB", func() { Sgemm(NoTrans, Transpose('T'), 2, 2, 2, 1, a, 2, a, 2, 0, a, 2) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("no panic")
				}
			}()
			tt.f()
		})
	}
}

// TestSgemmAllocs pins that a Gemm reused for the same shapes allocates
// nothing.
func TestSgemmAllocs(t *testing.T) {
	for _, kn := range testKernels() {
		t.Run(kn.name, func(t *testing.T) {
			var g Gemm
			type shape struct {
				tA, tB  bool
				m, n, k int
			}
			shapes := []shape{
				{false, false, 128, 256, 784}, {true, false, 784, 256, 128},
				{false, true, 128, 784, 256}, {false, false, 32, 10, 128},
			}
			a := make([]float32, 128*784)
			b := make([]float32, 784*256)
			c := make([]float32, 784*256)
			run := func() {
				for _, s := range shapes {
					lda, ldb := s.k, s.n
					if s.tA {
						lda = s.m
					}
					if s.tB {
						ldb = s.k
					}
					g.sgemm(kn, s.tA, s.tB, s.m, s.n, s.k, 1, a, lda, b, ldb, 0, c, s.n)
				}
			}
			run()
			if n := testing.AllocsPerRun(5, run); n != 0 {
				t.Errorf("%v allocations per run, want 0", n)
			}
		})
	}
}

// FuzzSgemm checks every kernel against the reference on shapes, strides,
// transpositions and scalars drawn from the fuzzer's bytes.
func FuzzSgemm(f *testing.F) {
	f.Add(uint8(7), uint8(17), uint8(33), uint8(0), uint8(0), uint8(1), uint64(1))
	f.Add(uint8(128), uint8(10), uint8(128), uint8(0), uint8(9), uint8(0), uint64(2))
	f.Add(uint8(32), uint8(200), uint8(3), uint8(1), uint8(2), uint8(4), uint64(3))
	f.Add(uint8(6), uint8(16), uint8(1), uint8(3), uint8(0xff), uint8(2), uint64(4))
	f.Add(uint8(0), uint8(3), uint8(5), uint8(2), uint8(0), uint8(3), uint64(5))
	scalars := []float32{0, 1, -1, 0.5, 2}
	f.Fuzz(func(t *testing.T, m, n, k, trans, pads, sc uint8, seed uint64) {
		tc := gemmCase{
			transA: trans&1 != 0, transB: trans&2 != 0,
			m: int(m), n: int(n), k: int(k),
			padA: int(pads & 3), padB: int(pads >> 2 & 3), padC: int(pads >> 4 & 3),
			alpha: scalars[int(sc)%len(scalars)], beta: scalars[int(sc/5)%len(scalars)],
		}
		tc.nanC = tc.beta == 0 && pads&0x40 != 0
		for _, kn := range testVariants() {
			rng := rand.New(rand.NewPCG(seed, 0))
			var g Gemm
			checkGemmCase(t, tc, rng, func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
				checkGemm(transA, transB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
				g.sgemm(kn, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
			})
		}
	})
}

func TestPickKernel(t *testing.T) {
	fast, slow := &kernel{name: "fast"}, &kernel{name: "slow"}
	arch := []*kernel{fast, slow}
	tests := []struct {
		name, want string
		arch       []*kernel
		wantKernel *kernel
		wantWhy    string
	}{
		{"best", "", arch, fast, "found"},
		{"forced", "slow", arch, slow, "DLTUNE_KERNEL=slow; found"},
		{"forced portable", goKernel.name, arch, goKernel, "DLTUNE_KERNEL=" + goKernel.name + "; found"},
		{"unknown", "avx1024", arch, fast, `found; DLTUNE_KERNEL="avx1024" ignored: it does not run here (fast, slow, go2x3, go4x4 do)`},
		{"no assembly", "", nil, goKernel, "found; portable kernel"},
		{"no assembly, forced", "fast", nil, goKernel, `found; portable kernel; DLTUNE_KERNEL="fast" ignored: it does not run here (go2x3, go4x4 do)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kn, why := pickKernel(tt.want, tt.arch, "found")
			if kn != tt.wantKernel || why != tt.wantWhy {
				t.Errorf("pickKernel(%q) = %s, %q; want %s, %q", tt.want, kn.name, why, tt.wantKernel.name, tt.wantWhy)
			}
		})
	}
}

// TestGemmKernel checks that Sgemm uses the kernel that GemmKernel names,
// and the first of archKernels unless DLTUNE_KERNEL says otherwise.
func TestGemmKernel(t *testing.T) {
	name, why := GemmKernel()
	if name != bestKernel.name || why == "" {
		t.Fatalf("GemmKernel() = %q, %q; bestKernel is %q", name, why, bestKernel.name)
	}
	if os.Getenv("DLTUNE_KERNEL") != "" {
		t.Logf("DLTUNE_KERNEL set: %s (%s)", name, why)
		return
	}
	want := goKernel
	if ks := archKernels(); len(ks) > 0 {
		want = ks[0]
	}
	if bestKernel != want {
		t.Errorf("bestKernel = %s, want %s", bestKernel.name, want.name)
	}
}

// TestKernelPacking checks each kernel's packA and packB against the
// portable packPanelsA and packPanelsB.
func TestKernelPacking(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	checked := 0
	for _, kn := range testKernels() {
		for _, trans := range []bool{false, true} {
			for _, sz := range [][2]int{{1, 1}, {7, 5}, {8, 32}, {13, 33}, {35, 64}, {61, 97}} {
				kc, w := sz[0], sz[1] // w rows of A or columns of B
				ld := max(kc, w) + 3
				src := make([]float32, ld*ld)
				for i := range src {
					src[i] = rng.Float32()
				}
				if kn.packA != nil {
					want := make([]float32, roundUp(w, kn.mr)*kc)
					got := make([]float32, len(want))
					packPanelsA(want, kn.mr, trans, src, ld, 1, w, 2, kc)
					kn.packA(got, trans, src, ld, 1, w, 2, kc)
					if !slices.Equal(got, want) {
						t.Errorf("%s packA trans=%v kc=%d mc=%d differs", kn.name, trans, kc, w)
					}
					checked++
				}
				if kn.packB != nil {
					want := make([]float32, roundUp(w, kn.nr)*kc)
					got := make([]float32, len(want))
					packPanelsB(want, kn.nr, trans, src, ld, 2, kc, 1, w)
					kn.packB(got, trans, src, ld, 2, kc, 1, w)
					if !slices.Equal(got, want) {
						t.Errorf("%s packB trans=%v kc=%d nc=%d differs", kn.name, trans, kc, w)
					}
					checked++
				}
			}
		}
	}
	if len(archKernels()) > 0 && checked == 0 {
		t.Error("no packing routine checked")
	}
}
