package backup

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/tunesafe/tunesafe/internal/chunker"
	"github.com/tunesafe/tunesafe/internal/store"

	"github.com/tunesafe/tunesafe/internal/split"
	"github.com/tunesafe/tunesafe/internal/split/music"
	"github.com/tunesafe/tunesafe/internal/split/oggsplit"
	"github.com/tunesafe/tunesafe/internal/testenv"
)

func musicOptions(paths ...string) Options {
	return Options{
		Paths:      paths,
		Splitter:   music.Splitter{},
		Rebuilders: map[string]split.Rebuilder{oggsplit.Layout: oggsplit.Rebuilder{}},
	}
}

// Every real-world file of both corpora, damaged ones included, backs up
// and restores byte for byte through the music-aware splitter.
func TestCorpusRoundTrip(t *testing.T) {
	for _, corpus := range []string{"mutagen", "taglib"} {
		t.Run(corpus, func(t *testing.T) {
			f := newFixture(t, true)
			src := testenv.Corpus(t, corpus)
			res := f.backup(musicOptions(src))
			if len(res.Warnings) != 0 {
				t.Fatalf("warnings: %v", res.Warnings)
			}
			out := filepath.Join(f.dir, "out")
			rr, err := restoreWithOgg(f, res.SnapshotID, out)
			if err != nil {
				t.Fatal(err)
			}
			if rr == 0 {
				t.Fatal("nothing restored")
			}
			sameTree(t, src, filepath.Join(out, filepath.Base(src)))
		})
	}
}

// mutagen runs a python3-mutagen script on a file: the independent tagger
// users run.
func mutagen(t *testing.T, script string, args ...string) {
	t.Helper()
	py := "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		py = testenv.LookPath(t, "python3")
	}
	if err := exec.Command(py, "-c", "import mutagen").Run(); err != nil {
		testenv.SkipOrFail(t, "python3-mutagen not installed")
	}
	out, err := exec.Command(py, append([]string{"-c", script}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("mutagen: %v\n%s", err, out)
	}
}

// makeTrack encodes a short unique track with ffmpeg.
func makeTrack(t *testing.T, path string, seed int, seconds int) {
	t.Helper()
	ffmpeg := testenv.LookPath(t, "ffmpeg")
	args := []string{"-v", "error", "-y", "-f", "lavfi", "-i", fmt.Sprintf("anoisesrc=d=%d:c=pink:r=44100:a=0.3:seed=%d", seconds, seed+1)}
	switch filepath.Ext(path) {
	case ".mp3":
		args = append(args, "-c:a", "libmp3lame", "-b:a", "128k")
	case ".m4a":
		args = append(args, "-c:a", "aac", "-b:a", "128k")
	case ".flac":
		args = append(args, "-c:a", "flac")
	case ".ogg":
		args = append(args, "-c:a", "libvorbis", "-q:a", "3")
	case ".opus":
		args = append(args, "-c:a", "libopus", "-b:a", "96k")
	}
	os.MkdirAll(filepath.Dir(path), 0o755)
	if out, err := exec.Command(ffmpeg, append(args, path)...).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
}

const retag = `
import sys, mutagen
f = mutagen.File(sys.argv[1], easy=True)
if f.tags is None:
    f.add_tags()
f["title"] = sys.argv[2]
f["artist"] = "Jean Sibelius"
f.save()
`

