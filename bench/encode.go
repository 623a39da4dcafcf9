package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// lookFFmpeg finds ffmpeg, with a hint when it is missing.
func lookFFmpeg() (string, error) {
	p, err := exec.LookPath("ffmpeg")
	if err != nil {
		return "", errors.New("ffmpeg is not installed (apt-get install ffmpeg), or pass -library DIR")
	}
	return p, nil
}

// encodeLibrary encodes every track into entry/lib, and writes the album
// covers into entry/covers, with jobs ffmpeg processes at a time.
func encodeLibrary(ctx context.Context, entry string, tracks []track, jobs int) error {
	ffmpeg, err := lookFFmpeg()
	if err != nil {
		return err
	}
	covers := map[string]bool{}
	for _, t := range tracks {
		if t.Cover != "" && !covers[t.Cover] {
			covers[t.Cover] = true
			if err := writeCover(filepath.Join(entry, filepath.FromSlash(t.Cover)), t.Seed); err != nil {
				return fmt.Errorf("cover %s: %w", t.Cover, err)
			}
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		next, done atomic.Int64
		mu         sync.Mutex
		firstErr   error
		wg         sync.WaitGroup
		lastLog    = time.Now()
	)
	for range max(jobs, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(tracks) || ctx.Err() != nil {
					return
				}
				err := encodeTrack(ctx, ffmpeg, filepath.Join(entry, "lib"), tracks[i])
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
					cancel()
				}
				if n := done.Add(1); time.Since(lastLog) > 15*time.Second || int(n) == len(tracks) {
					lastLog = time.Now()
					logf("encoded %d/%d tracks", n, len(tracks))
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

// encodeTrack encodes one track from its own pink noise and two tones,
// tagged. ffmpeg writes the tags in each format's native way (ID3v2.3,
// MP4 ilst, Vorbis comments).
func encodeTrack(ctx context.Context, ffmpeg, root string, t track) error {
	f := formatByName(t.Format)
	out := filepath.Join(root, filepath.FromSlash(t.Path))
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	d := fmt.Sprintf("%.1f", t.Seconds)
	tone1, tone2 := 110+t.Seed%700, 900+(t.Seed/7)%2500
	// Left and right get noise of different seeds (planLibrary keeps every
	// seed and mirror distinct), and both the same two tones: stereo that
	// lossless codecs cannot fold into one channel, at about a CD rip's
	// FLAC bitrate.
	argv := []string{"-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-threads", "1",
		"-f", "lavfi", "-i", fmt.Sprintf("anoisesrc=d=%s:c=pink:r=44100:a=0.3:seed=%d", d, t.Seed),
		"-f", "lavfi", "-i", fmt.Sprintf("anoisesrc=d=%s:c=pink:r=44100:a=0.3:seed=%d", d, mirrorSeed(t.Seed)),
		"-f", "lavfi", "-i", fmt.Sprintf("sine=f=%d:r=44100:d=%s", tone1, d),
		"-f", "lavfi", "-i", fmt.Sprintf("sine=f=%d:r=44100:d=%s:beep_factor=%d", tone2, d, 1+t.Seed%5),
		"-filter_complex", "[0:a][1:a]amerge=inputs=2[noise];[2:a][3:a]amix=inputs=2,aformat=channel_layouts=stereo[tones];" +
			"[noise][tones]amix=inputs=2:weights=1 0.5:normalize=0",
		"-metadata", "title=" + t.Title,
		"-metadata", "artist=" + t.Artist,
		"-metadata", "album_artist=" + t.AlbumArtist,
		"-metadata", "album=" + t.Album,
		"-metadata", fmt.Sprintf("track=%d/%d", t.Number, t.Total),
		"-metadata", fmt.Sprintf("date=%d", t.Year),
		"-metadata", "genre=" + t.Genre,
	}
	argv = append(argv, f.Codec...)
	argv = append(argv, out)
	cmd := exec.CommandContext(ctx, ffmpeg, argv...)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("ffmpeg %s: %w\n%s", t.Path, err, b)
	}
	return nil
}
