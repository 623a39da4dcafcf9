// Package music describes music files as plans of tag, picture and audio
// regions, so that editing a file's tags never re-uploads its audio.
//
// # Why split
//
// Taggers (mutagen, TagLib, id3lib, metaflac, iTunes) rewrite the metadata
// of a file and leave the encoded audio byte for byte as it was, but they
// often move it: a tag that outgrows its padding pushes the audio further
// into the file. Content-defined chunking over the whole file would recover
// most of the audio's chunks after such a shift, but not the ones around the
// edit, and a small file can be a single chunk. A Plan instead cuts the file
// into regions that the backup engine chunks one by one, so the audio region
// of an edited file is the same byte string as before and becomes the same
// blobs; an embedded cover is a region of its own, so the cover an album
// shares across its tracks is stored once.
//
// Every plan this package makes has Layout "": its regions are consecutive
// byte ranges of the file, and their concatenation is the file. A wrong cut
// therefore costs deduplication, never correctness; the engine verifies each
// plan anyway. Ogg files are the exception: they go to package oggsplit,
// whose plans describe a transformed stream (Layout "ogg1").
//
// # What is cut where
//
// Formats are recognised by their first bytes; the name is used only to
// recognise library databases (iTunes Library.xml, *.itl, *.itdb,
// *.musicdb, anything inside a *.musiclibrary bundle), which are opaque
// files and become one Database region.
//
//   - MP3, MP2, ADTS AAC, and the APE-tagged streams Monkey's Audio,
//     WavPack, Musepack, TTA, TAK and OptimFROG (mpeg.go): any number of
//     ID3v2 tags at the start, then tags peeled from the end (trailing.go:
//     ID3v1, ID3v1 "TAG+", APEv1/APEv2, Lyrics3 v1 and v2, an appended ID3v2
//     tag with a "3DI" footer) in any order. Everything in between is audio,
//     including junk after the last leading tag and the Xing/Info/LAME
//     frame, which no tagger touches.
//   - ID3v2 (id3.go), wherever it sits: the data of each APIC or PIC frame
//     is a Picture region; the frame header and the text fields before the
//     picture stay in the tag. A frame is left whole when its bytes are not
//     stored as is (unsynchronised, compressed or encrypted), and a tag
//     whose frames do not parse cleanly is left whole.
//   - MP4, M4A, M4B, ALAC, 3GP (mp4.go): top-level boxes; the payload of
//     each mdat box is audio and everything else is tag, with the covers in
//     moov/udta/meta/ilst/covr as Picture regions. A tag edit changes moov
//     (the tags live there, and chunk offsets shift when moov precedes
//     mdat and grows); ftyp and the mdat payload stay.
//   - FLAC (flac.go): optional leading ID3v2 tags, "fLaC" and the metadata
//     blocks are tag, the picture data of PICTURE blocks is Picture, the
//     frames up to any trailing tags are audio.
//   - WAV, RF64, BW64, AIFF, AIFC, DSDIFF (iff.go, riff.go): chunks; the
//     payload of the data, SSND, DSD or DST chunk is audio, every other
//     chunk is tag, with ID3v2 pictures cut out of "id3 " chunks.
//   - DSF (dsf.go): the fixed header is tag, the samples of the data chunk
//     are audio, the ID3v2 tag at the metadata pointer is tag and pictures.
//   - WMA/ASF (asf.go): the Data Object's packets are audio, its 50-byte
//     header and all other top-level objects are tag.
//   - Ogg (ogg.go), also behind an ID3v2 tag, is handed to package
//     oggsplit, which stores a transformed stream because taggers renumber
//     and repaginate Ogg pages.
//
// # Trust
//
// Files are hostile input. Parsers read headers with small bounded reads
// through io.ReaderAt and never allocate by a size read from the file; the
// number of regions is capped. The top-level structure must be exactly
// consistent (boxes, chunks and tags tile the file and nothing points past
// its end) or Split returns an error wrapping ErrMalformed, and the caller
// falls back to plain chunking. Inside metadata the parsers are lenient
// instead: when the frames of an ID3v2 tag or the boxes inside moov do not
// parse, the pictures simply stay in the Tag region.
package music
