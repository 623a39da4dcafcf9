// Package estimate answers the questions a user asks before a first backup
// over a slow line: how much is there to send (Scan), how long will it take
// (Upload), and what will keeping it cost each month (Monthly, with the
// list prices in prices.go).
//
// # Units
//
// Everything is in bytes and bytes per second, and sizes written by people
// are read by package bytesize, where "GB" and "kB" are decimal (10⁹, 10³)
// and "GiB" and "KiB" binary (2³⁰, 2¹⁰). The numbers are payload: the bytes
// of the files. TCP/IP and TLS headers add a few per cent on the wire
// (1500/1448 ≈ 1.036 for full TCP segments with timestamps in 1500-byte
// packets), so divide a rate measured below TCP — an ISP's line rate, a
// router's counters — by that before passing it in; speed tests already
// report payload.
//
// The worked example from the product brief: 23.4 GB at 36 kB/s is
//
//	23.4e9 B / 36e3 B/s = 650000 s = 180.6 h = 22.6 nights of 8 h.
//
// The brief's "about 187 hours" matches none of the unit conventions
// (GB and kB/s: 180.6 h; GB and KiB/s: 176.3 h; GiB and kB/s: 193.9 h; GiB
// and KiB/s: 189.3 h). It equals the decimal figure with TCP/IP overhead,
// 180.6 h × 1500/1448 = 187.0 h, which is probably how it was reckoned.
package estimate

import (
	"fmt"
	"math"
	"time"
)

// NightHours is the length of the unattended night an upload gets.
const NightHours = 8

// Upload returns how long sending bytes takes at uplinkBytesPerSec, and
// how many nights of NightHours that is. A rate of zero or less never
// finishes: the longest Duration and +Inf nights. The Duration saturates
// at about 292 years.
func Upload(bytes int64, uplinkBytesPerSec float64) (time.Duration, float64) {
	if bytes <= 0 {
		return 0, 0
	}
	if !(uplinkBytesPerSec > 0) {
		return time.Duration(math.MaxInt64), math.Inf(1)
	}
	secs := float64(bytes) / uplinkBytesPerSec
	nights := secs / (NightHours * 3600)
	ns := secs * float64(time.Second)
	if ns >= math.MaxInt64 {
		return time.Duration(math.MaxInt64), nights
	}
	return time.Duration(ns), nights
}

// UploadFormula explains Upload's answer with its arithmetic, for a hint
// or a log line: "23400000000 B / 36000 B/s = 650000 s = 180.6 h = 22.6
// nights of 8 h".
func UploadFormula(bytes int64, uplinkBytesPerSec float64) string {
	d, nights := Upload(bytes, uplinkBytesPerSec)
	if !(uplinkBytesPerSec > 0) {
		return fmt.Sprintf("%d B at %g B/s never finishes", bytes, uplinkBytesPerSec)
	}
	return fmt.Sprintf("%d B / %g B/s = %.0f s = %.1f h = %.1f nights of %d h",
		bytes, uplinkBytesPerSec, d.Seconds(), d.Hours(), nights, NightHours)
}
