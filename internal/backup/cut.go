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
// the padding, a long zero run in a tag region is cut into zeroBlock-sized
// blobs, all identical and stored once per vault, and one shorter
// remainder: an edit then uploads the new tag bytes and a remainder of less
// than zeroBlock bytes.
const (
	zeroBlock = 4096
	// minZeroRun is the shortest zero run cut this way.
	minZeroRun = zeroBlock
	// maxTagRegion bounds the tag regions read into memory to find zero
	// runs; a larger one is chunked as it streams.
	maxTagRegion = 64 << 20
)

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
			for ; i+zeroBlock <= j; i += zeroBlock {
				if err := emit(data[i : i+zeroBlock]); err != nil {
					return err
				}
			}
			start = i
		}
		i = j
	}
	return cdc(ch, bytes.NewReader(data[start:]), emit)
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
