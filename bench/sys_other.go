//go:build !linux

package main

import "os"

// peakRSS is measured on Linux only (ru_maxrss units differ elsewhere).
func peakRSS(*os.ProcessState) int64 { return 0 }

func flushDisks() {}
