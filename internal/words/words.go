// Package words writes counts and names in English a person reads: "1 day",
// "3 days", "an alb log", "an integer".
package words

import (
	"fmt"
	"math"
	"strings"
)

// Plural is n and the noun, plural unless n is 1: "1 file", "2 files",
// "3 companies".
func Plural[N int | int64](n N, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	if strings.HasSuffix(noun, "y") && !strings.HasSuffix(noun, "ay") && !strings.HasSuffix(noun, "ey") {
		return fmt.Sprintf("%d %sies", n, strings.TrimSuffix(noun, "y"))
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// A is the word after "a" or "an", as it is read: "an alb", "an integer",
// "a date", "a combined", "an nginx".
func A(word string) string {
	if word == "" {
		return word
	}
	lower := strings.ToLower(word)
	// Letters read as a vowel sound when spelt out (ALB, ELB, S3, nginx).
	if strings.ContainsRune("aeiou", rune(lower[0])) || strings.HasPrefix(lower, "nginx") || strings.HasPrefix(lower, "s3") {
		return "an " + word
	}
	return "a " + word
}

// Bytes writes a byte count in binary units, as GoAccess does: "512 B",
// "9.0 MiB".
func Bytes(n int64) string {
	f := float64(n)
	for _, u := range []string{"B", "KiB", "MiB", "GiB", "TiB"} {
		if math.Abs(f) < 1024 || u == "TiB" {
			if u == "B" {
				return fmt.Sprintf("%d B", n)
			}
			return fmt.Sprintf("%.1f %s", f, u)
		}
		f /= 1024
	}
	return ""
}