// A tag edit by an independent tagger uploads the new tag bytes only,
// never the audio again, for each container family.
func TestTagEditUploadsNoAudio(t *testing.T) {
	for _, ext := range []string{".mp3", ".m4a", ".flac", ".ogg", ".opus"} {
		t.Run(ext[1:], func(t *testing.T) {
			// The default chunk sizes: the file's tree lists its blobs, and
			// with test-sized chunks that list outweighs the tags.
			f := newFixtureWith(t, true, chunker.DefaultParams)
			src := filepath.Join(f.dir, "Music")
			p := filepath.Join(src, "Sibelius", "Finlandia"+ext)
			makeTrack(t, p, len(ext), 120)
			mutagen(t, retag, p, "Finlandia")
			first := f.backup(musicOptions(src))
			if first.BlobsUploaded < 3 {
				t.Fatalf("expected several blobs, got %d", first.BlobsUploaded)
			}
			fi, _ := os.Stat(p)
			for i, title := range []string{
				"Finlandia, Op. 26", // grows within padding
				"Finlandia, Op. 26 — a much longer title " + string(make([]byte, 0)) + fmt.Sprint(make([]int, 600)), // grows beyond it
				"F", // shrinks
			} {
				mutagen(t, retag, p, title)
				res := f.backup(musicOptions(src))
				if res.FilesChanged != 1 {
					t.Fatalf("edit %d: file not seen as changed: %+v", i, res)
				}
				// At most the new tag bytes, plus 4 KiB for the file, plus
				// the changed trees (a few hundred bytes each, encrypted).
				tags := tagBytes(t, p)
				t.Logf("edit %d: uploaded %d bytes; tag regions %d bytes; file %d bytes", i, res.BytesUploaded, tags, fi.Size())
				if limit := tags + 4<<10 + 3*1<<10; res.BytesUploaded > limit {
					t.Fatalf("edit %d: uploaded %d bytes for a tag edit (tag regions %d bytes) of a %d-byte file", i, res.BytesUploaded, tags, fi.Size())
				}
			}
			out := filepath.Join(f.dir, "out")
			snaps, _ := f.vault.Snapshots(context.Background())
			if _, err := restoreWithOgg(f, snaps[len(snaps)-1].ID.String(), out); err != nil {
				t.Fatal(err)
			}
			sameTree(t, src, filepath.Join(out, "Music"))
		})
	}
}

const addCover = `
import sys, mutagen
from mutagen.id3 import ID3, APIC
from mutagen.flac import Picture
data = open(sys.argv[2], "rb").read()
f = mutagen.File(sys.argv[1])
if sys.argv[1].endswith(".mp3"):
    f.tags.add(APIC(encoding=3, mime="image/jpeg", type=3, desc="cover", data=data))
elif sys.argv[1].endswith(".flac"):
    pic = Picture(); pic.type = 3; pic.mime = "image/jpeg"; pic.data = data
    f.add_picture(pic)
elif sys.argv[1].endswith(".m4a"):
    from mutagen.mp4 import MP4Cover
    f.tags["covr"] = [MP4Cover(data, imageformat=MP4Cover.FORMAT_JPEG)]
f.save()
`

// An album whose tracks embed the same cover stores that cover once, and
// adding or removing a cover never re-sends audio.
func TestSharedCoverStoredOnce(t *testing.T) {
	for _, ext := range []string{".mp3", ".flac", ".m4a"} {
		t.Run(ext[1:], func(t *testing.T) {
			f := newFixture(t, false)
			src := filepath.Join(f.dir, "Music")
			cover := filepath.Join(f.dir, "cover.jpg")
			// 200 KB of incompressible "JPEG": large against the tags.
			writeFile(t, cover, append([]byte{0xff, 0xd8, 0xff, 0xe0}, randomBytes(42, 200<<10)...))
			var tracks []string
			for i := range 12 {
				p := filepath.Join(src, "Album", fmt.Sprintf("%02d Track%s", i+1, ext))
				makeTrack(t, p, 100+i, 2)
				mutagen(t, retag, p, fmt.Sprintf("Track %d", i+1))
				tracks = append(tracks, p)
			}
			base := f.backup(musicOptions(src))
			for _, p := range tracks {
				mutagen(t, addCover, p, cover)
			}
			res := f.backup(musicOptions(src))
			if res.FilesChanged != 12 {
				t.Fatalf("covers added to 12 files, %d changed", res.FilesChanged)
			}
			// One cover plus twelve small tag regions; no audio.
			if limit := int64(200<<10) + 12*16<<10; res.BytesUploaded > limit {
				t.Fatalf("adding a shared cover to 12 tracks uploaded %d bytes (audio was %d)", res.BytesUploaded, base.BytesUploaded)
			}
			out := filepath.Join(f.dir, "out")
			if _, err := restoreWithOgg(f, res.SnapshotID, out); err != nil {
				t.Fatal(err)
			}
			sameTree(t, src, filepath.Join(out, "Music"))
		})
	}
}

