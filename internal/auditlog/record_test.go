package auditlog

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output; the format changed?\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

var t0 = time.Date(2026, 11, 24, 10, 0, 0, 123456789, time.UTC)

// sampleRecords holds one record of each kind, with every field set.
var sampleRecords = []Record{
	Put{Time: t0, Host: "laptop", Key: "blobs/ab/ab12cd", SHA256: sum("hello"), Size: 5, Outcome: OutcomeOK},
	Put{Time: t0.Add(time.Second), Host: "laptop", Key: "blobs/cd/cd34", SHA256: sum(""), Size: 0, Outcome: OutcomeFailed},
	Delete{Time: t0.Add(2 * time.Second), Host: "laptop", Key: "blobs/ab/ab12cd", Reason: "prune", Command: `tunesafe prune --keep "last 3" <&>`, Outcome: OutcomeOK},
	Snapshot{Time: t0.Add(3 * time.Second), Host: "Kim’s Mac", ID: "5f0e", Tree: "9a8b"},
	Verify{Time: t0.Add(4 * time.Second), Host: "laptop", Mode: "deep", Objects: 1200, Bytes: 9_876_543_210, Failures: 1},
}

func TestRecordGolden(t *testing.T) {
	var b bytes.Buffer
	for _, r := range sampleRecords {
		leaf, err := EncodeRecord(r)
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseRecord(leaf)
		if err != nil {
			t.Fatalf("ParseRecord(%s): %v", leaf, err)
		}
		if !reflect.DeepEqual(back, r) {
			t.Errorf("round trip:\n got %#v\nwant %#v", back, r)
		}
		fmt.Fprintf(&b, "%s\n%s\n", leaf, tlog.RecordHash(leaf))
	}
	golden(t, "records.golden", b.Bytes())
}

// TestLogGolden fixes the objects a small log writes: the entries object
// and the signed checkpoint (Ed25519 signatures are deterministic).
func TestLogGolden(t *testing.T) {
	f := newFixture(t)
	l := f.open()
	for _, r := range sampleRecords {
		switch r.(type) {
		case Put, Delete:
			in, err := l.Begin(r)
			if err != nil {
				t.Fatal(err)
			}
			in.Done(nil)
		default:
			if err := l.Append(r); err != nil {
				t.Fatal(err)
			}
		}
	}
	flush(t, l)
	objs := snapshotLog(t, f.store)
	var b bytes.Buffer
	for _, key := range []string{"log/entries/000000000000-5", "log/checkpoint"} {
		fmt.Fprintf(&b, "== %s\n%s", key, objs[key])
	}
	if !bytes.Equal(objs["log/checkpoint"], objs["log/checkpoints/000000000005"]) {
		t.Error("log/checkpoints/000000000005 differs from log/checkpoint")
	}
	golden(t, "log.golden", b.Bytes())
}

func TestParseRecordRejects(t *testing.T) {
	good, err := EncodeRecord(sampleRecords[0])
	if err != nil {
		t.Fatal(err)
	}
	g := string(good)
	for name, text := range map[string]string{
		"space after colon": strings.Replace(g, `"op":"put"`, `"op": "put"`, 1),
		"field order":       `{"time":"2026-11-24T10:00:00.123456789Z","op":"put"` + g[len(`{"op":"put","time":"2026-11-24T10:00:00.123456789Z"`):],
		"upper-case hex":    strings.Replace(g, "2cf24d", "2CF24D", 1),
		"local time":        strings.Replace(g, "10:00:00.123456789Z", "11:00:00.123456789+01:00", 1),
		"trailing zero":     strings.Replace(g, ".123456789Z", ".1234567890Z", 1),
		"extra field":       strings.Replace(g, `}`, `,"reason":"x"}`, 1),
		"unknown op":        strings.Replace(g, `"put"`, `"copy"`, 1),
		"escaped slash":     strings.Replace(g, "blobs/ab", `blobs\/ab`, 1),
		"bad key":           strings.Replace(g, "blobs/ab/", "blobs//", 1),
		"bad outcome":       strings.Replace(g, `"ok"`, `"maybe"`, 1),
		"trailing newline":  g + "\n",
		"negative size":     strings.Replace(g, `"size":5`, `"size":-5`, 1),
		"size as float":     strings.Replace(g, `"size":5`, `"size":5.0`, 1),
		"not json":          "put blobs/ab 5",
		"invalid utf-8":     strings.Replace(g, "laptop", "lap\xfftop", 1),
	} {
		if _, err := ParseRecord([]byte(text)); err == nil {
			t.Errorf("%s: ParseRecord(%s) succeeded", name, text)
		}
	}
}

