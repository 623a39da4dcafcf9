package main

import (
	"context"
	"errors"
	"io"
	"iter"
	"time"

	"github.com/tunesafe/tunesafe/internal/store"
)

// errNoAnswer ends the context of untilAnswer when the storage has not
// answered in time.
var errNoAnswer = errors.New("the storage did not answer")

// answerWatch is the timer of untilAnswer, stopped by the first answer.
type answerWatch struct{ timer *time.Timer }

type answerKey struct{}

// untilAnswer returns a context that ends with ctx, or after d unless the
// vault's storage has answered a request made under it by then (a request
// that the store did not judge transient, see answerStore). Once the
// storage has answered there is no deadline: what follows, a passphrase
// prompt or a scan of the folders, takes the time it takes. noAnswer tells
// whether the context ended for want of an answer.
func untilAnswer(ctx context.Context, d time.Duration) (_ context.Context, noAnswer func() bool, cancel context.CancelFunc) {
	ctx, cancelCause := context.WithCancelCause(ctx)
	w := &answerWatch{timer: time.AfterFunc(d, func() { cancelCause(errNoAnswer) })}
	ctx = context.WithValue(ctx, answerKey{}, w)
	noAnswer = func() bool { return errors.Is(context.Cause(ctx), errNoAnswer) }
	return ctx, noAnswer, func() { w.timer.Stop(); cancelCause(nil) }
}

// answered stops the deadline of untilAnswer, if ctx has one, when err is
// an answer of the storage.
func answered(ctx context.Context, err error) {
	w, ok := ctx.Value(answerKey{}).(*answerWatch)
	if !ok || ctx.Err() != nil || (err != nil && store.IsTransient(err)) {
		return
	}
	w.timer.Stop()
}

// answerStore tells untilAnswer when the storage answers. It sits right
// above the raw store, so that every attempt of the retry decorator is
// seen; without untilAnswer in the context it does nothing.
type answerStore struct{ next store.Store }

func (s answerStore) Unwrap() store.Store { return s.next }
func (s answerStore) String() string      { return s.next.String() }

func (s answerStore) Put(ctx context.Context, key string, data []byte) error {
	err := s.next.Put(ctx, key, data)
	answered(ctx, err)
	return err
}

func (s answerStore) Get(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	rc, err := s.next.Get(ctx, key, offset, length)
	answered(ctx, err)
	return rc, err
}

func (s answerStore) Stat(ctx context.Context, key string) (store.Info, error) {
	info, err := s.next.Stat(ctx, key)
	answered(ctx, err)
	return info, err
}

func (s answerStore) Delete(ctx context.Context, key string) error {
	err := s.next.Delete(ctx, key)
	answered(ctx, err)
	return err
}

func (s answerStore) List(ctx context.Context, prefix string) iter.Seq2[store.Info, error] {
	return func(yield func(store.Info, error) bool) {
		done := false
		for info, err := range s.next.List(ctx, prefix) {
			if !done {
				answered(ctx, err)
				done = true
			}
			if !yield(info, err) {
				return
			}
		}
		if !done {
			answered(ctx, nil)
		}
	}
}
