package state

import (
	"context"
	"time"
)

// Object Lock retention dates. The retention pass (package retain) records
// here the date until which it saw, or made, each object of a vault
// retained, so that a routine pass asks the server only about objects whose
// recorded date is close, and prune can keep an unreferenced object whose
// retention was extended until that later date. A date is a lower bound
// that held when it was recorded: only someone allowed to bypass
// GOVERNANCE retention can shorten it behind this computer's back.

// Retentions returns the recorded retention dates of the vault's objects,
// by key, in UTC.
func (c *Cache) Retentions(ctx context.Context) (map[string]time.Time, error) {
	rows, err := c.d.db.QueryContext(ctx, `SELECT key,until FROM retention WHERE vault=?`, c.vault)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var key string
		var until int64
		if err := rows.Scan(&key, &until); err != nil {
			return nil, err
		}
		out[key] = time.Unix(until, 0).UTC()
	}
	return out, rows.Err()
}

// SetRetentions records retention dates, replacing those recorded for the
// same keys. Dates are kept to the second, rounded down: S3 retention
// dates have no fractions.
func (c *Cache) SetRetentions(ctx context.Context, until map[string]time.Time) error {
	keys := make([]string, 0, len(until))
	for k := range until {
		keys = append(keys, k)
	}
	return execEach(ctx, c, `INSERT OR REPLACE INTO retention(vault,key,until) VALUES(?,?,?)`, keys,
		func(k string) []any { return []any{c.vault, k, until[k].Unix()} })
}

// ForgetRetentions drops the recorded dates of keys.
func (c *Cache) ForgetRetentions(ctx context.Context, keys []string) error {
	return execEach(ctx, c, `DELETE FROM retention WHERE vault=? AND key=?`, keys, func(k string) []any { return []any{c.vault, k} })
}
