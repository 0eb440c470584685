#!/usr/bin/env python3
"""Draws the TCGM Lab icon (two overlapping modality discs, MRI grey and PET orange, on a dark
rounded square, crossed by a training curve) and writes icon.png (512 px), the Linux size set
(<n>x<n>.png), icon.ico (PNG-compressed entries) and icon.icns (PNG entries). Pure Python: no
imaging library is needed. Run: python3 resources/icons/make-icons.py"""
import math
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
SS = 3  # supersamples per axis for anti-aliasing


def over(dst, src):
    """Composite premultiplied-free RGBA `src` over `dst` (floats 0..1)."""
    sr, sg, sb, sa = src
    dr, dg, db, da = dst
    a = sa + da * (1 - sa)
    if a == 0:
        return (0.0, 0.0, 0.0, 0.0)
    f = lambda s, d: (s * sa + d * da * (1 - sa)) / a
    return (f(sr, dr), f(sg, dg), f(sb, db), a)


def rgba(hexcode, alpha=1.0):
    h = hexcode.lstrip('#')
    return (int(h[0:2], 16) / 255, int(h[2:4], 16) / 255, int(h[4:6], 16) / 255, alpha)


def curve_points():
    # A falling-then-rising loss curve across the discs (cubic Bezier in 512 px units).
    p0, p1, p2, p3 = (140, 330), (205, 220), (250, 400), (300, 300)
    q0, q1, q2, q3 = (300, 300), (335, 235), (350, 215), (380, 240)
    pts = []
    for seg in ((p0, p1, p2, p3), (q0, q1, q2, q3)):
        for i in range(200):
            t = i / 199
            x = sum(c[0] * w for c, w in zip(seg, ((1 - t) ** 3, 3 * t * (1 - t) ** 2, 3 * t * t * (1 - t), t ** 3)))
            y = sum(c[1] * w for c, w in zip(seg, ((1 - t) ** 3, 3 * t * (1 - t) ** 2, 3 * t * t * (1 - t), t ** 3)))
            pts.append((x, y))
    return pts


CURVE = curve_points()


def near_curve(x, y, half_width):
    for cx, cy in CURVE[::2]:
        if (x - cx) ** 2 + (y - cy) ** 2 <= half_width ** 2:
            return True
    return False


def inside_round_rect(x, y, x0, y0, x1, y1, r):
    if x < x0 or x > x1 or y < y0 or y > y1:
        return False
    cx = min(max(x, x0 + r), x1 - r)
    cy = min(max(y, y0 + r), y1 - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r


def sample(x, y):
    """Colour of the 512-px design at (x, y)."""
    c = (0.0, 0.0, 0.0, 0.0)
    if inside_round_rect(x, y, 16, 16, 496, 496, 96):
        c = over(c, rgba('#1d2430'))
        if (x - 206) ** 2 + (y - 256) ** 2 <= 150 ** 2:
            c = over(c, rgba('#c8d2e1', 0.92))
        if (x - 306) ** 2 + (y - 256) ** 2 <= 150 ** 2:
            c = over(c, rgba('#eb6e28', 0.80))
        if abs(y - 300) < 90 and 120 < x < 400 and near_curve(x, y, 9):
            c = over(c, rgba('#ffffff'))
    return c


def render(size):
    scale = 512 / size
    rows = []
    for j in range(size):
        row = bytearray([0])  # filter type 0
        for i in range(size):
            acc = [0.0, 0.0, 0.0, 0.0]
            for sj in range(SS):
                for si in range(SS):
                    x = (i + (si + 0.5) / SS) * scale
                    y = (j + (sj + 0.5) / SS) * scale
                    r, g, b, a = sample(x, y)
                    acc[0] += r * a
                    acc[1] += g * a
                    acc[2] += b * a
                    acc[3] += a
            n = SS * SS
            a = acc[3] / n
            if a > 0:
                px = [acc[0] / acc[3], acc[1] / acc[3], acc[2] / acc[3], a]
            else:
                px = [0, 0, 0, 0]
            row.extend(int(round(v * 255)) for v in px)
        rows.append(bytes(row))
    return png_bytes(size, b''.join(rows))


def png_bytes(size, raw):
    def chunk(kind, data):
        return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack('>IIBBBBB', size, size, 8, 6, 0, 0, 0)
    return b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', ihdr) + chunk(b'IDAT', zlib.compress(raw, 9)) + chunk(b'IEND', b'')


def ico_bytes(pngs):
    """ICO with PNG-compressed images (Windows Vista and later)."""
    header = struct.pack('<HHH', 0, 1, len(pngs))
    offset = 6 + 16 * len(pngs)
    entries, blobs = b'', b''
    for size, data in pngs:
        dim = 0 if size >= 256 else size
        entries += struct.pack('<BBBBHHII', dim, dim, 0, 0, 1, 32, len(data), offset)
        offset += len(data)
        blobs += data
    return header + entries + blobs


def icns_bytes(pngs):
    """ICNS with PNG entries: ic07 128, ic08 256, ic09 512, ic10 1024 (here the 512 image)."""
    types = {128: b'ic07', 256: b'ic08', 512: b'ic09'}
    body = b''
    for size, data in pngs:
        if size in types:
            body += types[size] + struct.pack('>I', len(data) + 8) + data
    return b'icns' + struct.pack('>I', len(body) + 8) + body


def main():
    sizes = [16, 32, 48, 64, 128, 256, 512]
    pngs = [(s, render(s)) for s in sizes]
    for s, data in pngs:
        with open(os.path.join(HERE, f'{s}x{s}.png'), 'wb') as f:
            f.write(data)
    with open(os.path.join(HERE, 'icon.png'), 'wb') as f:
        f.write(dict(pngs)[512])
    with open(os.path.join(HERE, 'icon.ico'), 'wb') as f:
        f.write(ico_bytes([(s, d) for s, d in pngs if s in (16, 32, 48, 64, 128, 256)]))
    with open(os.path.join(HERE, 'icon.icns'), 'wb') as f:
        f.write(icns_bytes(pngs))


if __name__ == '__main__':
    main()