func restoreWithOgg(f *fixture, snapshot, to string) (int64, error) {
	return restoreLayouts(f, snapshot, to, map[string]split.Rebuilder{oggsplit.Layout: oggsplit.Rebuilder{}})
}

// tagBytes is the size of the file's tag regions (not audio, not pictures).
func tagBytes(t *testing.T, p string) int64 {
	t.Helper()
	fh, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	fi, _ := fh.Stat()
	plan, err := music.Splitter{}.Split(filepath.Base(p), fh, fi.Size())
	if err != nil {
		t.Fatalf("%s not split: %v", p, err)
	}
	var n int64
	for _, r := range plan.Regions {
		if r.Kind == split.Tag {
			n += r.Length
		}
	}
	if n == 0 || n > fi.Size()/4 {
		t.Fatalf("%s: implausible tag size %d of %d", p, n, fi.Size())
	}
	return n
}

// orderStore records the order of PUTs.
type orderStore struct {
	store.Store
	mu   sync.Mutex
	keys []string
}

func (o *orderStore) Put(ctx context.Context, key string, data []byte) error {
	o.mu.Lock()
	o.keys = append(o.keys, key)
	o.mu.Unlock()
	return o.Store.Put(ctx, key, data)
}

// Tags, pictures and library databases go up before any audio, so an
// interrupted first backup has saved the human work first.
func TestMetadataUploadedFirst(t *testing.T) {
	f := newFixture(t, false)
	rec := &orderStore{Store: f.store}
	f.vault = f.vault.WithStore(rec)
	src := filepath.Join(f.dir, "Music")
	for i, ext := range []string{".mp3", ".flac", ".m4a", ".ogg"} {
		p := filepath.Join(src, "Album", fmt.Sprintf("%02d Track%s", i+1, ext))
		makeTrack(t, p, 200+i, 5)
		mutagen(t, retag, p, fmt.Sprintf("Track %d", i+1))
	}
	writeFile(t, filepath.Join(src, "iTunes Library.xml"), []byte("<?xml version=\"1.0\"?><plist version=\"1.0\"><dict></dict></plist>"))
	o := musicOptions(src)
	o.Readers = 1
	o.Uploaders = 1
	res := f.backup(o)
	// Classify every stored blob by the region it came from.
	metaBlobs := map[string]bool{}
	for _, p := range []string{"01 Track.mp3", "02 Track.flac", "03 Track.m4a", "04 Track.ogg", "iTunes Library.xml"} {
		full := filepath.Join(src, "Album", p)
		if p == "iTunes Library.xml" {
			full = filepath.Join(src, p)
		}
		for id, kind := range regionBlobs(t, f, full) {
			if kind.Metadata() {
				metaBlobs["blobs/"+id[:2]+"/"+id] = true
			}
		}
	}
	lastMeta, firstAudio := -1, len(rec.keys)
	for i, k := range rec.keys {
		if !strings.HasPrefix(k, "blobs/") {
			continue
		}
		if metaBlobs[k] {
			lastMeta = i
		} else if i < firstAudio {
			firstAudio = i
		}
	}
	if lastMeta < 0 || lastMeta > firstAudio {
		t.Fatalf("metadata blob uploaded at %d, after the first audio blob at %d (of %d puts)", lastMeta, firstAudio, len(rec.keys))
	}
	_ = res
}

