package agent

import "time"

// Backoff bounds the exponential waits after consecutive transient
// failures: the n-th wait is about Min·2ⁿ⁻¹, at most Max.
type Backoff struct {
	Min, Max time.Duration
}

// Delay returns the wait after the n-th consecutive failure (n ≥ 1), with
// "equal jitter": half of the exponential delay is fixed and the other
// half random (r in [0, 1)), so that waits spread out without ever being
// shorter than half the delay.
func (b Backoff) Delay(n int, r float64) time.Duration {
	d := b.Min
	for i := 1; i < n && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, b.Max)
	return d/2 + time.Duration(r*float64(d/2))
}
