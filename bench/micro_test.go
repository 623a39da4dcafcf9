package main

// Micro-benchmarks of the per-byte work of a backup, beside the end-to-end
// benchmark: go test -run '^$' -bench . ./bench
//
// Chunking has its own benchmark in internal/chunker, and splitting of
// synthetic files in internal/split/music; here are content IDs, sealing
// (age encryption) and splitting real ffmpeg-encoded files of every format,
// Ogg included (its stored stream is a transformation, so reading it is part
// of the cost).

import (
	"context"
	"crypto/sha256"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/tunesafe/tunesafe/internal/split/music"
	"github.com/tunesafe/tunesafe/internal/store/memstore"
	"github.com/tunesafe/tunesafe/internal/vault"
)

const blobSize = 1 << 20 // the chunker's average chunk

func randomBlob(n int) []byte {
	rng := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// BenchmarkContentID hashes a 1 MiB blob as unencrypted vaults name blobs
// (SHA-256) and as encrypted ones do (HMAC-SHA-256 with the vault's key).
func BenchmarkContentID(b *testing.B) {
	data := randomBlob(blobSize)
	for _, c := range []struct {
		name string
		h    vault.Hasher
	}{
		{"sha256", vault.NewHasher(nil)},
		{"hmac-sha256", vault.NewHasher([]byte("0123456789abcdef0123456789abcdef"))},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(blobSize)
			for b.Loop() {
				c.h.Sum(data)
			}
		})
	}
	b.Run("stdlib-sha256", func(b *testing.B) { // the floor
		b.SetBytes(blobSize)
		for b.Loop() {
			sha256.Sum256(data)
		}
	})
}

// BenchmarkSeal seals a 1 MiB blob for storage: age encryption in an
// encrypted vault, a copy in a plain one, each with and without the
// compression attempt (random bytes, like audio, do not compress).
func BenchmarkSeal(b *testing.B) {
	data := randomBlob(blobSize)
	for _, encrypt := range []bool{true, false} {
		v, err := vault.Init(context.Background(), &memstore.Store{}, vault.InitOptions{
			Encrypt: encrypt, Passphrase: "bench", ScryptLogN: 10,
		})
		if err != nil {
			b.Fatal(err)
		}
		name := "plain"
		if encrypt {
			name = "age"
		}
		for _, compress := range []bool{false, true} {
			sub := name
			if compress {
				sub += "+compress"
			}
			b.Run(sub, func(b *testing.B) {
				b.SetBytes(blobSize)
				for b.Loop() {
					if _, err := v.Seal(data, compress); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkSplitEncoded splits a 30-second track of each format, encoded
// and tagged by ffmpeg as the end-to-end benchmark makes them, and reads
// the stored stream when the plan transforms the file (Ogg).
func BenchmarkSplitEncoded(b *testing.B) {
	ffmpeg, err := lookFFmpeg()
	if err != nil {
		b.Skip(err)
	}
	dir := b.TempDir()
	for i, f := range musicFormats {
		t := track{
			Path: "t" + f.Ext, Format: f.Name, Artist: "Sibelius, Jean", AlbumArtist: "Various", Album: "Bench",
			Title: "Split", Number: 1, Total: 1, Year: 2000, Genre: "Classical", Seconds: 30, Seed: int64(100 + i),
		}
		if err := encodeTrack(context.Background(), ffmpeg, dir, t); err != nil {
			b.Fatal(err)
		}
		path := filepath.Join(dir, t.Path)
		fh, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		fi, err := fh.Stat()
		if err != nil {
			b.Fatal(err)
		}
		b.Run(f.Name, func(b *testing.B) {
			b.SetBytes(fi.Size())
			for b.Loop() {
				p, err := music.Splitter{}.Split(t.Path, fh, fi.Size())
				if err != nil {
					b.Fatal(err)
				}
				if p.Stream != nil {
					if _, err := io.Copy(io.Discard, io.NewSectionReader(p.Stream, 0, p.Size)); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
		fh.Close()
	}
}
