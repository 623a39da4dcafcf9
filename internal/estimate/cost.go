package estimate

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// Provider holds one provider's list prices, in US dollars; see prices.go.
type Provider struct {
	Name  string // what Monthly takes: "aws-s3", "b2", "wasabi", "r2"
	Title string // for people

	StorageGBMonth float64 // per GB stored for a month
	FreeStorageGB  float64 // stored free each month
	MinBillableGB  float64 // the least storage billed a month, if any
	MinStorageDays int     // objects deleted sooner are billed this long

	PutPer1000 float64 // per 1,000 uploads (PUT; Class A)
	FreePuts   int64   // uploads free a month
	GetPer1000 float64 // per 1,000 downloads (GET; Class B)
	FreeGets   int64   // downloads free in the period of a restore

	FreeEgressGB     float64 // downloaded free a month
	FreeEgressFactor float64 // downloads free up to this many times the stored amount, if > 0
	EgressTiers      []Tier  // what egress beyond the free part costs; none: free

	Sources string // where the numbers come from
}

// Tier is a band of monthly egress. Egress up to UpToGB in the month (in
// total, counting the bands below it) costs PerGB; UpToGB 0 means no upper
// bound.
type Tier struct {
	UpToGB float64
	PerGB  float64
}

// Cost is what a vault of a given size costs at one provider, in US
// dollars.
type Cost struct {
	Provider string
	// StoragePerMonth is the monthly bill for keeping the data, after
	// free allowances and minimum charges.
	StoragePerMonth float64
	// FirstUpload is the request fees for uploading every object once.
	// Uploading is free of transfer charges everywhere.
	FirstUpload float64
	// FullRestore is the fees for downloading every object once in a
	// month: egress and GET requests.
	FullRestore float64
	// Notes lists the conditions that applied: minimums, free tiers.
	Notes []string
}

// Providers returns the names Monthly knows, sorted.
func Providers() []string {
	names := make([]string, 0, len(providers))
	for n := range providers {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Lookup returns the prices of a provider by name ("aws-s3", "b2", "wasabi",
// "r2"; case is ignored).
func Lookup(name string) (Provider, error) {
	p, ok := providers[strings.ToLower(name)]
	if !ok {
		return Provider{}, fmt.Errorf("no prices for provider %q (known: %s)", name, strings.Join(Providers(), ", "))
	}
	return p, nil
}

// Monthly estimates what storing bytes in objects objects costs at
// provider: the monthly storage bill, and the one-time fees of the first
// upload and of one full restore. Free allowances are assumed unused by
// anything else on the account.
func Monthly(provider string, bytes, objects int64) (Cost, error) {
	p, err := Lookup(provider)
	if err != nil {
		return Cost{}, err
	}
	if bytes < 0 || objects < 0 {
		return Cost{}, fmt.Errorf("negative size (%d bytes, %d objects)", bytes, objects)
	}
	gb := float64(bytes) / bytesPerGB
	c := Cost{Provider: p.Name}

	billed := max(gb-p.FreeStorageGB, 0)
	if p.FreeStorageGB > 0 {
		c.Notes = append(c.Notes, fmt.Sprintf("the first %g GB stored are free", p.FreeStorageGB))
	}
	if p.MinBillableGB > 0 && billed < p.MinBillableGB {
		billed = p.MinBillableGB
		c.Notes = append(c.Notes, fmt.Sprintf("at least %g GB are billed each month", p.MinBillableGB))
	}
	c.StoragePerMonth = billed * p.StorageGBMonth
	if p.MinStorageDays > 0 {
		c.Notes = append(c.Notes, fmt.Sprintf("objects deleted within %d days are billed for %d days", p.MinStorageDays, p.MinStorageDays))
	}

	switch {
	case len(p.EgressTiers) == 0 && p.FreeEgressFactor > 0:
		c.Notes = append(c.Notes, fmt.Sprintf("downloads up to %g× the amount stored each month are free; more is outside the provider's terms", p.FreeEgressFactor))
	case len(p.EgressTiers) == 0:
		c.Notes = append(c.Notes, "downloads are free")
	case p.FreeEgressFactor > 0:
		c.Notes = append(c.Notes, fmt.Sprintf("downloads up to %g× the amount stored each month are free", p.FreeEgressFactor))
	case p.FreeEgressGB > 0:
		c.Notes = append(c.Notes, fmt.Sprintf("the first %g GB downloaded each month are free", p.FreeEgressGB))
	}

	c.FirstUpload = requests(objects, p.FreePuts, p.PutPer1000)
	c.FullRestore = requests(objects, p.FreeGets, p.GetPer1000) + egress(p, gb, gb)
	return c, nil
}

// requests prices n requests, of which free are free.
func requests(n, free int64, per1000 float64) float64 {
	return float64(max(n-free, 0)) / 1000 * per1000
}

// egress prices downloading gb in a month while stored GB are kept.
func egress(p Provider, gb, stored float64) float64 {
	free := p.FreeEgressGB
	if p.FreeEgressFactor > 0 {
		free = max(free, p.FreeEgressFactor*stored)
	}
	total, lower := 0.0, 0.0
	for _, t := range p.EgressTiers {
		upper := t.UpToGB
		if upper == 0 {
			upper = math.Inf(1)
		}
		from, to := max(lower, free), min(upper, gb)
		if to > from {
			total += (to - from) * t.PerGB
		}
		lower = upper
	}
	return total
}
