package snapdiff

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tunesafe/tunesafe/internal/vault"
)

// trees is a vault's trees in memory, counting reads.
type trees struct {
	m      map[vault.ID]*vault.Tree
	reads  map[vault.ID]int
	hasher vault.Hasher
}

// newTrees returns the trees of a plain vault, whose content IDs are the
// SHA-256 that id computes.
func newTrees() *trees {
	return &trees{m: map[vault.ID]*vault.Tree{}, reads: map[vault.ID]int{}, hasher: vault.NewHasher(nil)}
}

func (ts *trees) Hasher() vault.Hasher { return ts.hasher }

func (ts *trees) GetTree(_ context.Context, id vault.ID) (*vault.Tree, error) {
	ts.reads[id]++
	t, ok := ts.m[id]
	if !ok {
		return nil, fmt.Errorf("tree %s: not found", id)
	}
	return t, nil
}

func (ts *trees) put(t *testing.T, nodes ...vault.Node) vault.ID {
	t.Helper()
	tr := &vault.Tree{Nodes: nodes}
	b, err := vault.EncodeTree(tr)
	if err != nil {
		t.Fatal(err)
	}
	id := vault.ID(sha256.Sum256(b))
	ts.m[id] = tr
	return id
}

var t0 = time.Date(2026, 11, 1, 20, 0, 0, 0, time.UTC)

func id(s string) vault.ID { return vault.ID(sha256.Sum256([]byte(s))) }

// track is a file whose audio sits behind a list, as the music-aware
// splitter stores one: a tag blob, then the list of the audio.
func track(name, tag, audio string) vault.Node {
	return vault.Node{Name: name, Type: vault.TypeFile, Mode: 0o644, MTime: t0, Size: int64(len(tag) + len(audio)),
		SHA256: fmt.Sprintf("%x", sha256.Sum256([]byte(tag+audio))), Blobs: []vault.ID{id(tag), id(audio)}, Lists: []int{1}}
}

// plain is a file stored as blobs without a list.
func plain(name, content string) vault.Node {
	return vault.Node{Name: name, Type: vault.TypeFile, Mode: 0o644, MTime: t0, Size: int64(len(content)),
		SHA256: fmt.Sprintf("%x", sha256.Sum256([]byte(content))), Blobs: []vault.ID{id(content)}}
}

func dir(name string, sub vault.ID) vault.Node {
	return vault.Node{Name: name, Type: vault.TypeDir, Mode: 0o755, MTime: t0, Subtree: &sub}
}

func link(name, target string) vault.Node {
	return vault.Node{Name: name, Type: vault.TypeSymlink, Mode: 0o777, MTime: t0, Target: target}
}

func collect(t *testing.T, ts *trees, a, b vault.ID) []string {
	t.Helper()
	var out []string
	err := Diff(context.Background(), ts, a, b, func(c Change) error {
		s := string(c.Kind) + " " + c.Path
		if c.What != "" {
			s += " " + string(c.What)
		}
		out = append(out, s)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDiff(t *testing.T) {
	ts := newTrees()
	unchangedAlbum := ts.put(t, track("01.flac", "tag1", "audio1"), track("02.flac", "tag2", "audio2"))
	sibBefore := ts.put(t,
		track("01.flac", "Sibelius, Jean", "sib-audio1"),
		track("02.flac", "Sibelius, Jean", "sib-audio2"),
		track("03.flac", "Sibelius, Jean", "sib-audio3"),
		plain("cover.jpg", "jpeg"),
		link("latest", "01.flac"),
	)
	retagged := track("01.flac", "Jean Sibelius", "sib-audio1")
	reencoded := track("02.flac", "Sibelius, Jean", "sib-audio2 at 320k")
	touched := track("03.flac", "Sibelius, Jean", "sib-audio3")
	touched.MTime = t0.Add(time.Hour)
	sibAfter := ts.put(t, retagged, reencoded, touched, plain("cover.jpg", "png now"), link("latest", "02.flac"), plain("notes.txt", "new"))
	newAlbum := ts.put(t, track("01.mp3", "t", "a"))
	gone := ts.put(t, plain("x.mp3", "x"))
	nowDir := ts.put(t, plain("inside", "i"))

	before := ts.put(t, dir("Unchanged", unchangedAlbum), dir("Sibelius", sibBefore), dir("Gone", gone), plain("becomes-dir", "f"))
	sibDir := dir("Sibelius", sibAfter)
	sibDir.MTime = t0.Add(time.Minute) // a folder's time follows its contents: not a change
	after := ts.put(t, dir("New", newAlbum), dir("Unchanged", unchangedAlbum), sibDir, dir("becomes-dir", nowDir))

	got := collect(t, ts, before, after)
	want := []string{
		"added New",
		"added New/01.mp3",
		"removed Gone",
		"removed Gone/x.mp3",
		"modified Sibelius/01.flac tags",
		"modified Sibelius/02.flac content",
		"modified Sibelius/03.flac attributes",
		"modified Sibelius/cover.jpg content",
		"modified Sibelius/latest target",
		"added Sibelius/notes.txt",
		"removed becomes-dir",
		"added becomes-dir",
		"added becomes-dir/inside",
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if n := ts.reads[unchangedAlbum]; n != 0 {
		t.Fatalf("the unchanged album's tree was read %d times", n)
	}
	if got := collect(t, ts, after, after); len(got) != 0 {
		t.Fatalf("a snapshot against itself: %v", got)
	}
}

// Changes come in path order within each folder, as the trees sort them.
func TestDiffOrder(t *testing.T) {
	ts := newTrees()
	a := ts.put(t, plain("b", "1"), plain("d", "1"))
	b := ts.put(t, plain("a", "1"), plain("b", "2"), plain("c", "1"))
	got := collect(t, ts, a, b)
	want := []string{"added a", "modified b content", "added c", "removed d"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

// Only tracks with lists on both sides can be told to have kept their
// audio: a file without lists is "content" even when its last blob is the
// same, since nothing tells which blob is audio.
func TestTagsNeedLists(t *testing.T) {
	ts := newTrees()
	short := func(tag string) vault.Node {
		n := plain("short.mp3", tag+"audio")
		n.Blobs = []vault.ID{id(tag), id("audio")}
		return n
	}
	a := ts.put(t, short("old tag"))
	b := ts.put(t, short("new tag"))
	if got := collect(t, ts, a, b); !slices.Equal(got, []string{"modified short.mp3 content"}) {
		t.Fatalf("got %v", got)
	}
}

func TestDiffErrors(t *testing.T) {
	ts := newTrees()
	missing := id("no such tree")
	a := ts.put(t, plain("a", "1"))
	b := ts.put(t, plain("a", "1"), dir("lost", missing))
	err := Diff(context.Background(), ts, a, b, func(Change) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("a missing tree: %v", err)
	}
	stop := errors.New("stop")
	calls := 0
	c := ts.put(t, plain("x", "1"), plain("y", "1"))
	err = Diff(context.Background(), ts, a, c, func(Change) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Fatalf("fn's error: %v after %d calls", err, calls)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Diff(ctx, ts, a, c, func(Change) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}
