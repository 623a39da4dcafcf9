package auditlog

import (
	"bytes"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
)

// The fuzz targets of this file read what the log reads from the vault
// (checkpoints, entries objects and their names) and from its local
// journal. Seeds made by the code that writes these inputs are below;
// hand-written near misses are in testdata/fuzz/<target>.

// FuzzParseCheckpoint checks that ParseCheckpoint accepts only the text
// Checkpoint.Text writes, and that every checkpoint's text parses back.
func FuzzParseCheckpoint(f *testing.F) {
	c := Checkpoint{Origin: KeyName("ab12"), Size: 42, Hash: tlog.RecordHash([]byte("x"))}
	f.Add(c.Text())
	f.Add(Checkpoint{Origin: KeyName("test"), Size: 0}.Text())
	f.Add(Checkpoint{Origin: "a", Size: math.MaxInt64}.Text())
	f.Fuzz(func(t *testing.T, text []byte) {
		c, err := ParseCheckpoint(text)
		if err == nil {
			if c.Origin == "" || c.Size < 0 || !bytes.Equal(c.Text(), text) {
				t.Fatalf("ParseCheckpoint(%q) = %+v, whose text is %q", text, c, c.Text())
			}
		} else if c != (Checkpoint{}) {
			t.Fatalf("ParseCheckpoint(%q) returned %+v with error %v", text, c, err)
		}

		// Any checkpoint, with an origin of one line, survives its text.
		c = Checkpoint{
			Origin: strings.ReplaceAll(string(text), "\n", ""),
			Hash:   tlog.RecordHash(text),
		}
		c.Size = int64(c.Hash[0]&0x7f)<<56 | int64(len(text))
		if c.Origin == "" {
			return
		}
		back, err := ParseCheckpoint(c.Text())
		if err != nil || back != c {
			t.Fatalf("ParseCheckpoint(%q) = %+v, %v; want %+v", c.Text(), back, err, c)
		}
	})
}

// FuzzDecodeSegment checks that decodeSegment returns exactly the leaves
// encodeSegment joined, and that a segment's name round trips.
func FuzzDecodeSegment(f *testing.F) {
	var leaves [][]byte
	for _, r := range sampleRecords {
		b, err := EncodeRecord(r)
		if err != nil {
			f.Fatal(err)
		}
		leaves = append(leaves, b)
	}
	f.Add(encodeSegment(leaves), int64(len(leaves)))
	f.Add(encodeSegment(leaves[:1]), int64(1))
	f.Add(encodeSegment(leaves), int64(len(leaves)-1))
	f.Fuzz(func(t *testing.T, data []byte, count int64) {
		got, err := decodeSegment(data, count)
		if err != nil {
			if got != nil {
				t.Fatalf("decodeSegment returned leaves and error %v", err)
			}
			return
		}
		if int64(len(got)) != count {
			t.Fatalf("decodeSegment(%q, %d) returned %d leaves", data, count, len(got))
		}
		for _, l := range got {
			if bytes.IndexByte(l, '\n') >= 0 {
				t.Fatalf("leaf %q holds a newline", l)
			}
		}
		if again := encodeSegment(got); !bytes.Equal(again, data) {
			t.Fatalf("decodeSegment(%q) re-encodes as %q", data, again)
		}
	})
}

// FuzzParseSegmentKey checks that parseSegmentKey accepts only the names
// segmentKey writes, for segments that lie within the int64 record
// indexes, and that those names round trip.
func FuzzParseSegmentKey(f *testing.F) {
	for _, k := range []string{
		segmentKey(0, 1), segmentKey(1000, 250), segmentKey(123456789012, 7), segmentKey(1234567890123, 7),
		segmentKey(math.MaxInt64-1, 1),
		segmentKey(1, math.MaxInt64), // records beyond the last int64 index: refused
	} {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, key string) {
		first, count, ok := parseSegmentKey(key)
		if !ok {
			if first != 0 || count != 0 {
				t.Fatalf("parseSegmentKey(%q) = %d, %d, false", key, first, count)
			}
			return
		}
		if first < 0 || count <= 0 || first > math.MaxInt64-count {
			t.Fatalf("parseSegmentKey(%q) = %d, %d: not a segment of the log", key, first, count)
		}
		if segmentKey(first, count) != key {
			t.Fatalf("parseSegmentKey(%q) = %d, %d, which segmentKey writes as %q", key, first, count, segmentKey(first, count))
		}
		if (segment{First: first, Count: count}).key() != key {
			t.Fatalf("segment key of %q differs", key)
		}
	})
}

