// Package oggsplit stores Ogg files (Vorbis, Opus, Speex, FLAC and Theora
// in Ogg) so that editing their tags never changes the bytes that hold the
// audio, and rebuilds the exact original file from what it stored.
//
// # Why Ogg needs a transformation
//
// An Ogg file is a sequence of pages. Each page has a 27-byte header
// (capture pattern "OggS", flags, granule position, serial number, page
// sequence number, CRC) followed by lacing values that cut its body into
// packets. The first packets of a logical stream are header packets: the
// codec's identification header, the comment header holding the tags
// (Vorbis comments, with embedded cover art as METADATA_BLOCK_PICTURE), and
// for Vorbis the setup header. Audio packets follow on later pages.
//
// When a tag grows past a page boundary, taggers insert pages. mutagen and
// TagLib then renumber every later page, which rewrites the sequence number
// and CRC in each audio page's header. Taggers built on vcedit
// (vorbiscomment, kid3, EasyTAG) go further and re-paginate the whole audio
// stream. Either way the file's bytes change from the comment to the end,
// and chunking the file as it is would upload all of it again. The audio
// packets themselves never change.
//
// # The ogg1 stored stream
//
// Split separates what taggers change from what they do not:
//
//	prologue   magic "TS-OGG1\n", serial numbers, section lengths
//	prefix     ID3v2 tags some tools put before the first page, verbatim
//	head table one compact entry per leading header page
//	tail table one compact entry per later page
//	bodies     all page bodies, concatenated in file order
//	trailer    bytes after the last complete page, verbatim
//
// A page entry keeps the page's flags and lacing values but stores the
// sequence number and granule position as differences from the previous
// page of the same stream, and omits the capture pattern, version, serial
// number and CRC, which Rebuild recomputes. Renumbered pages therefore
// encode exactly as before, and the bodies section is the plain
// concatenation of packets, which does not depend on pagination at all. See
// docs/FORMAT.md (Appendix: the ogg1 layout) for the byte-level specification.
//
// The plan's regions label the stream for the backup engine. The prologue
// with the prefix and the head table is one Tag region, the tail table
// another. In the bodies, the bytes of header packets are Tag, except
// picture values inside them, which are Picture regions so that an album's
// shared cover becomes shared blobs; audio packets are Audio; packets of
// streams of unknown codecs, and the trailer, are Data. A tag edit then
// changes the Tag and Picture regions and the small tables, never the
// Audio region. The tables cost about 0.4–0.8% of a typical file, less
// than the page headers they replace, so the stored stream is slightly
// smaller than the file.
//
// # Guarantees
//
// Split refuses, with an error wrapping ErrNotOgg, ErrUnsupported or
// ErrCorrupt, the files it does not handle: pages with a wrong CRC or an
// unknown version, pages of a stream before its first page, files whose
// streams are all of unknown codecs, files over 1 GiB. The caller stores
// those whole. It stores exactly multiplexed and chained files, Skeleton
// tracks, leading ID3v2 tags and truncated files. Before returning a plan
// it rebuilds the file from the stream and compares SHA-256 digests, so
// every plan it returns restores the file (SplitUnverified leaves that
// check to its caller).
//
// # Memory
//
// Split reads the file once, in order, through a 64 KiB buffer: it checks
// each page's CRC as the page goes by, and scans header packets for
// pictures without holding them. What it keeps is the page table and one
// 16-byte segment per page saying where the page's body lies in the file:
// a few dozen bytes per page, 1–3% of a file of 4 KiB pages. The plan's
// stream is built of those segments and the small in-memory sections; it
// reads the prefix, the bodies and the trailer from the file whenever it
// is read, so it is only valid while the file is open and unchanged.
package oggsplit
