package retry

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/tunesafe/tunesafe/internal/store"
)

// Defaults for the zero fields of a Policy. Fifteen minutes rides out a
// router reboot or a provider's brief outage; an unattended agent that still
// fails after that tries again at its next scheduled run.
const (
	DefaultInitial    = 500 * time.Millisecond
	DefaultMax        = 60 * time.Second
	DefaultMaxElapsed = 15 * time.Minute
	// DefaultUnreadableAfter is how long GETs of one object must fail with
	// server errors, while the server still answers a HEAD for it, before
	// the object is called unreadable (see Store.Get).
	DefaultUnreadableAfter = 2 * time.Minute
)

// Policy says how long and how often to retry. The zero Policy is the
// default policy.
type Policy struct {
	// Initial bounds the first delay; each retry doubles the bound.
	// Zero means DefaultInitial.
	Initial time.Duration
	// Max caps the bound of a single delay. Zero means DefaultMax.
	Max time.Duration
	// MaxElapsed is how long after the first attempt to stop retrying.
	// Zero means DefaultMaxElapsed; a negative value means never give up
	// (until the context ends).
	MaxElapsed time.Duration
	// UnreadableAfter is how long a GET of one object may fail with
	// server errors while a Stat of it succeeds before Get gives up on
	// it as unreadable. Zero means DefaultUnreadableAfter; a negative
	// value means never. A MaxElapsed shorter than it gives up first, with
	// the transient error.
	UnreadableAfter time.Duration

	// OnRetry, if set, is called before each retry's delay, on the
	// goroutine that called the store method, with the operation ("put",
	// "get", "stat", "delete", "list", or the op given to Do), the key (the
	// prefix for list), the number of the retry about to happen (1 for the
	// first) and the transient error that caused it. It must not block for
	// long.
	OnRetry func(op, key string, attempt int, err error)
	// OnRecover, if set, is called when a call succeeds after retries,
	// with the operation, the key and the number of retries it took: the
	// storage answers again.
	OnRecover func(op, key string, retries int)

	// Sleep waits for d or until ctx ends, returning ctx's error in that
	// case. Nil means a real timer; tests pass a fake that advances a fake
	// clock.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now returns the current time, for MaxElapsed. Nil means time.Now.
	Now func() time.Time

	// jitter returns a random duration in [0, d); nil means math/rand/v2.
	// Tests set it to make delays predictable.
	jitter func(d time.Duration) time.Duration
}

