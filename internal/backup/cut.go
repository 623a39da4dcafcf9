package backup

import (
	"bytes"
	"errors"
	"io"

	"github.com/tunesafe/tunesafe/internal/chunker"
	"github.com/tunesafe/tunesafe/internal/split"
)

// Taggers leave padding (runs of zero bytes, often 1% of the file) in the
// tag region so that the next edit need not rewrite the audio; every edit
// then changes the padding's length. To keep a tag edit from re-uploading
// the padding, a zero run in a tag region is cut into blobs of zeros whose
// sizes are few and fixed: as many zeroBlock-sized blobs as fit, then the
// rest as a sum of powers of two (2048, 1024, ..., 1), largest first. Each
// of these thirteen blobs is stored once per vault, so an edit uploads the
// new tag bytes and no zeros at all.
const (
	zeroBlock = 4096
	// minZeroRun is the shortest zero run cut this way: shorter runs are
	// as likely to be part of a tag's own bytes as padding.
	minZeroRun = 256
	// maxTagRegion bounds the tag regions read into memory to find zero
	// runs; a larger one is chunked as it streams.
	maxTagRegion = 64 << 20
)

// zeros backs the zero blobs.
var zeros [zeroBlock]byte

// cutRegion cuts one region into blobs and calls emit with each, in order.
// Every caller (backup, repair) must cut through here, so that the same
// bytes always give the same blobs.
func cutRegion(ch *chunker.Chunker, kind split.Kind, length int64, src io.Reader, emit func([]byte) error) error {
	if kind != split.Tag || length > maxTagRegion || length < minZeroRun {
		return cdc(ch, src, emit)
	}
	data := make([]byte, length)
	if _, err := io.ReadFull(src, data); err != nil {
		return err
	}
	start := 0
	for i := 0; i < len(data); {
		if data[i] != 0 {
			i++
			continue
		}
		j := i
		for j < len(data) && data[j] == 0 {
			j++
		}
		if j-i >= minZeroRun {
			if err := cdc(ch, bytes.NewReader(data[start:i]), emit); err != nil {
				return err
			}
			if err := emitZeros(j-i, emit); err != nil {
				return err
			}
			start = j
		}
		i = j
	}
	return cdc(ch, bytes.NewReader(data[start:]), emit)
}

// emitZeros emits a run of n zero bytes as zero blobs of fixed sizes.
func emitZeros(n int, emit func([]byte) error) error {
	for ; n >= zeroBlock; n -= zeroBlock {
		if err := emit(zeros[:]); err != nil {
			return err
		}
	}
	for size := zeroBlock / 2; size > 0; size /= 2 {
		if n&size != 0 {
			if err := emit(zeros[:size]); err != nil {
				return err
			}
		}
	}
	return nil
}

// cdc cuts src by content-defined chunking.
func cdc(ch *chunker.Chunker, src io.Reader, emit func([]byte) error) error {
	ch.Reset(src)
	for {
		data, err := ch.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := emit(data); err != nil {
			return err
		}
	}
}
