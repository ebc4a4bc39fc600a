"""The display rotation of an MP4/MOV file, read from its ISO-BMFF boxes.

FFmpeg exposes a track's display matrix only as frame side data (after decoding); the index
must not decode, so it reads the first video track's ``tkhd`` matrix itself: ``moov`` →
``trak`` → ``tkhd`` (the matrix) and ``mdia`` → ``hdlr`` (is it a video track?).
"""

from __future__ import annotations

import math
import os
import struct
from collections.abc import Callable, Iterator
from typing import BinaryIO

__all__ = ["mp4_rotation", "mp4_rotation_of"]


def mp4_rotation(path: str) -> int:
    """Counter-clockwise rotation in degrees of the first video track, 0 if none or unreadable.

    Args:
        path: An MP4 or MOV file.

    Returns:
        PyAV's ``VideoFrame.rotation`` for the track, modulo 360.
    """
    try:
        with open(path, "rb") as handle:
            matrix = video_matrix(handle, os.fstat(handle.fileno()).st_size)
    except (OSError, struct.error, IndexError):  # a damaged header: no rotation
        return 0
    return 0 if matrix is None else matrix_rotation(matrix)


def mp4_rotation_of(opener: Callable[[], BinaryIO], size: int) -> int:
    """:func:`mp4_rotation` of a file that ``opener`` opens (a remote object, say)."""
    try:
        with opener() as handle:
            matrix = video_matrix(handle, size)
    except (OSError, struct.error, IndexError):
        return 0
    return 0 if matrix is None else matrix_rotation(matrix)


def iter_boxes(handle: BinaryIO, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """ISO-BMFF boxes in ``[start, end)``: (type, payload start, box end)."""
    position = start
    while position + 8 <= end:
        handle.seek(position)
        size, kind = struct.unpack(">I4s", handle.read(8))
        header = 8
        if size == 1:
            size = struct.unpack(">Q", handle.read(8))[0]
            header = 16
        elif size == 0:
            size = end - position
        if size < header:
            return
        yield kind, position + header, min(position + size, end)
        position += size


def video_matrix(handle: BinaryIO, file_size: int) -> tuple[int, ...] | None:
    """The display matrix of the first video track's ``tkhd`` box (FFmpeg's layout)."""
    for kind, start, end in iter_boxes(handle, 0, file_size):
        if kind != b"moov":
            continue
        for trak_kind, trak_start, trak_end in iter_boxes(handle, start, end):
            if trak_kind != b"trak":
                continue
            matrix = None
            is_video = False
            for box_kind, box_start, box_end in iter_boxes(handle, trak_start, trak_end):
                if box_kind == b"tkhd":
                    handle.seek(box_start)
                    version = handle.read(1)[0]
                    handle.seek(box_start + 4 + (32 if version == 1 else 20) + 16)
                    matrix = struct.unpack(">9i", handle.read(36))
                elif box_kind == b"mdia":
                    for sub_kind, sub_start, _ in iter_boxes(handle, box_start, box_end):
                        if sub_kind == b"hdlr":
                            handle.seek(sub_start + 8)
                            is_video = handle.read(4) == b"vide"
            if is_video:
                return matrix
        return None
    return None


def matrix_rotation(matrix: tuple[int, ...]) -> int:
    """FFmpeg's ``av_display_rotation_get``, negated to counter-clockwise like PyAV's."""
    scale0 = math.hypot(matrix[0], matrix[3])
    scale1 = math.hypot(matrix[1], matrix[4])
    if scale0 == 0 or scale1 == 0:
        return 0
    return round(-math.degrees(math.atan2(matrix[1] / scale1, matrix[0] / scale0))) % 360
