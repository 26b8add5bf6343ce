package main

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dltune/dltune/study"
)

// maxMemoryEnv names the variable that sets the memory limit when
// --max-memory is not given.
const maxMemoryEnv = "DLTUNE_MAX_MEMORY"

// memoryHint ends the errors that quote the memory limit.
const memoryHint = "set --max-memory or " + maxMemoryEnv

// addMaxMemoryFlag adds --max-memory to cmd, stored in p in bytes (0, the
// default, leaves the limit to $DLTUNE_MAX_MEMORY or the available memory).
func addMaxMemoryFlag(cmd *cobra.Command, p *int64) {
	cmd.Flags().Var(sizeValue{p}, "max-memory", "memory the study may use, e.g. 8GiB or 512MiB (default $"+maxMemoryEnv+" or the available memory)")
}

// sizeValue is the pflag.Value of --max-memory.
type sizeValue struct{ p *int64 }

func (v sizeValue) String() string {
	if *v.p == 0 {
		return ""
	}
	return fmt.Sprintf("%dB", *v.p)
}

func (v sizeValue) Type() string { return "size" }

func (v sizeValue) Set(s string) error {
	n, err := parseSize(s)
	if err != nil {
		return err
	}
	*v.p = n
	return nil
}

// sizeUnits are the units parseSize accepts and their sizes in bytes.
var sizeUnits = []struct {
	name string
	size int64
}{
	{"B", 1},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
}

// errSizeSyntax is the error of a size that is not a number and a unit.
var errSizeSyntax = errors.New("want a positive number and a unit, e.g. 8GiB or 512MiB (units B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)")

// parseSize parses a memory size: a decimal number (digits, optionally a
// point and more digits) followed by a unit, with at most one space
// between. Units are case-sensitive: GB is 10^9 bytes, GiB 2^30. Fractions
// of a byte are dropped. The size must be at least 1 byte and fit in an
// int64.
func parseSize(s string) (int64, error) {
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	num, unit := s[:i], strings.TrimPrefix(s[i:], " ")
	if !validDecimal(num) || unit == "" {
		return 0, fmt.Errorf("size %q: %w", s, errSizeSyntax)
	}
	var mult int64
	for _, u := range sizeUnits {
		if u.name == unit {
			mult = u.size
		}
	}
	if mult == 0 {
		return 0, fmt.Errorf("size %q: unknown unit %q (want B, KB, MB, GB, TB, KiB, MiB, GiB or TiB)", s, unit)
	}
	r, ok := new(big.Rat).SetString(num)
	if !ok {
		return 0, fmt.Errorf("size %q: %w", s, errSizeSyntax)
	}
	r.Mul(r, new(big.Rat).SetInt64(mult))
	n := new(big.Int).Quo(r.Num(), r.Denom())
	switch {
	case !n.IsInt64():
		return 0, fmt.Errorf("size %q: too large (at most %d bytes)", s, int64(math.MaxInt64))
	case n.Sign() <= 0:
		return 0, fmt.Errorf("size %q: less than a byte", s)
	}
	return n.Int64(), nil
}

// validDecimal reports whether s is digits, optionally followed by a point
// and digits.
func validDecimal(s string) bool {
	whole, frac, point := strings.Cut(s, ".")
	digits := func(s string) bool {
		for _, c := range []byte(s) {
			if c < '0' || c > '9' {
				return false
			}
		}
		return s != ""
	}
	return digits(whole) && (!point || digits(frac))
}

// memoryLimit returns the memory limit of a run: flag (bytes, 0 if not
// given), else $DLTUNE_MAX_MEMORY, else 0 for the study package to read
// the available memory. A malformed variable is a usage error.
func memoryLimit(flag int64) (study.MemoryLimit, error) {
	lim := study.MemoryLimit{Hint: memoryHint}
	switch env := os.Getenv(maxMemoryEnv); {
	case flag > 0:
		lim.Bytes, lim.Source = flag, "--max-memory"
	case env != "":
		n, err := parseSize(env)
		if err != nil {
			return lim, usageError{fmt.Errorf("$%s: %w", maxMemoryEnv, err)}
		}
		lim.Bytes, lim.Source = n, "$"+maxMemoryEnv
	}
	return lim, nil
}
