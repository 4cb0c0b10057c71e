"""Minimal PNG reader and writer (standard library only) for the GIMP end-to-end test.

The test must compare pixels exactly without trusting GIMP or libvips to decode them, and the host
has no imaging library, so this reads non-interlaced 8/16-bit gray, gray+alpha, RGB and RGBA PNGs.
"""

import struct
import zlib

SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}


class Png:
    def __init__(self, width, height, channels, bits, samples):
        self.width, self.height, self.channels, self.bits = width, height, channels, bits
        self.samples = samples  # flat list, row-major, interleaved

    def pixel(self, x, y):
        i = (y * self.width + x) * self.channels
        return self.samples[i:i + self.channels]


def _chunks(data):
    pos = len(SIGNATURE)
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        yield kind, data[pos + 8:pos + 8 + length]
        pos += 12 + length


def _paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def read(path):
    with open(path, "rb") as f:
        data = f.read()
    if not data.startswith(SIGNATURE):
        raise ValueError("%s is not a PNG file" % path)
    header, idat = None, []
    for kind, body in _chunks(data):
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
    width, height, bits, colour, _, _, interlace = header
    if colour not in CHANNELS or bits not in (8, 16) or interlace:
        raise ValueError("%s: colour type %d, %d bits, interlace %d is not supported here" % (path, colour, bits, interlace))
    channels = CHANNELS[colour]
    bpp = channels * bits // 8
    stride = width * bpp
    raw = zlib.decompress(b"".join(idat))
    rows, prev = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            line[i] = (line[i] + (0, a, b, (a + b) // 2, _paeth(a, b, c))[kind]) & 0xFF
        rows.append(bytes(line))
        prev = line
    flat = b"".join(rows)
    samples = list(flat) if bits == 8 else list(struct.unpack(">%dH" % (len(flat) // 2), flat))
    return Png(width, height, channels, bits, samples)


def write(path, width, height, channels, bits, samples):
    colour = {1: 0, 2: 4, 3: 2, 4: 6}[channels]
    pack = (lambda s: bytes(s)) if bits == 8 else (lambda s: struct.pack(">%dH" % len(s), *s))
    per_row = width * channels
    raw = b"".join(b"\x00" + pack(samples[y * per_row:(y + 1) * per_row]) for y in range(height))

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    with open(path, "wb") as f:
        f.write(SIGNATURE + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, bits, colour, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def differences(a, b):
    """(pixels that differ, largest sample difference); colour under alpha 0 is not compared,
    since it is invisible and exporters are free to drop it."""
    if (a.width, a.height, a.channels, a.bits) != (b.width, b.height, b.channels, b.bits):
        raise ValueError("images differ in shape: %dx%dx%d@%d vs %dx%dx%d@%d"
                         % (a.width, a.height, a.channels, a.bits, b.width, b.height, b.channels, b.bits))
    alpha = a.channels in (2, 4)
    count, worst = 0, 0
    for i in range(0, len(a.samples), a.channels):
        pa, pb = a.samples[i:i + a.channels], b.samples[i:i + b.channels]
        if alpha and pa[-1] == 0 and pb[-1] == 0:
            continue
        d = max(abs(x - y) for x, y in zip(pa, pb))
        if d:
            count += 1
            worst = max(worst, d)
    return count, worst
