"""A video's display rotation: the ``rotate`` tag, MP4's display matrix, or (Matroska/WebM,
whose projection element PyAV does not expose) the first decoded frame's display matrix."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, BinaryIO

import av

from fastvid.data.index._mp4 import mp4_rotation_of

Opener = Callable[[], BinaryIO]
"""Opens the video for reading (a local file or a remote object), fresh each call."""

__all__ = ["Opener", "rotation"]


def rotation(container: Any, stream: Any, opener: Opener, size: int) -> int:
    """The video's display rotation in degrees counter-clockwise (0, 90, 180, 270): the old
    ``rotate`` tag, else the MP4 display matrix, else (Matroska/WebM) the first decoded
    frame's."""
    tag = stream.metadata.get("rotate")
    if tag is not None:
        try:
            return round(-float(tag)) % 360  # the old tag is clockwise
        except ValueError:
            return 0
    if "mp4" in container.format.name or "mov" in container.format.name:
        return mp4_rotation_of(opener, size)
    if "matroska" in container.format.name:  # also WebM
        return _first_frame_rotation(opener)
    return 0


_MKV_CLUSTER = b"\x1f\x43\xb6\x75"  # EBML IDs (Matroska specification)
_MKV_PROJECTION = b"\x76\x70"
_MKV_HEAD_BYTES = 1 << 20


def _matroska_has_projection(opener: Opener) -> bool:
    """Whether a Projection element ID occurs before the first cluster (may be a false hit)."""
    head = b""
    try:
        with opener() as handle:
            while len(head) < _MKV_HEAD_BYTES:  # 64 KiB at a time: the header is small
                chunk = handle.read(1 << 16)
                head += chunk
                cluster = head.find(_MKV_CLUSTER)
                if cluster >= 0:
                    return _MKV_PROJECTION in head[:cluster]
                if not chunk:
                    break
    except OSError:
        return False
    return _MKV_PROJECTION in head


def _first_frame_rotation(opener: Opener) -> int:
    """The display rotation FFmpeg attaches to the first decoded frame (0 if none or unreadable).

    Matroska keeps a rotation in its track's projection element, which PyAV does not expose
    on the stream; FFmpeg hands it to every decoded frame as a display matrix
    (``frame.rotation``). One frame is decoded, once per file (the index caches it), from a
    fresh single-threaded open, and only when the file's header (before its first cluster)
    holds a Projection element: most files have none and cost one small read.
    """
    if not _matroska_has_projection(opener):
        return 0
    try:
        with opener() as handle, av.open(handle, "r", metadata_errors="ignore") as container:
            stream = container.streams.video[0]
            stream.codec_context.thread_count = 1
            for frame in container.decode(stream):
                return round(float(frame.rotation)) % 360
    except (av.FFmpegError, OSError, ValueError, IndexError):
        pass  # a damaged file: its frames are the decoder's problem, not the probe's
    return 0
