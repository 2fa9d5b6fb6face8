"""The image the provider fakes answer image requests with: a small real PNG (`FAKE_PNG`), and
`make_png` for tests that want another one."""

from __future__ import annotations

import struct
import zlib


def make_png(width: int = 4, height: int = 4, rgb: tuple[int, int, int] = (200, 30, 90)) -> bytes:
    """A real PNG (signature, IHDR, one zlib IDAT, IEND, with CRCs) of one solid colour."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    row = b"\x00" + bytes(rgb) * width  # filter type 0, then RGB pixels
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


# What every fake answers an image request with, unless a reply scripts another image.
FAKE_PNG = make_png()