func TestEncodeRecordRejects(t *testing.T) {
	for name, r := range map[string]Record{
		"invalid key":       Put{Time: t0, Key: "../etc", Outcome: OutcomeOK},
		"no outcome":        Put{Time: t0, Key: "k"},
		"delete no reason":  Delete{Time: t0, Key: "k", Outcome: OutcomeOK},
		"snapshot no id":    Snapshot{Time: t0},
		"verify no mode":    Verify{Time: t0},
		"invalid utf-8":     Snapshot{Time: t0, ID: "a", Host: "\xff"},
		"year out of range": Snapshot{Time: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), ID: "a"},
	} {
		if b, err := EncodeRecord(r); err == nil {
			t.Errorf("%s: EncodeRecord succeeded: %s", name, b)
		}
	}
}

// FuzzRecord checks that ParseRecord accepts only canonical encodings:
// whatever it accepts re-encodes to the same bytes and parses to the same
// record. The seed corpus is testdata/fuzz/FuzzRecord.
func FuzzRecord(f *testing.F) {
	for _, r := range sampleRecords {
		b, err := EncodeRecord(r)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseRecord(b)
		if err != nil {
			return
		}
		again, err := EncodeRecord(r)
		if err != nil {
			t.Fatalf("EncodeRecord(ParseRecord(%q)): %v", b, err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("not canonical:\n in  %q\n out %q", b, again)
		}
		r2, err := ParseRecord(again)
		if err != nil || !reflect.DeepEqual(r, r2) {
			t.Fatalf("second parse: %v\n %#v\n %#v", err, r, r2)
		}
	})
}

func TestCheckpointText(t *testing.T) {
	c := Checkpoint{Origin: KeyName("test"), Size: 5, Hash: tlog.RecordHash([]byte("x"))}
	back, err := ParseCheckpoint(c.Text())
	if err != nil || back != c {
		t.Fatalf("ParseCheckpoint(Text) = %v, %v", back, err)
	}
	for _, bad := range []string{
		"tunesafe-vault-test\n05\n" + c.Hash.String() + "\n",
		"tunesafe-vault-test\n5\n" + c.Hash.String(),
		"tunesafe-vault-test\n5\n" + c.Hash.String() + "\nextension\n",
		"\n5\n" + c.Hash.String() + "\n",
		"tunesafe-vault-test\n-1\n" + c.Hash.String() + "\n",
		"tunesafe-vault-test\n5\nAAAA\n",
	} {
		if _, err := ParseCheckpoint([]byte(bad)); err == nil {
			t.Errorf("ParseCheckpoint(%q) succeeded", bad)
		}
	}
}

func TestKeys(t *testing.T) {
	skey, vkey := TestKey(t, "")
	if !strings.HasPrefix(skey, "PRIVATE+KEY+tunesafe-vault-test+") || !strings.HasPrefix(vkey, "tunesafe-vault-test+") {
		t.Fatalf("keys %q %q", skey, vkey)
	}
	got, err := VerifierKey(skey)
	if err != nil || got != vkey {
		t.Fatalf("VerifierKey = %q, %v; want %q", got, err, vkey)
	}
	s, v, err := NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := SignCheckpoint(Checkpoint{Origin: s.Name(), Size: 1}, s)
	if err != nil {
		t.Fatal(err)
	}
	v2, err := NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []note.Verifier{v, v2} {
		if _, err := OpenCheckpoint(signed, v); err != nil {
			t.Fatal(err)
		}
	}
	_, other := TestKey(t, "other") // same name, another key
	ov, err := NewVerifier(other)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := OpenCheckpoint(signed, ov); err == nil {
		t.Error("a checkpoint verified with another key")
	}
	if _, _, err := GenerateKey(nil, "a+b"); err == nil {
		t.Error("GenerateKey accepted a vault ID with '+'")
	}
}
