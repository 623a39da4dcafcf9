package estimate

// The list prices Monthly uses, in US dollars. Every number comes from
// /work/shared/research/storage-integrity.md, section 7 ("Prices for a cost
// estimator"), which cites the provider pages below and their dates. They
// are list prices for the cheapest region and standard class; verify them
// before publishing an estimate, and update PricesAsOf with them.
//
// A GB here is 10⁹ bytes and a TB 10¹² bytes. (Some providers, AWS among
// them, may bill in units of 2³⁰ bytes; the research did not settle it, and
// the difference, 7 %, is within the precision of an estimate.)

// PricesAsOf is the date the research behind these prices was written.
const PricesAsOf = "2026-11-24"

// bytesPerGB is the billing unit of every price below.
const bytesPerGB = 1e9

// providers is the price table, by the name Monthly takes.
var providers = map[string]Provider{
	"aws-s3": {
		Name:           "aws-s3",
		Title:          "AWS S3 Standard (us-east-1)",
		StorageGBMonth: 0.023, // first 50 TB; lower tiers above were not confirmed
		PutPer1000:     0.005, // PUT, COPY, POST, LIST
		GetPer1000:     0.0004,
		FreeEgressGB:   100, // a month, across AWS services
		EgressTiers: []Tier{
			{UpToGB: 10_000, PerGB: 0.09},
			{UpToGB: 50_000, PerGB: 0.085},
			{UpToGB: 150_000, PerGB: 0.07},
			{PerGB: 0.05},
		},
		Sources: "cloudburn.io/blog/amazon-s3-pricing (as of March 2026); c3x.dev/blog/s3-request-fees-explained; " +
			"leanopstech.com/blog/aws-data-transfer-pricing-2026 (2026-04-27); cloud-cost-557.pages.dev (2026-06-10)",
	},
	"b2": {
		Name:             "b2",
		Title:            "Backblaze B2",
		StorageGBMonth:   0.006, // $6/TB-month
		FreeStorageGB:    10,
		PutPer1000:       0,      // Class A transactions are free
		GetPer1000:       0.0004, // Class B: $0.004 per 10,000
		FreeGets:         2_500,  // a day; an estimate assumes a restore within one
		FreeEgressFactor: 3,      // free up to 3× the average stored in the month
		EgressTiers:      []Tier{{PerGB: 0.01}},
		Sources: "leanopstech.com/blog/backblaze-b2-pricing-2026 (as of April 2026); cloudslinker.com/support-clouds/b2; " +
			"backblaze.com/b2/b2-transactions-price.html (class prices uncertain)",
	},
	"wasabi": {
		Name:             "wasabi",
		Title:            "Wasabi (pay as you go)",
		StorageGBMonth:   0.00699, // $6.99/TB-month
		MinBillableGB:    1000,    // 1 TB minimum monthly charge
		MinStorageDays:   90,
		FreeEgressFactor: 1, // free while monthly egress ≤ storage; beyond that Wasabi may limit the service
		Sources: "docs.wasabi.com, Invoices: Interpreting Charges (2024-06-04); docs.wasabi.com minimum storage duration policy; " +
			"wasabi.com/pricing/rcs-faq",
	},
	"r2": {
		Name:           "r2",
		Title:          "Cloudflare R2 Standard",
		StorageGBMonth: 0.015,
		FreeStorageGB:  10,
		PutPer1000:     0.0045, // Class A: $4.50 per million
		FreePuts:       1_000_000,
		GetPer1000:     0.00036, // Class B: $0.36 per million
		FreeGets:       10_000_000,
		// Egress is free.
		Sources: "cloudflare/cloudflare-docs src/content/docs/r2/pricing.mdx; halideworks/onelight wiki (rates read 2026-08-03)",
	},
}
