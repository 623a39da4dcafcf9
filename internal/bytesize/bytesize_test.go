package bytesize

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for in, want := range map[string]int64{
		"0": 0, "1500": 1500, "36KB": 36000, "36kB": 36000, "36 KiB": 36864, "2MiB": 2 << 20,
		"2Mbit": 250000, "2Mb": 250000, "1.5G": 1500000000, "1GiB": 1 << 30, "256KiB": 256 << 10, "8bit": 1, "10Mbps": 1250000,
	} {
		got, err := Parse(in)
		if err != nil || got != want {
			t.Errorf("Parse(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "KB", "-1", "12XB", "1.2.3M", "99999999999999999999T"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}

func TestFormat(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1536: "1.5 KiB", 5 << 30: "5.0 GiB", 300 << 20: "300 MiB"} {
		if got := Format(n); got != want {
			t.Errorf("Format(%d) = %q, want %q", n, got, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"36KB", "2Mbit", "1.5 GiB", "0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := Parse(s)
		if err == nil && n < 0 {
			t.Fatalf("Parse(%q) = %d", s, n)
		}
	})
}

func TestParseRate(t *testing.T) {
	for in, want := range map[string]int64{
		"36kB/s": 36_000, "36KB": 36_000, "36 kB/s": 36_000, "36KiB/s": 36_864, "2Mbit": 250_000,
		"2Mbit/s": 250_000, "2Mbps": 250_000, "1.5MB/s": 1_500_000, "36kBps": 36_000, "512KiB/sec": 512 << 10,
	} {
		if got, err := ParseRate(in); err != nil || got != want {
			t.Errorf("ParseRate(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "fast", "36kB/h", "kB/s", "1.2.3kB/s"} {
		_, err := ParseRate(bad)
		if err == nil {
			t.Errorf("ParseRate(%q) accepted", bad)
		} else if strings.Contains(err.Error(), "%!") || !strings.HasPrefix(err.Error(), "invalid size") {
			t.Errorf("ParseRate(%q): %v", bad, err)
		}
	}
}
