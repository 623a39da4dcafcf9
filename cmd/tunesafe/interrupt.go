package main

import (
	"sync/atomic"
)

// interrupts decides what an interrupt (Ctrl-C, SIGINT; or SIGTERM, as a
// service manager or a shutdown sends) does. A command that can stop
// cleanly registers a gentle stop for the time it runs: a backup then
// stops at the next piece, lets the uploads under way finish and saves a
// checkpoint, so that the work it did is in the vault and not only in
// this computer's cache. The next interrupt, or the first one when no
// gentle stop is registered, cancels the command at once (main.go).
type interrupts struct {
	gentle atomic.Pointer[func()]
}

// handle registers stop as the gentle stop until release is called.
func (i *interrupts) handle(stop func()) (release func()) {
	i.gentle.Store(&stop)
	return func() { i.gentle.CompareAndSwap(&stop, nil) }
}

// interrupt runs the registered gentle stop, once, and reports whether
// there was one.
func (i *interrupts) interrupt() bool {
	f := i.gentle.Swap(nil)
	if f == nil {
		return false
	}
	(*f)()
	return true
}

// stoppedError: the command stopped cleanly when interrupted, and its
// report said so; the exit code is exitInterrupted all the same, so that
// a script knows the work is not done.
type stoppedError struct{}

func (*stoppedError) Error() string {
	return "interrupted; run the same command again to continue where it stopped"
}
