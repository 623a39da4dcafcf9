package agent

import "time"

// rateWindow is the span over which the current rate is measured: long
// enough to smooth the bursts of parallel uploads of 1 MiB chunks, short
// enough to follow a change of bandwidth limit within a minute.
const rateWindow = time.Minute

// rateMinSpan is the least time a rate is measured over before it is
// shown: over a few seconds, the bucket of a bandwidth limiter that
// started full, and the objects that finish together, make the rate look
// higher than the limit.
const rateMinSpan = 30 * time.Second

// rateMeter measures a transfer rate from samples of a growing byte count.
type rateMeter struct {
	samples []rateSample
	// first is the first sample, for the average over the whole span.
	first *rateSample
}

type rateSample struct {
	t time.Time
	n int64
}

// add records that n bytes had been transferred at t, and returns the
// rate in bytes per second over the last rateWindow, or 0 while the
// samples span less than rateMinSpan.
func (m *rateMeter) add(t time.Time, n int64) float64 {
	if m.first == nil {
		m.first = &rateSample{t, n}
	}
	m.samples = append(m.samples, rateSample{t, n})
	for len(m.samples) > 2 && t.Sub(m.samples[1].t) >= rateWindow {
		m.samples = m.samples[1:]
	}
	return rateOver(m.samples[0], rateSample{t, n}, rateMinSpan)
}

// average returns the rate from the first sample to the last, or 0 while
// they span less than half of rateMinSpan: a pass that has ended is
// summed up over a shorter span than a running one is shown, since its
// first sample came after the limiter's first burst.
func (m *rateMeter) average() float64 {
	if m.first == nil {
		return 0
	}
	return rateOver(*m.first, m.samples[len(m.samples)-1], rateMinSpan/2)
}

// rateOver is the rate between two samples, or 0 if they span less than
// minSpan.
func rateOver(from, to rateSample, minSpan time.Duration) float64 {
	dt := to.t.Sub(from.t).Seconds()
	if dt < minSpan.Seconds() || to.n < from.n {
		return 0
	}
	return float64(to.n-from.n) / dt
}
