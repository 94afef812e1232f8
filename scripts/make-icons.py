#!/usr/bin/env python3
"""Draws the extension's icons (no image library needed): an orange disc
with a white check mark. Writes images/icon.png (128x128, the marketplace
icon) and task/icon.png (32x32, the task's icon)."""
import math
import os
import struct
import zlib

ORANGE = (255, 108, 55)
WHITE = (255, 255, 255)


def seg_dist(px, py, ax, ay, bx, by):
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))


def draw(size):
    rows = []
    s = 4  # supersampling per axis
    check = [(0.28, 0.52), (0.44, 0.68), (0.74, 0.36)]
    for y in range(size):
        row = bytearray([0])
        for x in range(size):
            acc = [0.0, 0.0, 0.0, 0.0]
            for sy in range(s):
                for sx in range(s):
                    u = (x + (sx + 0.5) / s) / size
                    v = (y + (sy + 0.5) / s) / size
                    if math.hypot(u - 0.5, v - 0.5) > 0.48:
                        continue
                    d = min(seg_dist(u, v, *check[0], *check[1]), seg_dist(u, v, *check[1], *check[2]))
                    color = WHITE if d < 0.07 else ORANGE
                    for i in range(3):
                        acc[i] += color[i]
                    acc[3] += 255
            n = s * s
            alpha = acc[3] / n
            if alpha == 0:
                row += bytes(4)
            else:
                cover = acc[3] / 255
                row += bytes([round(acc[0] / cover), round(acc[1] / cover), round(acc[2] / cover), round(alpha)])
        rows.append(bytes(row))
    raw = b"".join(rows)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


root = os.path.join(os.path.dirname(__file__), "..")
for path, size in (("images/icon.png", 128), ("task/icon.png", 32)):
    with open(os.path.join(root, path), "wb") as f:
        f.write(draw(size))
    print("wrote", path)
