"""Qt .rcc reader (raw / zlib / zstd entries) and JPEG carving from binary archives (corpus builder)."""
import io
import os
import shutil
import struct
import subprocess
import sys
import unittest
import zlib

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "training", "corpus"))

from containers import carve_jpegs, read_rcc  # noqa: E402


def make_rcc(entries):
    """entries: list of (name, payload_bytes, flags). One directory 'dir' under the root."""
    names, data = b"", b""
    name_off = {}

    def add_name(n):
        nonlocal names
        name_off[n] = len(names)
        u = n.encode("utf-16-be")
        names += struct.pack(">HI", len(n), 0) + u

    add_name("dir")
    tree = []
    # node 0: root dir, 1 child starting at 1; node 1: 'dir', len(entries) children starting at 2
    tree.append(struct.pack(">IHII", 0, 2, 1, 1) + b"\0" * 8)
    tree.append(struct.pack(">IHII", name_off["dir"], 2, len(entries), 2) + b"\0" * 8)
    for n, payload, flags in entries:
        add_name(n)
        off = len(data)
        data += struct.pack(">I", len(payload)) + payload
        tree.append(struct.pack(">IHHHI", name_off[n], flags, 0, 0, off) + b"\0" * 8)
    header_len = 24
    tree_b = b"".join(tree)
    tree_off = header_len
    data_off = tree_off + len(tree_b)
    names_off = data_off + len(data)
    return b"qres" + struct.pack(">IIIII", 3, tree_off, data_off, names_off, 0) + tree_b + data + names


class RccTest(unittest.TestCase):
    def test_raw_and_zlib_entries(self):
        raw = b"hello raw entry"
        z = b"zlib payload " * 20
        zpay = struct.pack(">I", len(z)) + zlib.compress(z)
        blob = make_rcc([("a.txt", raw, 0), ("b.webp", zpay, 1)])
        got = dict(read_rcc(blob))
        self.assertEqual(got, {"/dir/a.txt": raw, "/dir/b.webp": z})

    @unittest.skipUnless(shutil.which("zstd"), "zstd tool not installed")
    def test_zstd_entry(self):
        payload = b"zstd payload " * 50
        comp = subprocess.run(["zstd", "-c", "-q"], input=payload, capture_output=True, check=True).stdout
        got = dict(read_rcc(make_rcc([("c.webp", comp, 4)])))
        self.assertEqual(got["/dir/c.webp"], payload)

    def test_rejects_other_files(self):
        with self.assertRaises(ValueError):
            list(read_rcc(b"not a bundle at all"))


class CarveTest(unittest.TestCase):
    def test_carves_embedded_jpegs(self):
        from PIL import Image
        import numpy as np
        jpgs = []
        for size in ((40, 30), (80, 60)):
            b = io.BytesIO()
            Image.fromarray((np.random.RandomState(0).rand(size[1], size[0], 3) * 255).astype("uint8")).save(b, "JPEG")
            jpgs.append(b.getvalue())
        blob = b"EET header junk" + jpgs[0] + b"\x00" * 100 + b"\xff\xd8\xff garbage" + jpgs[1] + b"tail"
        found = list(carve_jpegs(blob, min_bytes=100))
        self.assertEqual([j for _, j in found], jpgs)


if __name__ == "__main__":
    unittest.main()
