"""Retag audio files the way a library clean-up tool does, with mutagen.

Reads one path per line on standard input. A "Last, First" artist becomes
"First Last" (merging "Sibelius, Jean" into "Jean Sibelius"); any other file
gets " (Remastered)" appended to its title. mutagen rewrites the tags in
place, growing or moving them as taggers do. Prints the number of files
changed. Part of the Tunesafe benchmark (bench/tagger.go).
"""
import sys

import mutagen

changed = 0
for line in sys.stdin:
    path = line.rstrip("\n")
    f = mutagen.File(path, easy=True)
    if f is None:
        sys.exit("retag: not an audio file: " + path)
    if f.tags is None:
        f.add_tags()
    artist = (f.get("artist") or [""])[0]
    if ", " in artist:
        last, first = artist.split(", ", 1)
        f["artist"] = [first + " " + last]
    else:
        f["title"] = [(f.get("title") or [""])[0] + " (Remastered)"]
    f.save()
    changed += 1
print(changed)
