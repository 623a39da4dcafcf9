package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"
)

// The count workloads back up many small files (1–4 KB of random bytes,
// 100 to a folder), where the cost is per file: scanning, per-file
// bookkeeping and per-object requests, not bandwidth.

// manyVersion changes whenever generated small files would differ.
const manyVersion = 1

// filesPerDir is how many small files share a folder.
const filesPerDir = 100

// generatedMany returns the root of a cached folder of count small files,
// making it first if needed, and its total size.
func generatedMany(cacheDir string, count int) (string, int64, error) {
	entry := filepath.Join(cacheDir, fmt.Sprintf("many-%d-v%d", count, manyVersion))
	root := filepath.Join(entry, "lib")
	if b, err := os.ReadFile(filepath.Join(entry, "bytes")); err == nil {
		var n int64
		if _, err := fmt.Sscan(string(b), &n); err == nil {
			logf("using the cached %d small files in %s", count, entry)
			return root, n, nil
		}
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return "", 0, err
	}
	tmp, err := os.MkdirTemp(cacheDir, ".tmp-many-")
	if err != nil {
		return "", 0, err
	}
	defer os.RemoveAll(tmp)
	start := time.Now()
	rng := rand.New(rand.NewPCG(uint64(count), manyVersion))
	buf := make([]byte, 4096)
	var total int64
	for i := range count {
		dir := filepath.Join(tmp, "lib", "Many", fmt.Sprintf("%04d", i/filesPerDir))
		if i%filesPerDir == 0 {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return "", 0, err
			}
		}
		data := buf[:1024+rng.IntN(3073)]
		for j := 0; j < len(data); j += 8 {
			v := rng.Uint64()
			for k := 0; k < 8 && j+k < len(data); k++ {
				data[j+k] = byte(v >> (8 * k))
			}
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%06d.dat", i)), data, 0o644); err != nil {
			return "", 0, err
		}
		total += int64(len(data))
	}
	if err := os.WriteFile(filepath.Join(tmp, "bytes"), fmt.Appendf(nil, "%d\n", total), 0o644); err != nil {
		return "", 0, err
	}
	if err := os.Rename(tmp, entry); err != nil {
		return "", 0, err
	}
	logf("generated %d small files in %v", count, time.Since(start).Round(time.Millisecond))
	return root, total, nil
}
