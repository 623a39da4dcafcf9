package vault

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// FuzzDecodeSnapshot feeds arbitrary bytes to decodeSnapshot, which reads
// the snapshots the storage provider hands back. Whatever it accepts has a
// tree, encodes, and encodes the same after decoding its own encoding.
func FuzzDecodeSnapshot(f *testing.F) {
	tree, parent := ID{1, 2, 3}, ID{4, 5, 6}
	full := &Snapshot{
		Time:     time.Date(2026, 11, 24, 10, 0, 0, 123456789, time.UTC),
		Host:     "laptop",
		Username: "anna",
		Paths:    []string{"/Users/anna/Music", "C:/Users/anna/Music"},
		Tree:     tree,
		Parent:   &parent,
		Tags:     []string{"nightly"},
		Partial:  true,
		Stats:    Stats{Files: 12000, Dirs: 800, Bytes: 90 << 30},
		Library:  []ID{{7}, {8}},
		LogCheckpoint: "tunesafe-vault-ab12\n42\n" +
			"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n— tunesafe-vault-ab12 AAAA\n",
		Program: "tunesafe 1.2.0",
	}
	for _, s := range []*Snapshot{full, {Time: full.Time, Host: "nas", Paths: []string{"/srv/music"}, Tree: tree, Program: "tunesafe"}} {
		b, err := encodeSnapshot(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	hexTree := tree.String()
	for _, s := range []string{
		`{"time":"2026-01-01T00:00:00Z","host":"h","paths":["/m"],"tree":"` + hexTree + `","stats":{"files":1,"dirs":1,"bytes":1},"program":"p"}`,
		`{"time":"2026-01-01T00:00:00+02:00","tree":"` + strings.ToUpper(hexTree) + `","parent":null,"library":[]}`,
		`{"tree":"` + hexTree[:63] + `"}`,
		`{"tree":"` + strings.Repeat("0", 64) + `"}`,
		`{"time":"10000-01-01T00:00:00Z","tree":"` + hexTree + `"}`,
		`{"time":"2026-01-01T00:00:00+24:00","tree":"` + hexTree + `"}`, // read by encoding/json, not written
		`{"tree":"` + hexTree + `","stats":{"files":1e3}}`,
		`null`,
		``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := decodeSnapshot(b)
		if err != nil {
			if s != nil {
				t.Fatal("decodeSnapshot returned a snapshot and an error")
			}
			return
		}
		if s.Tree.IsZero() {
			t.Fatal("accepted a snapshot without a tree")
		}
		enc, err := encodeSnapshot(s)
		if err != nil {
			t.Fatalf("decoded snapshot does not encode: %v", err)
		}
		back, err := decodeSnapshot(enc)
		if err != nil {
			t.Fatalf("re-encoded snapshot does not decode: %v\n%s", err, enc)
		}
		if back.Tree != s.Tree || !back.Time.Equal(s.Time) || back.Host != s.Host || len(back.Paths) != len(s.Paths) ||
			(back.Parent == nil) != (s.Parent == nil) || back.Parent != nil && *back.Parent != *s.Parent ||
			back.Stats != s.Stats || len(back.Library) != len(s.Library) || back.LogCheckpoint != s.LogCheckpoint {
			t.Fatalf("round trip changed the snapshot:\n%+v\n%+v", s, back)
		}
		again, err := encodeSnapshot(back)
		if err != nil || !bytes.Equal(again, enc) {
			t.Fatalf("encoding not stable: %v\n%s\n%s", err, enc, again)
		}
	})
}

// FuzzParseID checks that ParseID accepts exactly 64 lowercase hex digits
// and that what it accepts prints back as the same digits.
func FuzzParseID(f *testing.F) {
	for _, s := range []string{
		ID{1, 2, 3}.String(),
		strings.Repeat("0", 64),
		strings.Repeat("f", 64),
		strings.ToUpper(ID{0xab, 0xcd}.String()),
		"A" + strings.Repeat("0", 63),
		strings.Repeat("f", 63),
		strings.Repeat("f", 65),
		strings.Repeat("g", 64),
		strings.Repeat("é", 32),
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseID(s)
		valid := len(s) == 64 && strings.Trim(s, "0123456789abcdef") == ""
		if (err == nil) != valid {
			t.Fatalf("ParseID(%q): %v", s, err)
		}
		if err != nil {
			return
		}
		if id.String() != s {
			t.Fatalf("ParseID(%q) = %v", s, id)
		}
		back, err := ParseID(id.String())
		if err != nil || back != id {
			t.Fatalf("ParseID(%q) = %v, %v; want %v", id.String(), back, err, id)
		}
		var u ID
		text, _ := id.MarshalText()
		if err := u.UnmarshalText(text); err != nil || u != id {
			t.Fatalf("text round trip of %v: %v, %v", id, u, err)
		}
	})
}

// TestDecodeRefusesUnwritableTimes: encoding/json reads times with a UTC
// offset of 24 hours but does not write them. A snapshot or tree holding
// one would decode and then fail every listing as JSON, so it is refused
// as damaged.
func TestDecodeRefusesUnwritableTimes(t *testing.T) {
	tree := ID{1}.String()
	for _, offset := range []string{"+24:00", "-24:59"} {
		if _, err := decodeSnapshot([]byte(`{"time":"2026-01-01T00:00:00` + offset + `","tree":"` + tree + `"}`)); err == nil {
			t.Errorf("snapshot time with offset %s accepted", offset)
		}
		if _, err := DecodeTree([]byte(`{"nodes":[{"name":"a","type":"file","mode":420,"mtime":"2026-01-01T00:00:00` + offset + `"}]}`)); err == nil {
			t.Errorf("tree mtime with offset %s accepted", offset)
		}
	}
	if _, err := decodeSnapshot([]byte(`{"time":"2026-01-01T00:00:00+23:59","tree":"` + tree + `"}`)); err != nil {
		t.Errorf("snapshot time with offset +23:59: %v", err)
	}
}

// FuzzParseObjectKey checks that ParseObjectKey accepts exactly the keys
// BlobKey and TreeKey write, and returns the ID and kind they were made of.
func FuzzParseObjectKey(f *testing.F) {
	id := ID{0xab, 0xcd, 31: 0x01}
	for _, s := range []string{
		BlobKey(id), TreeKey(id),
		"blobs/00/" + id.String(),
		"blobs/" + id.String(),
		strings.ToUpper(BlobKey(id)),
		"snapshots/" + id.String(),
		"trees/ab/" + id.String() + "/",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		id, tree, ok := ParseObjectKey(key)
		canonical := false
		if i := strings.LastIndexByte(key, '/'); i >= 0 {
			if want, err := ParseID(key[i+1:]); err == nil {
				canonical = key == BlobKey(want) || key == TreeKey(want)
			}
		}
		if ok != canonical {
			t.Fatalf("ParseObjectKey(%q) ok = %v, want %v", key, ok, canonical)
		}
		if !ok {
			return
		}
		if tree && TreeKey(id) != key || !tree && BlobKey(id) != key {
			t.Fatalf("ParseObjectKey(%q) = %v, tree %v", key, id, tree)
		}
	})
}
