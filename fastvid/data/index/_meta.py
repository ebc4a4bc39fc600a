"""What the index knows about one video (:class:`VideoMeta`) and the error for unreadable files."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from fastvid.errors import VideoError

__all__ = ["PathLike", "VideoMeta", "VideoProbeError"]

PathLike = str | os.PathLike[str]

_NO_ORDER = np.zeros(0, dtype=np.int32)
_NO_ORDER.flags.writeable = False


class VideoProbeError(VideoError):
    """A video file could not be read when it was indexed.

    Attributes:
        path: The file.
        reason: Why it could not be read, in words.
        kind: The kind of problem (:data:`fastvid.errors.VideoErrorKind`), e.g. ``"empty"``.
    """

    def message(self) -> str:
        return f"cannot read video {self.path}: {self.reason}"


@dataclass(frozen=True)
class VideoMeta:
    """What one probe learns about a video file; enough to plan clips without opening it again.

    Attributes:
        path: Absolute path of the file.
        size: File size in bytes when probed (part of the cache key).
        mtime_ns: Modification time in nanoseconds when probed (part of the cache key).
        codec: FFmpeg codec name of the first video stream, e.g. ``"h264"``, ``"vp9"``.
        width: Coded frame width in pixels (before rotation).
        height: Coded frame height in pixels (before rotation).
        rotation: Counter-clockwise display rotation in degrees, in ``[0, 360)``: PyAV's
            ``VideoFrame.rotation`` modulo 360. Read from MP4/MOV track headers or a ``rotate``
            metadata tag; 0 if there is none.
        time_base: Seconds per timestamp unit.
        start_pts: The stream's start time in ``time_base`` units (0 if the container has none).
        pts: int64 presentation timestamp of every frame, ascending (presentation order);
            ``pts[i]`` is the timestamp of the ``i``-th decoded frame.
        keyframes: int32 positions in ``pts`` of the keyframes (seek points), ascending.
        avg_fps: Average frame rate from the container (``average_rate``, else ``guessed_rate``).
        num_frames: ``len(pts)``.
        duration: Exactly PyTorchVideo's ``EncodedVideoPyAV.duration`` with
            ``decode_audio=False``: ``(stream.duration - start_pts) * time_base`` when the
            container states a duration, else ``(max(pts) - start_pts) * time_base`` (what
            PyTorchVideo gets by decoding the whole file). ``None`` only if neither is known.
        has_audio: Whether the file has an audio stream.
        pix_fmt: FFmpeg pixel format of the coded stream, e.g. ``"yuv420p"``,
            ``"yuv420p10le"`` (10-bit), ``"yuvj420p"`` (full-range JPEG), ``"yuv444p"``
            (no chroma subsampling): what a hardware decoder must support to decode the file.
            ``""`` when the container does not say.
        fingerprint: A hash of the file's size, first and last 64 KiB when it was probed with
            ``fingerprint=True`` (part of the cache key then), else 0.
        duration_with_audio: PyTorchVideo's ``EncodedVideoPyAV.duration`` with
            ``decode_audio=True``: the longer of the video's and the first audio stream's
            durations as PyTorchVideo reads them (header durations; when neither stream states
            one, the last frame's timestamp of each). Equal to ``duration`` for a file without
            audio. Clips are planned on it when audio is decoded. ``None`` if unknown.
        output_order: int32 positions in ``pts`` in the order FFmpeg's decoder outputs the
            frames, when that is not ``pts`` order; empty (the usual case) when it is. AVI stores no
            presentation timestamps: with B-frames (Xvid's packed B-frames in UCF101/HMDB51, H.264)
            each frame carries the timestamp of the packet it was decoded from, so timestamps come
            out of order (..., 97, 96, 98, 100, 99, ...). PyTorchVideo stops a clip at the first
            frame *output* at or past its end
            (:func:`fastvid.reader.planning.frames.clip_frame_indices` needs this order to match
            it).
    """

    path: str
    size: int
    mtime_ns: int
    codec: str
    width: int
    height: int
    rotation: int
    time_base: Fraction
    start_pts: int
    pts: np.ndarray
    keyframes: np.ndarray
    avg_fps: float
    num_frames: int
    duration: Fraction | None
    has_audio: bool
    pix_fmt: str = ""
    fingerprint: int = 0
    duration_with_audio: Fraction | None = None
    output_order: np.ndarray = field(default_factory=lambda: _NO_ORDER)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, VideoMeta):
            return NotImplemented
        arrays = ("pts", "keyframes", "output_order")
        return all(
            np.array_equal(getattr(self, name), getattr(other, name))
            if name in arrays
            else getattr(self, name) == getattr(other, name)
            for name in self.__dataclass_fields__
        )

    def __hash__(self) -> int:
        return hash((self.path, self.size, self.mtime_ns))

    def pts_to_seconds(self, pts: int | np.ndarray) -> Fraction | np.ndarray:
        """Seconds from the stream start, PyTorchVideo's ``pts_to_secs``.

        Args:
            pts: A timestamp (exact ``Fraction`` result) or an array of them (float64 result).

        Returns:
            ``(pts - start_pts) * time_base``.
        """
        if isinstance(pts, np.ndarray):
            return (pts - self.start_pts).astype(np.float64) * float(self.time_base)
        return int(pts - self.start_pts) * self.time_base
