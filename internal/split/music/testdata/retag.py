"""Edit the tags of a music file with mutagen, as users' taggers do.

Used by edit_test.go. Usage: retag.py FILE OP [ARG]

  title TEXT     set the title
  comment N      set a comment of N bytes (grows the tag past its padding)
  nocomment      remove the comment
  cover IMAGE    replace all pictures by the JPEG in file IMAGE
  nocover        remove all pictures
  id3 IMAGE      prepend an ID3v2 tag with a picture (to a FLAC file)

ID3 tags (MP3, WAV, AIFF, DSF) are saved as ID3v2.4, or as ID3v2.3 when
the environment has RETAG_ID3V23=1.
"""

import os
import sys

import mutagen
from mutagen.flac import FLAC, Picture
from mutagen.id3 import APIC, COMM, ID3, TIT2
from mutagen.mp4 import MP4, MP4Cover


def main(path, op, arg=None):
    if op == "id3":
        tags = ID3()
        tags.add(TIT2(encoding=3, text=["prepended"]))
        tags.add(APIC(encoding=3, mime="image/jpeg", type=3, desc="front", data=read(arg)))
        tags.save(path)
        return
    f = mutagen.File(path)
    if f is None:
        sys.exit("mutagen does not know " + path)
    if isinstance(f, MP4):
        mp4(f, op, arg)
    elif isinstance(f, FLAC):
        flac(f, op, arg)
    else:
        id3(f, op, arg)


def mp4(f, op, arg):
    if op == "title":
        f["\xa9nam"] = [arg]
    elif op == "comment":
        f["\xa9cmt"] = ["x" * int(arg)]
    elif op == "nocomment":
        f.pop("\xa9cmt", None)
    elif op == "cover":
        f["covr"] = [MP4Cover(read(arg), imageformat=MP4Cover.FORMAT_JPEG)]
    elif op == "nocover":
        f.pop("covr", None)
    else:
        sys.exit("unknown op " + op)
    f.save()


def flac(f, op, arg):
    if op == "title":
        f["title"] = arg
    elif op == "comment":
        f["comment"] = "x" * int(arg)
    elif op == "nocomment":
        f.pop("comment", None)
    elif op == "cover":
        f.clear_pictures()
        p = Picture()
        p.type, p.mime, p.desc, p.data = 3, "image/jpeg", "front", read(arg)
        f.add_picture(p)
    elif op == "nocover":
        f.clear_pictures()
    else:
        sys.exit("unknown op " + op)
    f.save()


def id3(f, op, arg):
    if f.tags is None:
        f.add_tags()
    t = f.tags
    version = 3 if os.environ.get("RETAG_ID3V23") == "1" else 4
    if op == "title":
        t.setall("TIT2", [TIT2(encoding=3, text=[arg])])
    elif op == "comment":
        t.setall("COMM", [COMM(encoding=3, lang="eng", desc="", text=["x" * int(arg)])])
    elif op == "nocomment":
        t.delall("COMM")
    elif op == "cover":
        t.setall("APIC", [APIC(encoding=3, mime="image/jpeg", type=3, desc="front", data=read(arg))])
    elif op == "nocover":
        t.delall("APIC")
    else:
        sys.exit("unknown op " + op)
    f.save(v2_version=version)


def read(path):
    with open(path, "rb") as fh:
        return fh.read()


if __name__ == "__main__":
    main(*sys.argv[1:])
