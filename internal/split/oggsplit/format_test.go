package oggsplit

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// TestEntryRoundTrip encodes page entries with extreme and random values
// and decodes them back.
func TestEntryRoundTrip(t *testing.T) {
	rnd := rand.New(rand.NewPCG(5, 6))
	var in []entry
	for _, seq := range []uint32{0, 1, 2, math.MaxUint32, 0, 7, 1 << 31, 1<<31 - 1} {
		for _, g := range []uint64{0, granuleNone, 5, math.MaxInt64, 1 << 63 >> 1, 3, granuleNone, granuleNone - 1} {
			in = append(in, entry{htype: byte(rnd.Uint32()), sidx: rnd.IntN(3), seq: seq, granule: g,
				lacing: randBytes(rnd, rnd.IntN(256))})
		}
	}
	var enc deltas
	enc.grow(3)
	var b []byte
	for i := range in {
		var err error
		if b, err = enc.appendEntry(b, &in[i]); err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
	}
	var dec deltas
	dec.grow(3)
	for i, want := range in {
		var got entry
		var err error
		if b, err = dec.readEntry(b, &got); err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
		if got.htype != want.htype || got.sidx != want.sidx || got.seq != want.seq ||
			got.granule != want.granule || !bytes.Equal(got.lacing, want.lacing) {
			t.Fatalf("entry %d: got %+v, want %+v", i, got, want)
		}
	}
	if len(b) != 0 {
		t.Fatalf("%d bytes left", len(b))
	}
}

func TestEntryLimits(t *testing.T) {
	var d deltas
	d.grow(1)
	// A granule 2^63 away from the previous one has no code.
	if _, err := d.appendEntry(nil, &entry{granule: 1 << 63}); !errors.Is(err, errGranule) {
		t.Errorf("granule 2^63: %v", err)
	}
	// An unchanged stream costs six bytes per page plus its lacing values.
	var e deltas
	e.grow(1)
	b, _ := e.appendEntry(nil, &entry{seq: 0, granule: 0, lacing: []byte{1}})
	b, _ = e.appendEntry(b, &entry{seq: 1, granule: 0, lacing: []byte{1}})
	if len(b) != 12 {
		t.Errorf("two entries of one segment take %d bytes, want 12", len(b))
	}
	for _, bad := range [][]byte{
		{},              // no header type
		{0, 1, 0, 0, 0}, // serial index out of range
		{0, 0, 0x80},    // truncated sequence code
		{0, 0, 0x80, 0x80, 0x80, 0x80, 0x10, 0, 0}, // sequence code over 2^32
		{0, 0, 0},          // no granule code
		{0, 0, 0, 0},       // no segment count
		{0, 0, 0, 0, 2, 1}, // lacing values cut short
	} {
		var d deltas
		d.grow(1)
		if _, err := d.readEntry(bad, &entry{}); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%x: %v", bad, err)
		}
	}
}
