package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/tunesafe/tunesafe/internal/bytesize"
)

// The generated music library: albums of real, tagged audio files in an
// iTunes-like layout, Music/<Album Artist>/<Album>/NN Title.ext. Every track
// is encoded from its own noise and tones, so no two tracks share audio and
// nothing deduplicates by accident; every other album of each format embeds
// a cover (one JPEG per album, shared by its tracks), as ripping tools and
// stores do.
// Every tenth track credits a composer written "Last, First": those are the
// files the retag workload rewrites.
//
// Encoding is slow, so a generated library is kept in the cache folder under
// a name derived from everything that shapes it (libraryVersion, size,
// -short) and reused by later runs.

// libraryVersion changes whenever the generator would make different files
// from the same parameters, so that stale caches are not reused.
const libraryVersion = 3

// musicFormat is one of the encodings the library mixes.
type musicFormat struct {
	Name        string
	Ext         string
	Share       float64 // of the library's bytes
	BytesPerSec float64 // what the settings below produce, for planning
	Codec       []string
}

// The shares follow a collector's library (mostly lossless and MP3); the
// settings trade encoder effort for speed, which changes nothing about how
// the files look to a backup program.
var musicFormats = []musicFormat{
	{"flac", ".flac", 0.50, 144_000, []string{"-c:a", "flac", "-sample_fmt", "s16", "-compression_level", "0"}},
	{"mp3", ".mp3", 0.25, 40_200, []string{"-c:a", "libmp3lame", "-b:a", "320k", "-compression_level", "9", "-id3v2_version", "3"}},
	{"m4a", ".m4a", 0.12, 32_400, []string{"-c:a", "aac", "-aac_coder", "fast", "-b:a", "256k", "-movflags", "+faststart"}},
	{"ogg", ".ogg", 0.065, 60_000, []string{"-c:a", "libvorbis", "-q:a", "10"}},
	{"opus", ".opus", 0.065, 38_500, []string{"-c:a", "libopus", "-b:a", "320k", "-compression_level", "0"}},
}

func formatByName(name string) musicFormat {
	for _, f := range musicFormats {
		if f.Name == name {
			return f
		}
	}
	panic("unknown format " + name)
}

// track is one file of the generated library.
type track struct {
	Path        string  `json:"path"` // slash-separated, under the library root
	Format      string  `json:"format"`
	Artist      string  `json:"artist"`
	AlbumArtist string  `json:"album_artist"`
	Album       string  `json:"album"`
	Title       string  `json:"title"`
	Number      int     `json:"track"`
	Total       int     `json:"tracks"`
	Year        int     `json:"year"`
	Genre       string  `json:"genre"`
	Seconds     float64 `json:"seconds"`
	Seed        int64   `json:"seed"`
	Cover       string  `json:"cover,omitempty"` // covers/NNN.jpg in the cache entry
	Retag       bool    `json:"retag,omitempty"`
}

// manifest describes a generated library; it is written last, so a cache
// entry with a manifest is complete.
type manifest struct {
	Version int     `json:"version"`
	Size    int64   `json:"size_target"`
	Short   bool    `json:"short"`
	Bytes   int64   `json:"bytes"`
	Tracks  []track `json:"tracks"`
}

// musicKey names the cache entry for a library of these parameters.
func musicKey(size int64, short bool) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "music v%d size=%d short=%v formats=%v", libraryVersion, size, short, musicFormats))
	return fmt.Sprintf("music-%s-%x", strings.ReplaceAll(bytesize.Format(size), " ", ""), sum[:4])
}

// planLibrary lays out the tracks of a library of about size bytes. It is
// deterministic: the same parameters give the same names, tags and seeds.
func planLibrary(size int64, short bool) []track {
	rng := rand.New(rand.NewPCG(uint64(size), libraryVersion))
	pick := func(list []string) string { return list[rng.IntN(len(list))] }
	var tracks []track
	assigned := map[string]float64{}
	albums := map[string]bool{}
	albumsOf := map[string]int{} // albums planned so far, by format
	seeds := map[int64]bool{}    // seeds taken, mirrors included: no two tracks share audio
	var planned float64
	for a := 0; planned < float64(size); a++ {
		// The first albums take one format each, so that every format is
		// present even in a tiny library; then the format furthest below
		// its share.
		f := musicFormats[a%len(musicFormats)]
		if a >= len(musicFormats) {
			f = slices.MaxFunc(musicFormats, func(x, y musicFormat) int {
				dx, dy := x.Share*float64(size)-assigned[x.Name], y.Share*float64(size)-assigned[y.Name]
				switch {
				case dx < dy:
					return -1
				case dx > dy:
					return 1
				}
				return 0
			})
		}
		artist := pick(artists)
		album := pick(albumWords1) + " " + pick(albumWords2)
		for albums[artist+"/"+album] {
			album += " II"
		}
		albums[artist+"/"+album] = true
		n := 8 + rng.IntN(6)
		if short {
			n = 2
		}
		year, genre := 1965+rng.IntN(60), pick(genres)
		// Every other album of each format embeds a cover, its first one
		// included, so that every format carries pictures.
		cover := ""
		if albumsOf[f.Name]%2 == 0 {
			cover = fmt.Sprintf("covers/%03d.jpg", a)
		}
		albumsOf[f.Name]++
		for i := 1; i <= n; i++ {
			// Tracks of 2.5 to 6.5 minutes; shorter below 2 GB, so that a
			// small library still has many albums in every format.
			secs := max(4, (150+rng.Float64()*250)*min(1, float64(size)/2e9))
			if short {
				secs = 4 + rng.Float64()*4
			}
			secs = float64(int(secs*10)) / 10
			title := pick(titleWords1) + " " + pick(titleWords2)
			t := track{
				Path:   fmt.Sprintf("Music/%s/%s/%02d %s%s", artist, album, i, title, f.Ext),
				Format: f.Name, Artist: artist, AlbumArtist: artist, Album: album, Title: title,
				Number: i, Total: n, Year: year, Genre: genre, Seconds: secs,
				Cover: cover,
			}
			// anoisesrc takes a 32-bit seed; encodeTrack uses Seed for the
			// left channel and its mirror for the right.
			for t.Seed == 0 || seeds[t.Seed] || seeds[mirrorSeed(t.Seed)] {
				t.Seed = rng.Int64N(1 << 32)
			}
			seeds[t.Seed], seeds[mirrorSeed(t.Seed)] = true, true
			if len(tracks)%10 == 9 {
				t.Artist, t.Retag = pick(composers), true
			}
			tracks = append(tracks, t)
			b := secs * f.BytesPerSec
			assigned[f.Name] += b
			planned += b
		}
	}
	return tracks
}

