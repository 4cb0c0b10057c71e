"""The quality a JPEG was saved with: the hint automatic denoise takes (docs/bridge-protocol.md, flag 2).

GIMP's JPEG loader records it in the image's "jpeg-settings" parasite (plug-ins/file-jpeg/jpeg-settings.c:
colour space, IJG quality or 0, components, tables, sampling factors, then the tables themselves when
they are not IJG's). Where the parasite is missing or has no quality, the luminance table is matched
against the IJG tables the way the command line does it (src/Upscaler.Cli/Images/JpegQualityReader.cs):
nearly every encoder scales the JPEG standard's example table (Annex K.1) by quality as libjpeg does, so
the closest scaled table names the quality. Pure Python, so it is tested outside GIMP; a hint is never a
reason to fail, so anything unreadable gives None.
"""

import struct

# The JPEG standard's example luminance table (Annex K.1), in natural (row-major) order.
STANDARD_LUMINANCE = (
    16, 11, 10, 16, 24, 40, 51, 61,
    12, 12, 14, 19, 26, 58, 60, 55,
    14, 13, 16, 24, 40, 57, 69, 56,
    14, 17, 22, 29, 51, 87, 80, 62,
    18, 22, 37, 56, 68, 109, 103, 77,
    24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101,
    72, 92, 95, 98, 112, 100, 103, 99,
)


def _zigzag():
    """Natural-order index of the k-th coefficient in zig-zag order, the order a DQT segment stores them in."""
    order = []
    for diagonal in range(15):
        first, last = max(0, diagonal - 7), min(7, diagonal)
        for i in range(first, last + 1):
            row = diagonal - i if diagonal % 2 == 0 else i
            order.append(row * 8 + (diagonal - row))
    return order


ZIGZAG = _zigzag()


def ijg_quality(natural, baseline=True):
    """The IJG quality (1..100) whose scaled luminance table is closest to `natural`; on a tie the higher."""
    best, best_error = 100, None
    top = 255 if baseline else 32767
    for quality in range(100, 0, -1):
        scale = 5000 // quality if quality < 50 else 200 - 2 * quality
        error = sum(abs(value - min(max((standard * scale + 50) // 100, 1), top))
                    for value, standard in zip(natural, STANDARD_LUMINANCE))
        if best_error is None or error < best_error:
            best, best_error = quality, error
    return best


def from_parasite(data):
    """The quality in a "jpeg-settings" parasite, or None."""
    if len(data) < 4:
        return None
    quality, components, tables = data[1], data[2], data[3]
    if 1 <= quality <= 100:
        return quality
    first_table = 4 + 2 * components
    if quality == 0 and tables >= 1 and len(data) >= first_table + 128:
        # Tables that are not IJG's are stored whole: 64 big-endian u16 in natural order, luminance first.
        table = struct.unpack_from(">64H", data, first_table)
        return ijg_quality(table, baseline=max(table) <= 255)
    return None


def from_file(path):
    """The quality of the JPEG file at `path` from its luminance table, or None (not a JPEG, unreadable)."""
    try:
        with open(path, "rb") as f:
            return _from_stream(f)
    except OSError:
        return None


def _from_stream(f):
    if f.read(2) != b"\xff\xd8":
        return None
    while True:
        if f.read(1) != b"\xff":
            return None
        marker = 0xFF
        while marker == 0xFF:  # fill bytes
            byte = f.read(1)
            if not byte:
                return None
            marker = byte[0]
        if marker in (0xD9, 0xDA):  # end of image, start of scan: no luminance table before the data
            return None
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:
            continue  # markers without a length
        size = f.read(2)
        if len(size) < 2 or struct.unpack(">H", size)[0] < 2:
            return None
        segment = f.read(struct.unpack(">H", size)[0] - 2)
        if len(segment) < struct.unpack(">H", size)[0] - 2:
            return None
        if marker == 0xDB:
            quality = _table_zero(segment)
            if quality is not None:
                return quality


def _table_zero(segment):
    """A DQT segment holds tables of a precision/id byte and 64 values of 1 or 2 bytes; the quality of table 0."""
    at = 0
    while at < len(segment):
        precision, table_id = segment[at] >> 4, segment[at] & 0x0F
        size = 1 if precision == 0 else 2
        if precision > 1 or at + 1 + 64 * size > len(segment):
            return None
        if table_id == 0:
            natural = [0] * 64
            for k in range(64):
                offset = at + 1 + k * size
                natural[ZIGZAG[k]] = segment[offset] if size == 1 else segment[offset] << 8 | segment[offset + 1]
            return ijg_quality(natural, baseline=precision == 0)
        at += 1 + 64 * size
    return None
