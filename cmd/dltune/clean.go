package main

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// clean returns s safe to write to a terminal: control characters (an
// escape sequence in a choice, a CSV header or a stored error could
// recolour, retitle or clear the screen), other runes that do not print,
// and bytes that are not UTF-8 are written as Go escapes them, such as
// \x1b. JSON and CSV output keep the exact text: programs read them.
func clean(s string) string {
	if printable(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			b.WriteString(`\x`)
			b.WriteString(strconv.FormatUint(uint64(s[i])|0x100, 16)[1:])
		case strconv.IsPrint(r):
			b.WriteString(s[i : i+n])
		default:
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		}
		i += n
	}
	return b.String()
}

// cleanLines is clean for text of several lines: it keeps the newlines.
func cleanLines(s string) string {
	if printable(strings.ReplaceAll(s, "\n", "")) {
		return s
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = clean(l)
	}
	return strings.Join(lines, "\n")
}

// printable reports whether s is valid UTF-8 of printing runes only.
func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !strconv.IsPrint(r) {
			return false
		}
	}
	return true
}

// shellQuote returns s as one word of a POSIX shell: as it is when it
// holds only characters that mean nothing to a shell, else in single
// quotes. It is for commands that dltune suggests, to be pasted.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
