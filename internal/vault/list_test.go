package vault

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestListRoundTrip(t *testing.T) {
	ids := []ID{{1}, {2, 3}, {0xff}}
	b := EncodeList(ids)
	if want := strings.Repeat("x", 64) + "\n"; len(b) != 3*len(want) || b[64] != '\n' || !bytes.HasPrefix(b, []byte("0100")) {
		t.Fatalf("encoding %q", b)
	}
	got, err := DecodeList(b)
	if err != nil || !slices.Equal(got, ids) {
		t.Fatalf("decoded %v, %v", got, err)
	}
	for _, bad := range []string{
		"",                               // a list names at least one blob
		strings.Repeat("0", 64),          // no newline
		strings.Repeat("0", 63) + "\n",   // short line
		strings.Repeat("A", 64) + "\n",   // upper case
		strings.Repeat("g", 64) + "\n",   // not hex
		strings.Repeat("0", 64) + "\r\n", // CRLF
		strings.Repeat("0", 64) + "\n\n", // blank line
	} {
		if _, err := DecodeList([]byte(bad)); err == nil {
			t.Errorf("DecodeList(%q) accepted", bad)
		}
	}
}

// FileBlobs expands lists in place, in both kinds of vault, and a damaged
// list is a CorruptError naming it.
func TestFileBlobs(t *testing.T) {
	ctx := context.Background()
	for _, encrypt := range []bool{false, true} {
		s, v := initVault(t, encrypt)
		put := func(data string) ID {
			id := v.Hasher().Sum([]byte(data))
			if _, err := v.PutBlob(ctx, id, []byte(data)); err != nil {
				t.Fatal(err)
			}
			return id
		}
		tag, a1, a2, tail := put("tag"), put("audio 1"), put("audio 2"), put("tail")
		list := put(string(EncodeList([]ID{a1, a2})))
		n := &Node{Name: "t.mp3", Type: TypeFile, Blobs: []ID{tag, list, tail}, Lists: []int{1}}
		got, err := v.FileBlobs(ctx, n)
		if err != nil || !slices.Equal(got, []ID{tag, a1, a2, tail}) {
			t.Fatalf("encrypt=%v: FileBlobs = %v, %v", encrypt, got, err)
		}
		if ids := n.ListIDs(); !slices.Equal(ids, []ID{list}) || n.IsList(0) || !n.IsList(1) {
			t.Fatalf("ListIDs %v", ids)
		}
		// A blob that is not a list, named as one.
		n.Lists = []int{0}
		var ce *CorruptError
		if _, err := v.FileBlobs(ctx, n); !errors.As(err, &ce) || ce.Key != BlobKey(tag) {
			t.Fatalf("tag read as a list: %v", err)
		}
		// A list whose bytes were replaced.
		n.Lists = []int{1}
		s.Put(ctx, BlobKey(list), []byte("garbage"))
		if _, err := v.FileBlobs(ctx, n); !errors.As(err, &ce) {
			t.Fatalf("damaged list: %v", err)
		}
	}
}

func TestDecodeTreeListPositions(t *testing.T) {
	const head = `{"nodes":[{"name":"a","type":"file","mode":420,"mtime":"2026-01-01T00:00:00Z","blobs":["` +
		"0100000000000000000000000000000000000000000000000000000000000000" + `","` +
		"0200000000000000000000000000000000000000000000000000000000000000" + `"],"lists":`
	for lists, ok := range map[string]bool{"[0]": true, "[0,1]": true, "[1]": true, "[2]": false, "[-1]": false, "[1,0]": false, "[1,1]": false} {
		_, err := DecodeTree([]byte(head + lists + "}]}"))
		if (err == nil) != ok {
			t.Errorf("lists %s: %v", lists, err)
		}
	}
}

func FuzzDecodeList(f *testing.F) {
	f.Add(EncodeList([]ID{{1}, {2}}))
	f.Add([]byte(strings.Repeat("f", 64) + "\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ids, err := DecodeList(b)
		if err != nil {
			return
		}
		if !bytes.Equal(EncodeList(ids), b) {
			t.Fatal("a list decodes, but does not encode back to its bytes")
		}
	})
}
