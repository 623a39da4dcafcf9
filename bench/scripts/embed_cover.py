"""Embed a front cover in audio files, in each format's native way, with mutagen.

Reads lines "AUDIO<TAB>COVER.jpg" on standard input. Part of the Tunesafe
benchmark (bench/tagger.go): ffmpeg writes the text tags, this adds the art.
"""
import base64
import sys

from mutagen.flac import FLAC, Picture
from mutagen.id3 import APIC, ID3
from mutagen.mp4 import MP4, MP4Cover
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis


def picture(data):
    p = Picture()
    p.type = 3  # front cover
    p.mime = "image/jpeg"
    p.desc = "Cover"
    p.data = data
    return p


def embed(path, data):
    if path.endswith(".mp3"):
        tags = ID3(path)
        tags.add(APIC(encoding=3, mime="image/jpeg", type=3, desc="Cover", data=data))
        tags.save(path, v2_version=3)
    elif path.endswith(".m4a"):
        f = MP4(path)
        f.tags["covr"] = [MP4Cover(data, imageformat=MP4Cover.FORMAT_JPEG)]
        f.save()
    elif path.endswith(".flac"):
        f = FLAC(path)
        f.add_picture(picture(data))
        f.save()
    elif path.endswith(".ogg") or path.endswith(".opus"):
        f = OggOpus(path) if path.endswith(".opus") else OggVorbis(path)
        f["metadata_block_picture"] = [base64.b64encode(picture(data).write()).decode("ascii")]
        f.save()
    else:
        sys.exit("embed_cover: unsupported file " + path)


for line in sys.stdin:
    audio, cover = line.rstrip("\n").split("\t")
    with open(cover, "rb") as c:
        embed(audio, c.read())
