package estimate

import (
	"fmt"
	"math"
	"testing"
	"time"
)

func TestUpload(t *testing.T) {
	for _, tc := range []struct {
		name       string
		bytes      int64
		rate       float64
		wantHours  float64
		wantNights float64
	}{
		// The product brief's example, in decimal units: 650000 s.
		{"23.4 GB at 36 kB/s", 23_400_000_000, 36_000, 180.5556, 22.5694},
		{"23.4 GB at 36 KiB/s", 23_400_000_000, 36 * 1024, 176.3237, 22.0405},
		{"23.4 GiB at 36 kB/s", 25_125_558_681, 36_000, 193.8705, 24.2338},
		{"23.4 GiB at 36 KiB/s", 25_125_558_681, 36 * 1024, 189.3262, 23.6658},
		{"1 TB at 1 MB/s", 1e12, 1e6, 277.7778, 34.7222},
		{"nothing", 0, 36_000, 0, 0},
	} {
		d, nights := Upload(tc.bytes, tc.rate)
		if math.Abs(d.Hours()-tc.wantHours) > 0.001 || math.Abs(nights-tc.wantNights) > 0.001 {
			t.Errorf("%s: %.4f h, %.4f nights; want %.4f h, %.4f nights", tc.name, d.Hours(), nights, tc.wantHours, tc.wantNights)
		}
	}
	// 187 h, the brief's figure, is the decimal one with TCP/IP overhead.
	d, _ := Upload(23_400_000_000, 36_000*1448.0/1500)
	if math.Round(d.Hours()) != 187 {
		t.Errorf("with TCP/IP overhead: %.2f h, want about 187", d.Hours())
	}
}

func TestUploadLimits(t *testing.T) {
	for _, rate := range []float64{0, -1, math.NaN()} {
		d, nights := Upload(1000, rate)
		if d != time.Duration(math.MaxInt64) || !math.IsInf(nights, 1) {
			t.Errorf("Upload at %v B/s = %v, %v; want never", rate, d, nights)
		}
	}
	d, nights := Upload(math.MaxInt64, 1)
	if d != time.Duration(math.MaxInt64) || nights < 1e13 {
		t.Errorf("Upload of 9 EB at 1 B/s = %v, %v; want a saturated Duration", d, nights)
	}
}

func TestUploadFormula(t *testing.T) {
	want := "23400000000 B / 36000 B/s = 650000 s = 180.6 h = 22.6 nights of 8 h"
	if got := UploadFormula(23_400_000_000, 36_000); got != want {
		t.Errorf("UploadFormula = %q, want %q", got, want)
	}
	if got := UploadFormula(5, 0); got != "5 B at 0 B/s never finishes" {
		t.Errorf("UploadFormula at 0 B/s = %q", got)
	}
}

func ExampleUpload() {
	d, nights := Upload(23_400_000_000, 36_000) // 23.4 GB at 36 kB/s
	fmt.Printf("%.1f hours, %.1f nights\n", d.Hours(), nights)
	fmt.Println(UploadFormula(23_400_000_000, 36_000))
	// Output:
	// 180.6 hours, 22.6 nights
	// 23400000000 B / 36000 B/s = 650000 s = 180.6 h = 22.6 nights of 8 h
}
