package auditlog

import (
	"cmp"
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/tunesafe/tunesafe/internal/store"
)

// One writer at a time. Publishing reads the vault's checkpoint, catches
// up with what others appended, then writes the next entries object and a
// new checkpoint. Two computers doing that at once would both append at
// the same size: one entries object would replace the other's, and the
// checkpoints would fork. Backups from several computers hold only shared
// locks (they may run together), so the log has its own exclusion: before
// publishing, a writer puts a claim under log/writer/, lists the claims,
// and goes ahead only if no other recent one is there; otherwise it
// withdraws its claim and tries again after a random pause. Of two writers
// that claim at the same moment, at least one sees the other (each lists
// after its own put), so they never publish together; the random pauses
// let one of them through.
//
// A claim is refreshed while its writer publishes, and one whose object
// was last written more than writerStale before the newcomer's own claim
// (both times are the storage's, so the computers' clocks do not matter)
// is taken to be of a writer that died. Claims are coordination, not
// history: like the log's other objects they are not records of the log.

const (
	writerPrefix  = Prefix + "writer/"
	writerStale   = 2 * time.Minute
	writerRefresh = 30 * time.Second
	// writerWait is how long a writer tries to get its turn before giving
	// up (Log.writerWait in tests); its records then wait in the journal
	// for the next flush.
	writerWait = 3 * time.Minute
)

// writerClaim is the content of a claim, for the message of a writer that
// had to give up.
type writerClaim struct {
	Host    string    `json:"host"`
	PID     int       `json:"pid"`
	Started time.Time `json:"started"`
}

// ErrWriterBusy is why a flush gave up waiting for its turn.
var ErrWriterBusy = errors.New("another computer is publishing to the vault's log")

// exclusive runs fn while this process is the vault's only log writer.
func (l *Log) exclusive(ctx context.Context, fn func() error) error {
	b := make([]byte, 6)
	crand.Read(b)
	key := writerPrefix + l.now().UTC().Format("20060102T150405.000Z") + "-" + hex.EncodeToString(b)
	claim, _ := json.Marshal(writerClaim{Host: l.host, PID: os.Getpid(), Started: l.now().UTC()})
	withdraw := func() { l.store.Delete(context.WithoutCancel(ctx), key) }
	deadline := time.Now().Add(cmp.Or(l.writerWait, writerWait))
	pause := 200 * time.Millisecond
	for {
		if err := l.store.Put(ctx, key, claim); err != nil {
			return fmt.Errorf("auditlog: claim the log: %w", err)
		}
		other, err := l.otherWriter(ctx, key)
		if err != nil {
			withdraw()
			return err
		}
		if other == "" {
			break
		}
		withdraw()
		if time.Now().After(deadline) {
			return fmt.Errorf("%w (%s); the records wait in this computer's journal for the next run", ErrWriterBusy, other)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pause/2 + rand.N(pause)):
		}
		pause = min(2*pause, 5*time.Second)
	}
	defer withdraw()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(writerRefresh)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				l.store.Put(context.WithoutCancel(ctx), key, claim)
			}
		}
	}()
	defer func() { close(stop); wg.Wait() }()
	return fn()
}

// otherWriter lists the claims and describes a recent one other than
// mine, or returns "" when there is none.
func (l *Log) otherWriter(ctx context.Context, mine string) (string, error) {
	type claimed struct {
		key string
		at  time.Time
	}
	var all []claimed
	var at time.Time
	for info, err := range l.store.List(ctx, writerPrefix) {
		if err != nil {
			return "", fmt.Errorf("auditlog: list the log's writers: %w", err)
		}
		if info.Key == mine {
			at = info.ModTime
			continue
		}
		all = append(all, claimed{info.Key, info.ModTime})
	}
	for _, c := range all {
		if !at.IsZero() && at.Sub(c.at) > writerStale {
			continue // its writer died
		}
		desc := strings.TrimPrefix(c.key, writerPrefix)
		var wc writerClaim
		if raw, err := store.ReadAll(ctx, l.store, c.key); err == nil && json.Unmarshal(raw, &wc) == nil && wc.Host != "" {
			desc = fmt.Sprintf("%s, pid %d, since %s", wc.Host, wc.PID, wc.Started.Local().Format("15:04:05"))
		}
		return desc, nil
	}
	return "", nil
}
