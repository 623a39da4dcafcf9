// Package library reads the XML library exports of iTunes and Music.app,
// so that Tunesafe can find a user's music files (including those outside
// the media folder), select them by playlist, artist or album, and write
// playlists that point at restored copies.
//
// # Files
//
// iTunes keeps its library in a binary database, "iTunes Library.itl", and
// (when "Share iTunes Library XML with other applications" is on) writes a
// copy for other programs as "iTunes Library.xml", or "iTunes Music
// Library.xml" before iTunes 10.8, beside it in ~/Music/iTunes
// (%USERPROFILE%\Music\iTunes on Windows). iTunes never reads the XML back.
// Music.app (macOS 10.15+) keeps a "Music Library.musiclibrary" bundle of
// ".musicdb" databases and writes XML only on File > Library > Export
// Library, in the same schema. The binary databases are encrypted and
// compressed; this package does not read them, but DatabaseFiles and
// DefaultLocations find them so that a backup can copy them whole.
// The research notes beside the repository (shared/research/music-formats.md,
// section 10) give the details and their sources.
//
// # Format
//
// The XML is an Apple property list (plist 1.0): values are <dict> (a
// <key> followed by a value, repeated), <array>, <string>, <integer>,
// <real>, <date> (ISO 8601, UTC), <data> (base64) and <true/> or <false/>.
// A library export is one dictionary:
//
//	Major Version 1, Minor Version 1, Application Version "12.6.0.100",
//	Date, Features, Music Folder "file:///Users/u/Music/iTunes/iTunes%20Media/",
//	Library Persistent ID "8C47D9EF24402883",
//	Tracks    <dict>  "634" -> <dict> Track ID 634, Persistent ID, Name, Artist,
//	                  Album Artist, Album, Genre, Kind, Size, Total Time (ms),
//	                  Track/Disc Number, Year, Rating (0-100), Play Count,
//	                  Date Added, Track Type ("File" | "URL" | "Remote"),
//	                  Location (file: URL; absent for cloud-only tracks),
//	                  Podcast, Movie, TV Show, Has Video, ...
//	Playlists <array> of <dict> Name, Playlist ID, Playlist Persistent ID,
//	                  Parent Persistent ID (the enclosing folder), Master,
//	                  Visible, Distinguished Kind, Folder, Smart Info and
//	                  Smart Criteria (smart playlists' rules, opaque <data>),
//	                  Playlist Items <array> of <dict> Track ID
//
// iTunes omits keys rather than writing zeros or false. Track IDs number
// tracks within one export only; persistent IDs (16 hex digits) are stable
// and are what to store. A smart playlist's items are the tracks that
// matched its rules at export time. A folder's children name it as their
// Parent Persistent ID.
//
// Parse decodes the export in one pass over the XML tokens, keeping only
// the keys modelled by Library, Track and Playlist, and reports malformed
// input as a FormatError with its line. DecodeLocation turns a Location
// into an OS-independent path (see location.go); Remap rewrites paths for a
// library whose files have moved; Fold is the name matching the selection
// helpers use; WriteM3U8 writes a selection as a playlist.
package library
