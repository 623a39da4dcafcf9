package backup

import "sync/atomic"

// Progress counts a running pass; all fields are updated atomically and
// may be read at any time.
type Progress struct {
	Phase         atomic.Value // string: "scan", "metadata", "data", "finishing" (a limit stopped the pass: no new piece is sent, the uploads under way end), "trees"
	FilesTotal    atomic.Int64
	BytesTotal    atomic.Int64
	FilesToRead   atomic.Int64
	BytesToRead   atomic.Int64
	FilesDone     atomic.Int64
	BytesRead     atomic.Int64
	BytesUploaded atomic.Int64
	BlobsUploaded atomic.Int64
	Warnings      atomic.Int64
	// BytesReadMetadata counts what the metadata phase read of the files
	// (what the splitters look at, the tags, pictures and library
	// databases), ahead of their audio. BytesRead leaves it out: the data
	// phase reads those bytes again with the rest of each file, and
	// BytesRead is at most BytesToRead.
	BytesReadMetadata atomic.Int64
	// BytesInFlight is the bytes of the pieces handed to the uploads and
	// not yet stored: queued, or on their way (plain bytes, as the upload
	// window counts them). Once the pass is Stopping, they are what it
	// still sends, with the trees of its checkpoint.
	BytesInFlight atomic.Int64

	// stopping is set when a limit or Options.Stop stops the pass.
	stopping atomic.Bool
	// unstored, once the scan has ended, counts the files and bytes of
	// the sources not yet stored (see Remaining).
	unstored atomic.Pointer[func() (files, bytes int64)]
}

// Stopping reports whether a limit (MaxTime, MaxUpload) or Options.Stop
// has stopped the pass: it sends no new piece, the uploads under way
// (BytesInFlight) finish, and a checkpoint is saved. What Remaining counts
// is then left for the next pass.
func (p *Progress) Stopping() bool { return p.stopping.Load() }

// Remaining returns the files and bytes of the pass's sources not yet
// stored in the vault, uploaded or found there already; known is false
// until the scan has ended, before which they cannot be told.
//
// A file counts as stored once all its pieces are; until then its bytes
// count in full, even those already uploaded or already in the vault. The
// bytes to read less the bytes uploaded is the other bound: it follows an
// upload piece by piece, though it takes no account of the pieces the
// vault holds already. Both are at least what is truly left to send, so
// the smaller is the figure. Bytes read are no measure of it: on a slow
// line the files are read long before their pieces are sent.
func (p *Progress) Remaining() (files, bytes int64, known bool) {
	return p.RemainingSent(0)
}

// RemainingSent is Remaining for a caller that counts the bytes the pass
// has sent so far as they go (sent: below the engine, where the bytes
// meet the line; see the CLI's progress): the bytes to read less those
// sent then stand for the second bound, which follows an upload byte by
// byte, where the uploads that have ended move it a piece at a time (half
// a minute a piece at 36 kB/s). The bytes sent include some that are no
// file's (trees, snapshots, the vault's log), so the figure may fall
// short of what is left by those.
func (p *Progress) RemainingSent(sent int64) (files, bytes int64, known bool) {
	f := p.unstored.Load()
	if f == nil {
		return 0, 0, false
	}
	files, bytes = (*f)()
	bytes = min(bytes, max(p.BytesToRead.Load()-max(p.BytesUploaded.Load(), sent), 0))
	return files, bytes, true
}

// PhaseName returns the current phase.
func (p *Progress) PhaseName() string {
	s, _ := p.Phase.Load().(string)
	return s
}
