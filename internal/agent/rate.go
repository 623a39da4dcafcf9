package agent

import "time"

// rateWindow is the span over which the current rate is measured: long
// enough to smooth the bursts of parallel uploads of 1 MiB chunks, short
// enough to follow a change of bandwidth limit within a minute.
const rateWindow = time.Minute

// rateMeter measures a transfer rate from samples of a growing byte count.
type rateMeter struct {
	samples []rateSample
}

type rateSample struct {
	t time.Time
	n int64
}

// add records that n bytes had been transferred at t, and returns the
// rate in bytes per second over the last rateWindow, or 0 while fewer than
// two samples span any time.
func (m *rateMeter) add(t time.Time, n int64) float64 {
	m.samples = append(m.samples, rateSample{t, n})
	for len(m.samples) > 2 && t.Sub(m.samples[1].t) >= rateWindow {
		m.samples = m.samples[1:]
	}
	first := m.samples[0]
	dt := t.Sub(first.t).Seconds()
	if dt <= 0 || n < first.n {
		return 0
	}
	return float64(n-first.n) / dt
}
