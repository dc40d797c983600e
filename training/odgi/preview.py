"""Renders a few generated tiles with their boxes into a PNG contact sheet.

    /usr/bin/python3 training/odgi/preview.py OUT.png [seed0] [n] [size]
"""
import os
import sys
import time

import torch
from PIL import Image, ImageDraw

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen import Assets, DEFAULT_PACK, make_tile  # noqa: E402

COL = [(255, 40, 40), (40, 160, 255), (255, 220, 0)]


def draw(img_u8, boxes, cls, scores=None, color=None):
    im = Image.fromarray(img_u8.permute(1, 2, 0).numpy())
    d = ImageDraw.Draw(im)
    for i, (b, c) in enumerate(zip(boxes, cls)):
        d.rectangle([b[0], b[1], b[2], b[3]], outline=color or COL[c % 3], width=2)
    return im


def main():
    out = sys.argv[1]
    seed0 = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 4
    size = int(sys.argv[4]) if len(sys.argv) > 4 else 1024
    torch.set_num_threads(1)
    A = Assets(DEFAULT_PACK)
    ims = []
    for i in range(n):
        t = time.time()
        img, boxes, cls, meta = make_tile(A, seed0 + i, size)
        print(f"seed {seed0 + i}: {len(boxes)} objects, gsd {meta['gsd']:.3f}, {time.time() - t:.2f}s", flush=True)
        ims.append(draw(img, boxes, cls))
    cols = 2
    rows = (n + cols - 1) // cols
    sheet = Image.new("RGB", (cols * size, rows * size), "white")
    for i, im in enumerate(ims):
        sheet.paste(im, ((i % cols) * size, (i // cols) * size))
    sheet.save(out)


if __name__ == "__main__":
    main()
