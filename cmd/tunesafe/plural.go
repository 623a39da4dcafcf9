package main

import "fmt"

// plural counts n things for people: "1 file", "0 files", "2 files". It
// is for the text a person reads; --json output keeps bare numbers.
func plural[N ~int | ~int64](n N, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