func (p Policy) withDefaults() Policy {
	if p.Initial <= 0 {
		p.Initial = DefaultInitial
	}
	if p.Max <= 0 {
		p.Max = DefaultMax
	}
	if p.Max < p.Initial {
		p.Max = p.Initial
	}
	if p.MaxElapsed == 0 {
		p.MaxElapsed = DefaultMaxElapsed
	}
	if p.UnreadableAfter == 0 {
		p.UnreadableAfter = DefaultUnreadableAfter
	}
	if p.Sleep == nil {
		p.Sleep = sleep
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	if p.jitter == nil {
		p.jitter = func(d time.Duration) time.Duration {
			if d <= 0 {
				return 0
			}
			return rand.N(d)
		}
	}
	return p
}

// Ceiling returns the upper bound of the delay before retry n (n ≥ 1):
// min(Max, Initial·2ⁿ⁻¹), with the policy's defaults applied.
func (p Policy) Ceiling(n int) time.Duration {
	p = p.withDefaults()
	c := p.Initial
	for i := 1; i < n; i++ {
		if c >= p.Max/2 {
			return p.Max
		}
		c *= 2
	}
	return min(c, p.Max)
}

// Do calls fn until it succeeds, fails with an error that is not
// transient, or the policy gives up, exactly as the Store's methods retry
// their calls; op and key name the call for OnRetry and errors. It is for
// requests outside store.Store that should be retried like the store's own,
// such as an optional capability of the store underneath, found through
// Store.Unwrap.
func (p Policy) Do(ctx context.Context, op, key string, fn func() error) error {
	return p.withDefaults().begin().run(ctx, op, key, fn)
}

// attemptsKey is the context key of AtMost.
type attemptsKey struct{}

// AtMost returns a context under which the calls of a Store, and
// Policy.Do, make at most attempts attempts (at least one), however long
// their policy would go on: for a request that is best effort, such as
// the cleanup on the way out of a run, which should not wait the whole
// MaxElapsed again for a storage that has stopped answering. The policy's
// own limits still apply when they end the retries sooner.
func AtMost(ctx context.Context, attempts int) context.Context {
	return context.WithValue(ctx, attemptsKey{}, max(attempts, 1))
}

// backoff is the state of one retry loop: when it started and how many
// retries it made.
type backoff struct {
	p       Policy
	start   time.Time
	retries int
	// down, for a Store's call, is the Store's flag that a call gave up
	// after MaxElapsed (see the package comment); nil for Policy.Do.
	down *atomic.Bool
}

// run calls fn until it succeeds or the backoff gives up.
func (b *backoff) run(ctx context.Context, op, key string, fn func() error) error {
	for {
		err := fn()
		if err == nil {
			b.recovered(op, key)
			return nil
		}
		if err := b.wait(ctx, op, key, err); err != nil {
			return err
		}
	}
}

// attempts is the most attempts the call may make, by ctx (AtMost) and
// by the Store being down (down is then true); 0 when only MaxElapsed
// bounds it.
func (b *backoff) attempts(ctx context.Context) (n int, down bool) {
	n, _ = ctx.Value(attemptsKey{}).(int)
	if b.down != nil && b.down.Load() && (n == 0 || n > DownAttempts) {
		return DownAttempts, true
	}
	return n, false
}

func (p Policy) begin() *backoff {
	return &backoff{p: p, start: p.Now()}
}

// wait decides what to do after err. It returns nil after sleeping when the
// caller should try again, or the error to return: err itself when it is
// not transient, the context's error when ctx has ended, and err with the
// attempt count when the policy gives up.
func (b *backoff) wait(ctx context.Context, op, key string, err error) error {
	if ctx.Err() != nil {
		return cancelled(ctx, op, key, nil, err)
	}
	if !store.IsTransient(err) {
		return err
	}
	elapsed := b.p.Now().Sub(b.start)
	if b.p.MaxElapsed > 0 && elapsed >= b.p.MaxElapsed {
		if b.down != nil {
			b.down.Store(true)
		}
		return fmt.Errorf("%w (gave up after %s in %s)", err, plural(b.retries+1, "attempt"), elapsedString(elapsed))
	}
	if n, down := b.attempts(ctx); n > 0 && b.retries+1 >= n {
		if down {
			return fmt.Errorf("%w (gave up after %s: the storage stopped answering earlier in this run)", err, plural(b.retries+1, "attempt"))
		}
		return fmt.Errorf("%w (gave up after %s in %s)", err, plural(b.retries+1, "attempt"), elapsedString(elapsed))
	}
	b.retries++
	d := b.p.jitter(b.p.Ceiling(b.retries))
	if b.p.MaxElapsed > 0 && elapsed+d > b.p.MaxElapsed {
		// Make one last attempt right at the deadline rather than
		// giving up early or sleeping past it.
		d = b.p.MaxElapsed - elapsed
	}
	if b.p.OnRetry != nil {
		b.p.OnRetry(op, key, b.retries, err)
	}
	if serr := b.p.Sleep(ctx, d); serr != nil {
		return cancelled(ctx, op, key, serr, err)
	}
	return nil
}

// recovered reports a success after retries to OnRecover; the storage
// answers, so its Store is no longer down.
func (b *backoff) recovered(op, key string) {
	if b.down != nil && b.down.Load() {
		b.down.Store(false)
	}
	if b.retries > 0 && b.p.OnRecover != nil {
		b.p.OnRecover(op, key, b.retries)
	}
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// plural is "1 attempt", "2 attempts".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
