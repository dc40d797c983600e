"""Readers for the image containers found in Debian packages.

Our own code (no third-party extractor):
  * Qt resource bundles (.rcc): 'qres' header, big-endian tree / data / names
    sections; entries may be stored raw, zlib-compressed (flag 0x01, 4-byte
    big-endian uncompressed size prefix) or zstd-compressed (flag 0x04).
  * Enlightenment .edj files (Eet archives): edje stores photographic
    backgrounds as lossy entries that hold a plain baseline JPEG stream; we
    carve JPEG streams (SOI ... EOI) out of the archive and let PIL verify them.
"""
from __future__ import annotations

import io
import shutil
import struct
import subprocess
import zlib

RCC_COMPRESSED = 0x01
RCC_DIRECTORY = 0x02
RCC_COMPRESSED_ZSTD = 0x04


def _zstd_decompress(blob: bytes) -> bytes:
    try:  # python3-zstandard, if installed
        import zstandard  # type: ignore
        return zstandard.ZstdDecompressor().decompressobj().decompress(blob)
    except ImportError:
        pass
    exe = shutil.which("zstd")
    if exe is None:
        raise RuntimeError("zstd-compressed rcc entry: install python3-zstandard or the zstd tool")
    return subprocess.run([exe, "-d", "-c", "-q"], input=blob, capture_output=True, check=True).stdout


def read_rcc(data: bytes):
    """Yield (path, bytes) for every file entry of a Qt .rcc bundle."""
    if data[:4] != b"qres":
        raise ValueError("not a Qt resource bundle")
    version, tree_off, data_off, names_off = struct.unpack(">IIII", data[4:20])
    node_size = 22 if version >= 2 else 14

    def name_at(off: int) -> str:
        p = names_off + off
        (n,) = struct.unpack(">H", data[p:p + 2])
        return data[p + 6:p + 6 + 2 * n].decode("utf-16-be")

    def node(i: int):
        p = tree_off + i * node_size
        name_off, flags = struct.unpack(">IH", data[p:p + 6])
        if flags & RCC_DIRECTORY:
            count, first = struct.unpack(">II", data[p + 6:p + 14])
            return name_off, flags, (count, first)
        _country, _lang, doff = struct.unpack(">HHI", data[p + 6:p + 14])
        return name_off, flags, doff

    def walk(i: int, prefix: str):
        name_off, flags, info = node(i)
        name = "" if i == 0 else name_at(name_off)
        path = f"{prefix}/{name}" if name else prefix
        if flags & RCC_DIRECTORY:
            count, first = info
            for c in range(first, first + count):
                yield from walk(c, path)
            return
        p = data_off + info
        (size,) = struct.unpack(">I", data[p:p + 4])
        blob = data[p + 4:p + 4 + size]
        if flags & RCC_COMPRESSED_ZSTD:
            blob = _zstd_decompress(blob)
        elif flags & RCC_COMPRESSED:
            blob = zlib.decompress(blob[4:])
        yield path, blob

    yield from walk(0, "")


def carve_jpegs(data: bytes, min_bytes: int = 20000):
    """Yield (offset, jpeg_bytes) for JPEG streams embedded in a binary blob."""
    from PIL import Image

    pos = 0
    while True:
        s = data.find(b"\xff\xd8\xff", pos)
        if s < 0:
            return
        e = data.find(b"\xff\xd9", s + 3)
        # A JPEG may contain FFD9 inside an embedded thumbnail; extend until PIL accepts it.
        ok = None
        while e >= 0:
            cand = data[s:e + 2]
            if len(cand) >= min_bytes:
                try:
                    with Image.open(io.BytesIO(cand)) as im:
                        im.load()
                    ok = cand
                    break
                except Exception:
                    pass
            e = data.find(b"\xff\xd9", e + 2)
            if e - s > 64 * 1024 * 1024:
                break
        if ok is not None:
            yield s, ok
            pos = s + len(ok)
        else:
            pos = s + 3