// FuzzParseCheckpointArchiveKey checks that ParseCheckpointArchiveKey is
// the inverse of CheckpointArchiveKey and accepts nothing else.
func FuzzParseCheckpointArchiveKey(f *testing.F) {
	for _, k := range []string{
		CheckpointArchiveKey(1), CheckpointArchiveKey(42), CheckpointArchiveKey(999999999999), CheckpointArchiveKey(1000000000000),
		CheckpointArchiveKey(math.MaxInt64), CheckpointArchiveKey(0), CheckpointArchiveKey(-1),
	} {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, key string) {
		n, ok := ParseCheckpointArchiveKey(key)
		if !ok {
			if n != 0 {
				t.Fatalf("ParseCheckpointArchiveKey(%q) = %d, false", key, n)
			}
			return
		}
		if n <= 0 || CheckpointArchiveKey(n) != key {
			t.Fatalf("ParseCheckpointArchiveKey(%q) = %d, which CheckpointArchiveKey writes as %q", key, n, CheckpointArchiveKey(n))
		}
		if key == CheckpointKey || !strings.HasPrefix(key, Prefix) {
			t.Fatalf("archive key %q is outside the log's checkpoints", key)
		}
	})
}

// FuzzParseJournalLine checks that a journal line parses to an operation
// the journal could have written, and that writing it again the way the
// Log does gives a line that parses to the same operation.
func FuzzParseJournalLine(f *testing.F) {
	for i, r := range sampleRecords {
		leaf, err := EncodeRecord(r)
		if err != nil {
			f.Fatal(err)
		}
		switch r.(type) {
		case Put, Delete:
			unknown, err := EncodeRecord(withOutcome(r, OutcomeUnknown))
			if err != nil {
				f.Fatal(err)
			}
			f.Add(fmt.Appendf(nil, "i %d %s", i, unknown))
			f.Add(fmt.Appendf(nil, "f %d %s", i, unknown)) // refused: an intent written as final
		default:
			f.Add(fmt.Appendf(nil, "f %d %s", i, leaf))
			f.Add(fmt.Appendf(nil, "i %d %s", i, leaf)) // refused: Begin takes a Put or Delete only
		}
	}
	f.Add(fmt.Appendf(nil, "d %d %s", 1, OutcomeOK))
	f.Add(fmt.Appendf(nil, "d %d %s", uint64(math.MaxUint64), OutcomeFailed))
	f.Fuzz(func(t *testing.T, b []byte) {
		ln, ok := parseJournalLine(b)
		if !ok {
			if !reflect.DeepEqual(ln, journalLine{}) {
				t.Fatalf("parseJournalLine(%q) refused it, returning %+v", b, ln)
			}
			return
		}
		var again []byte
		switch ln.op {
		case 'i', 'f':
			_, put := ln.rec.(Put)
			_, del := ln.rec.(Delete)
			if (put || del) != (ln.op == 'i') {
				t.Fatalf("parseJournalLine(%q): op %c with a %T record", b, ln.op, ln.rec)
			}
			leaf, err := EncodeRecord(ln.rec)
			if err != nil || !bytes.Equal(leaf, ln.leaf) {
				t.Fatalf("parseJournalLine(%q): leaf %q is not the encoding of its record (%q, %v)", b, ln.leaf, leaf, err)
			}
			if !bytes.HasSuffix(b, ln.leaf) {
				t.Fatalf("parseJournalLine(%q): leaf %q is not the line's", b, ln.leaf)
			}
			again = fmt.Appendf(nil, "%c %d %s", ln.op, ln.id, ln.leaf)
		case 'd':
			if ln.outcome != OutcomeOK && ln.outcome != OutcomeFailed {
				t.Fatalf("parseJournalLine(%q): outcome %q", b, ln.outcome)
			}
			again = fmt.Appendf(nil, "d %d %s", ln.id, ln.outcome)
		default:
			t.Fatalf("parseJournalLine(%q): op %q", b, ln.op)
		}
		back, ok := parseJournalLine(again)
		if !ok || !reflect.DeepEqual(back, ln) {
			t.Fatalf("parseJournalLine(%q) = %+v, written again as %q, which parses to %+v, %v", b, ln, again, back, ok)
		}
	})
}