// mirrorSeed is the noise seed of a track's right channel.
func mirrorSeed(seed int64) int64 { return (1<<32 - 1) - seed }

// generatedMusic returns the root of a cached generated library, making it
// first if needed, and its manifest.
func generatedMusic(ctx context.Context, o options, py string) (string, *manifest, error) {
	entry := filepath.Join(o.cacheDir, musicKey(o.size, o.short))
	if m, err := readManifest(entry); err == nil {
		logf("using the cached library %s (%d tracks, %s)", entry, len(m.Tracks), bytesize.Format(m.Bytes))
		return filepath.Join(entry, "lib"), m, nil
	}
	if _, err := lookFFmpeg(); err != nil {
		return "", nil, err
	}
	if err := os.MkdirAll(o.cacheDir, 0o755); err != nil {
		return "", nil, err
	}
	tmp, err := os.MkdirTemp(o.cacheDir, ".tmp-music-")
	if err != nil {
		return "", nil, err
	}
	defer os.RemoveAll(tmp) // after a successful rename, nothing is left here
	m := &manifest{Version: libraryVersion, Size: o.size, Short: o.short, Tracks: planLibrary(o.size, o.short)}
	start := time.Now()
	logf("generating a %s library of %d tracks in %s with %d encoders (cached for later runs)",
		bytesize.Format(o.size), len(m.Tracks), entry, o.jobs)
	if err := encodeLibrary(ctx, tmp, m.Tracks, o.jobs); err != nil {
		return "", nil, err
	}
	if err := embedCovers(ctx, py, tmp, m.Tracks); err != nil {
		return "", nil, err
	}
	for _, t := range m.Tracks {
		fi, err := os.Stat(filepath.Join(tmp, "lib", filepath.FromSlash(t.Path)))
		if err != nil {
			return "", nil, err
		}
		m.Bytes += fi.Size()
	}
	if err := writeManifest(tmp, m); err != nil {
		return "", nil, err
	}
	if err := os.Rename(tmp, entry); err != nil {
		return "", nil, fmt.Errorf("keep the generated library: %w", err)
	}
	logf("generated %s in %v", bytesize.Format(m.Bytes), time.Since(start).Round(time.Second))
	removeStaleLibraries(o.cacheDir)
	return filepath.Join(entry, "lib"), m, nil
}

// removeStaleLibraries deletes cached libraries made by another version of
// the generator: no run can use them again.
func removeStaleLibraries(cacheDir string) {
	entries, _ := filepath.Glob(filepath.Join(cacheDir, "music-*"))
	for _, e := range entries {
		if _, err := readManifest(e); errors.Is(err, errStaleLibrary) {
			logf("removing %s, made by an older generator", e)
			os.RemoveAll(e)
		}
	}
}

var errStaleLibrary = errors.New("made by another version of the generator")

func readManifest(entry string) (*manifest, error) {
	b, err := os.ReadFile(filepath.Join(entry, "manifest.json"))
	if err != nil {
		return nil, err
	}
	var m manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", entry, err)
	}
	if m.Version != libraryVersion {
		return nil, fmt.Errorf("%s: version %d: %w", entry, m.Version, errStaleLibrary)
	}
	return &m, nil
}

func writeManifest(entry string, m *manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(entry, "manifest.json"), b, 0o644)
}

// Word lists for names. Composers are written "Last, First", as some rippers
// and classical databases do; the retag workload turns them around.
var (
	artists = []string{
		"The Paper Lanterns", "Mårten Ekholm Trio", "Hélène Dufay", "Low Orbit", "Kestrel & Finch",
		"Orquesta Típica Ñandú", "Aino Lehtonen", "The Wolfgang Brothers", "Jonas Østergaard", "Saint Veronique",
		"Mika Arai", "Cold Harbour", "Dr. Ampersand", "Zoë Kaminski", "Blue Sextant",
	}
	composers   = []string{"Sibelius, Jean", "Grieg, Edvard", "Nielsen, Carl", "Dvořák, Antonín", "Sæverud, Harald", "Satie, Erik"}
	albumWords1 = []string{"Northern", "Quiet", "Electric", "Paper", "Glass", "Midnight", "Golden", "Distant", "Salt", "Winter"}
	albumWords2 = []string{"Lights", "Rooms", "Harbours", "Sessions", "Songs", "Gardens", "Signals", "Tides", "Letters", "Symphonies"}
	titleWords1 = []string{"Slow", "Bright", "Lonely", "Hidden", "Falling", "Broken", "Open", "Silver", "Late", "Second"}
	titleWords2 = []string{"River", "Morning", "Waltz", "Static", "Shoreline", "Heart", "Prelude", "Engine", "Rain", "Étude"}
	genres      = []string{"Rock", "Jazz", "Classical", "Electronic", "Folk", "Pop", "Soundtrack"}
)
