"""A small PNG encoder (zlib and struct, no Pillow), shared by ``vision.utils.save_image`` and
the TensorBoard writer's images."""

from __future__ import annotations

import struct
import zlib

import numpy as np

COLOUR_TYPE = {1: 0, 2: 4, 3: 2, 4: 6}   # grey, grey + alpha, RGB, RGBA


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def png_bytes(pixels: np.ndarray) -> bytes:
    """An 8-bit PNG of a uint8 array (H, W, C), C = 1 (grey), 2 (grey + alpha), 3 (RGB) or
    4 (RGBA): every row with filter type 0, one zlib-compressed IDAT chunk."""
    h, w, c = pixels.shape
    rows = np.zeros((h, 1 + w * c), np.uint8)
    rows[:, 1:] = pixels.reshape(h, w * c)
    header = struct.pack(">IIBBBBB", w, h, 8, COLOUR_TYPE[c], 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(rows.tobytes(), 6)) + _chunk(b"IEND", b""))
