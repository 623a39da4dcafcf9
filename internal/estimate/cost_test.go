package estimate

import (
	"math"
	"strings"
	"testing"
)

func TestMonthly(t *testing.T) {
	const gb = 1_000_000_000
	for _, tc := range []struct {
		name                     string
		provider                 string
		bytes, objects           int64
		storage, upload, restore float64
		note                     string
	}{
		// The worked example of storage-integrity.md §7: 500 GB in 50,000
		// objects. B2 differs from the research's $3.00, which left out
		// the 10 GB free; B2's restore is the 47,500 GETs beyond the
		// day's 2,500 free ($0.019, "about $0.02" there).
		{"s3 500 GB", "aws-s3", 500 * gb, 50_000, 11.50, 0.25, 36.02, "the first 100 GB downloaded"},
		{"b2 500 GB", "b2", 500 * gb, 50_000, 2.94, 0, 0.019, "3× the amount stored"},
		{"wasabi 500 GB", "wasabi", 500 * gb, 50_000, 6.99, 0, 0, "at least 1000 GB"},
		{"r2 500 GB", "r2", 500 * gb, 50_000, 7.35, 0, 0, "downloads are free"},

		{"wasabi 2 TB", "wasabi", 2000 * gb, 1, 13.98, 0, 0, "billed for 90 days"},
		{"r2 within the free tier", "r2", 5 * gb, 1000, 0, 0, 0, "first 10 GB"},
		{"r2 beyond the free requests", "r2", 100 * gb, 3_000_000, 1.35, 9.0, 0, ""},
		{"s3 restore across egress tiers", "aws-s3", 20_000 * gb, 0, 460, 0, 891 + 850, ""},
		{"s3 restore under the free egress", "aws-s3", 50 * gb, 0, 1.15, 0, 0, ""},
		{"case is ignored", "AWS-S3", gb, 1000, 0.023, 0.005, 0.0004, ""},
		{"empty", "b2", 0, 0, 0, 0, 0, ""},
	} {
		c, err := Monthly(tc.provider, tc.bytes, tc.objects)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if !near(c.StoragePerMonth, tc.storage) || !near(c.FirstUpload, tc.upload) || !near(c.FullRestore, tc.restore) {
			t.Errorf("%s: storage $%.4f/month, upload $%.4f, restore $%.4f; want $%.4f, $%.4f, $%.4f",
				tc.name, c.StoragePerMonth, c.FirstUpload, c.FullRestore, tc.storage, tc.upload, tc.restore)
		}
		if tc.note != "" && !strings.Contains(strings.Join(c.Notes, "; "), tc.note) {
			t.Errorf("%s: notes %q lack %q", tc.name, c.Notes, tc.note)
		}
	}
}

func TestMonthlyErrors(t *testing.T) {
	if _, err := Monthly("glacier", 1, 1); err == nil || !strings.Contains(err.Error(), "known: aws-s3, b2, r2, wasabi") {
		t.Errorf("unknown provider: %v", err)
	}
	if _, err := Monthly("aws-s3", -1, 0); err == nil {
		t.Error("negative size accepted")
	}
}

func TestPriceTable(t *testing.T) {
	for _, name := range Providers() {
		p, err := Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		if p.Name != name || p.Title == "" || p.Sources == "" || p.StorageGBMonth <= 0 {
			t.Errorf("%s: incomplete entry %+v", name, p)
		}
		for i, tier := range p.EgressTiers {
			last := i == len(p.EgressTiers)-1
			if (tier.UpToGB == 0) != last || i > 0 && tier.UpToGB != 0 && tier.UpToGB <= p.EgressTiers[i-1].UpToGB {
				t.Errorf("%s: egress tiers out of order: %+v", name, p.EgressTiers)
			}
		}
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 0.005 }
