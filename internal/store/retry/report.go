package retry

import (
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/tunesafe/tunesafe/internal/store"
)

// DefaultReportEvery is how often a Reporter tells of an outage that goes
// on.
const DefaultReportEvery = time.Minute

// Reporter tells of retries in a few lines, however many requests retry
// at once: when a vault's disk is unplugged, every request of a restore's
// or a backup's workers retries, and one line per retry would bury the
// rest of the output. Its Retry and Recover are a Policy's OnRetry and
// OnRecover; one Reporter serves every Policy of a run, so that the
// requests of all its stores are counted together.
//
// An outage starts with the first retry of a cause (the kind of the
// error, store.KindOf): one warning names the request, its error, and
// says the retries that follow are summed up. While it lasts, at most one
// warning every Every says for how long the storage has failed, how many
// requests retried since the last line and why. The first request that
// succeeds after retries ends every outage, with one warning saying so.
// An outage starting less than Every after the last line (a request that
// failed just before the storage answered again, a line that flaps) is
// told by its first summary, or not at all if it ends before.
// Each retry is logged at debug level too.
//
// Its methods may be called from any goroutine.
type Reporter struct {
	// Log receives the lines; nil discards them.
	Log *slog.Logger
	// Every is the least time between two lines of one outage; zero means
	// DefaultReportEvery.
	Every time.Duration
	// Now returns the current time; nil means time.Now.
	Now func() time.Time

	mu      sync.Mutex
	outages map[string]*outage // by cause
	// told is when the last line was logged.
	told time.Time
}

// outage is a run of retries of one cause.
type outage struct {
	start, told time.Time
	// requests are those retried since the last line, by "op key";
	// retries counts their retries.
	requests map[string]bool
	retries  int
	// all counts the requests retried in the whole outage.
	all  map[string]bool
	last error
	// silent is set until a line tells of the outage.
	silent bool
}

// Retry is a Policy's OnRetry.
func (r *Reporter) Retry(op, key string, attempt int, err error) {
	what := op
	if key != "" {
		what += " " + key
	}
	log := r.log()
	r.mu.Lock()
	defer r.mu.Unlock()
	log.Debug(fmt.Sprintf("retrying %s (attempt %d)", what, attempt), "err", err)
	now := r.now()
	cause := store.KindOf(err)
	o := r.outages[cause]
	if o == nil {
		if r.outages == nil {
			r.outages = map[string]*outage{}
		}
		o = &outage{start: now, told: now, requests: map[string]bool{}, all: map[string]bool{what: true}, last: err}
		r.outages[cause] = o
		if !r.told.IsZero() && now.Sub(r.told) < r.every() {
			// Soon after another line (the storage answering again, a
			// request that failed before it did): told by the next
			// line, a minute after the last one.
			o.told, o.silent = r.told, true
			o.requests[what], o.retries = true, 1
			return
		}
		r.told = now
		log.Warn(fmt.Sprintf("retrying %s (attempt %d); while the storage fails like this, the requests retried are counted on one line every %s", what, attempt, r.every()), "err", err)
		return
	}
	o.requests[what], o.all[what] = true, true
	o.retries++
	o.last = err
	if now.Sub(o.told) < r.every() {
		return
	}
	log.Warn(fmt.Sprintf("the storage has failed for %s; in the last %s, %s waited for it, retried %s",
		round(now.Sub(o.start)), round(now.Sub(o.told)), plural(len(o.requests), "request"), times(o.retries)), "err", err)
	o.told, o.requests, o.retries, o.silent = now, map[string]bool{}, 0, false
	r.told = now
}

// Recover is a Policy's OnRecover.
func (r *Reporter) Recover(op, key string, retries int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.outages) == 0 {
		return
	}
	var start time.Time
	n, silent := 0, true
	for _, o := range r.outages {
		silent = silent && o.silent
		if start.IsZero() || o.start.Before(start) {
			start = o.start
		}
		n += len(o.all)
	}
	r.outages = nil
	if silent {
		return // no line told of it
	}
	r.told = r.now()
	r.log().Warn(fmt.Sprintf("the storage answers again after %s; %s had been retried", round(r.now().Sub(start)), plural(n, "request")))
}

func (r *Reporter) log() *slog.Logger {
	if r.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return r.Log
}

func (r *Reporter) now() time.Time {
	if r.Now == nil {
		return time.Now()
	}
	return r.Now()
}

func (r *Reporter) every() time.Duration {
	if r.Every <= 0 {
		return DefaultReportEvery
	}
	return r.Every
}

func times(n int) string {
	if n == 1 {
		return "once"
	}
	return fmt.Sprintf("%d times", n)
}

func round(d time.Duration) time.Duration { return d.Round(time.Second) }