// regionBlobs returns the blob IDs (hex) of a file with the kind of region
// each came from, chunked as the backup does.
func regionBlobs(t *testing.T, f *fixture, p string) map[string]split.Kind {
	t.Helper()
	fh, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	fi, _ := fh.Stat()
	plan, err := music.Splitter{}.Split(p, fh, fi.Size())
	if err != nil {
		plan = split.Whole(fi.Size(), split.Data)
	}
	var src io.ReaderAt = fh
	if plan.Stream != nil {
		src = plan.Stream
	}
	out := map[string]split.Kind{}
	ch := chunker.New(nil, f.vault.Config().Chunker)
	for _, r := range plan.Regions {
		cutRegion(ch, r.Kind, r.Length, io.NewSectionReader(src, r.Offset, r.Length), func(b []byte) error {
			out[f.vault.Hasher().Sum(b).String()] = r.Kind
			return nil
		})
	}
	return out
}

// The same promise with other independent taggers: kid3-cli on MP3,
// AtomicParsley on M4A, metaflac on FLAC, vorbiscomment on Ogg Vorbis.
func TestOtherTaggersUploadNoAudio(t *testing.T) {
	taggers := []struct {
		ext  string
		prog string
		args func(path, title string) []string
	}{
		{".mp3", "kid3-cli", func(p, title string) []string {
			return []string{"-c", "set title '" + title + "'", "-c", "set artist 'Jean Sibelius'", p}
		}},
		{".m4a", "AtomicParsley", func(p, title string) []string {
			return []string{p, "--title", title, "--artist", "Jean Sibelius", "--overWrite"}
		}},
		{".flac", "metaflac", func(p, title string) []string {
			return []string{"--remove-tag=TITLE", "--set-tag=TITLE=" + title, "--set-tag=ARTIST=Jean Sibelius", p}
		}},
		{".ogg", "vorbiscomment", func(p, title string) []string {
			return []string{"-w", "-t", "TITLE=" + title, "-t", "ARTIST=Jean Sibelius", p}
		}},
	}
	for _, tg := range taggers {
		t.Run(tg.prog, func(t *testing.T) {
			prog := testenv.LookPath(t, tg.prog)
			tag := func(p, title string) {
				c := exec.Command(prog, tg.args(p, title)...)
				c.Env = append(os.Environ(), "QT_QPA_PLATFORM=offscreen")
				if out, err := c.CombinedOutput(); err != nil {
					t.Fatalf("%s: %v\n%s", tg.prog, err, out)
				}
			}
			f := newFixtureWith(t, true, chunker.DefaultParams)
			src := filepath.Join(f.dir, "Music")
			p := filepath.Join(src, "Sibelius", "Finlandia"+tg.ext)
			makeTrack(t, p, 40, 60)
			tag(p, "Finlandia")
			f.backup(musicOptions(src))
			for i, title := range []string{"Finlandia, Op. 26", "Finlandia, Op. 26 (" + strings.Repeat("a much longer title ", 200) + ")", "F"} {
				tag(p, title)
				res := f.backup(musicOptions(src))
				if res.FilesChanged != 1 {
					t.Fatalf("edit %d: file not seen as changed: %+v", i, res)
				}
				tags := tagBytes(t, p)
				t.Logf("edit %d: uploaded %d bytes; tag regions %d bytes", i, res.BytesUploaded, tags)
				if limit := tags + 4<<10 + 3*1<<10; res.BytesUploaded > limit {
					t.Fatalf("edit %d: uploaded %d bytes for a tag edit (tag regions %d bytes)", i, res.BytesUploaded, tags)
				}
			}
			snaps, _ := f.vault.Snapshots(context.Background())
			out := filepath.Join(f.dir, "out")
			if _, err := restoreWithOgg(f, snaps[len(snaps)-1].ID.String(), out); err != nil {
				t.Fatal(err)
			}
			sameTree(t, src, filepath.Join(out, "Music"))
		})
	}
}
