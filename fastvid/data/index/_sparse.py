"""Probing a remote MP4/MOV without downloading it: its sample data is not needed.

Demuxing an ISO-BMFF file reads every sample to hand it out as a packet, but every timestamp,
keyframe flag and discard flag the index keeps comes from the ``moov`` box. A
:class:`SparseFile` reads the real bytes of the boxes and of the first ``HEAD`` bytes of each
``mdat`` (where FFmpeg decodes the first frame to learn the pixel format), and returns zeros
for the rest of the sample data without fetching it. Keyframes then come from the demuxer's
index (``stss``), matched to packets by byte position: a codec parser (H.264's) cannot see them
in zeroed samples. Used only for codecs whose metas were proved equal to a full read
(:data:`SPARSE_CODECS`); any other file is probed by reading it.
"""

from __future__ import annotations

import struct
from typing import BinaryIO

from fastvid.data.index._mp4 import iter_boxes
from fastvid.data.storage import SizedReader

__all__ = ["HEAD", "SPARSE_CODECS", "SparseFile", "mdat_holes"]

HEAD = 1 << 20
"""Real bytes kept at the start of each ``mdat``: the first frames FFmpeg decodes on open."""

SPARSE_CODECS = frozenset({"h264", "hevc", "mpeg4"})
"""Codecs whose sparse probe equals the full probe (``tests/data/index/test_sparse.py``)."""


def mdat_holes(handle: BinaryIO, size: int) -> list[tuple[int, int]]:
    """``[start, end)`` byte ranges of sample data that the probe need not read.

    Empty when the file does not start with an ``ftyp`` box (not ISO-BMFF) or has no
    ``mdat`` larger than :data:`HEAD`.
    """
    try:
        boxes = list(iter_boxes(handle, 0, size))
    except (OSError, struct.error, IndexError):
        return []
    finally:
        handle.seek(0)
    if not boxes or boxes[0][0] != b"ftyp":
        return []
    return [
        (start + HEAD, end) for kind, start, end in boxes if kind == b"mdat" and end - start > HEAD
    ]


class SparseFile(SizedReader):
    """``inner`` with the ``holes`` read as zeros (never fetched). Read-only, seekable."""

    def __init__(self, inner: BinaryIO, size: int, holes: list[tuple[int, int]]) -> None:
        super().__init__()
        self.inner = inner
        self.size = size
        self.holes = sorted(holes)
        self._position = 0

    def read(self, size: int | None = -1) -> bytes:
        end = self.size if size is None or size < 0 else min(self.size, self._position + size)
        out = bytearray()
        position = self._position
        while position < end:
            hole = next(((a, b) for a, b in self.holes if a <= position < b), None)
            if hole is not None:
                stop = min(end, hole[1])
                out += bytes(stop - position)
            else:
                stop = min([a for a, _ in self.holes if a > position] + [end])
                self.inner.seek(position)
                chunk = self.inner.read(stop - position)
                out += chunk
                if len(chunk) < stop - position:  # the object is shorter than it said
                    position += len(chunk)
                    break
            position = stop
        self._position = position
        return bytes(out)
