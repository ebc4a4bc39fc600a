"""Decoded frames to RGB outputs: one swscale call per size, then exact pixel moves."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import av
import numpy as np
from av.video.reformatter import VideoReformatter

from fastvid.reader.decoding._pyav_stream import (
    FrameDecodeError,
    OpenVideo,
    damaged_reason,
    missing_kind,
    missing_reason,
)

__all__ = ["ClipsConverter", "Converter"]


@dataclass(frozen=True)
class _Clip:
    frames: np.ndarray  # sorted unique positions
    out: np.ndarray  # (len(frames), H, W, 3) uint8: frames are scaled to fit it


class ClipsConverter:
    """Hands each decoded frame to every clip that needs it, converted once per size."""

    def __init__(
        self,
        clips: Sequence[tuple[np.ndarray, np.ndarray]],
        interp: str,
        on_done: Callable[[int], None] | None = None,
    ) -> None:
        self.clips = [_Clip(frames, out) for frames, out in clips]
        self.interp = interp
        self.on_done = on_done
        self.left = [len(c.frames) for c in self.clips]
        self.consumers: dict[int, list[tuple[int, int]]] = {}
        for number, clip in enumerate(self.clips):
            out = clip.out
            if out.ndim != 4 or out.shape[0] != len(clip.frames) or out.shape[3] != 3:
                raise ValueError(
                    f"clip {number}: output shape {out.shape} does not fit "
                    f"{len(clip.frames)} RGB frames"
                )
            for row, index in enumerate(np.asarray(clip.frames).tolist()):
                self.consumers.setdefault(int(index), []).append((number, row))
        self.needed = np.array(sorted(self.consumers), dtype=np.int64)
        self.corrupt: set[int] = set()

    def __call__(self, index: int, frame: av.VideoFrame, damaged: bool = False) -> None:
        if damaged or frame.is_corrupt:
            self.corrupt.add(index)
        converted: dict[tuple[int, int], np.ndarray] = {}
        for number, row in self.consumers[index]:
            clip = self.clips[number]
            width, height = clip.out.shape[2], clip.out.shape[1]
            rgb = converted.get((width, height))
            if rgb is None:
                rgb = _to_rgb(frame, width, height, self.interp)
                converted[(width, height)] = rgb
            clip.out[row] = rgb
            self.left[number] -= 1
            if self.left[number] == 0 and self.on_done is not None and not self._damaged(number):
                self.on_done(number)

    def _damaged(self, clip: int) -> bool:
        return bool(self.corrupt) and any(
            int(i) in self.corrupt for i in np.asarray(self.clips[clip].frames).tolist()
        )

    def errors(
        self, missing: list[int], video: OpenVideo, num_frames: int
    ) -> list[FrameDecodeError | None]:
        lost = set(missing)
        result: list[FrameDecodeError | None] = []
        for clip in self.clips:
            mine = [int(i) for i in np.asarray(clip.frames).tolist()]
            gone = [i for i in mine if i in lost]
            damaged = sorted(i for i in mine if i in self.corrupt)
            if gone:
                reason = missing_reason(video, gone, num_frames)
                result.append(FrameDecodeError(video.path, reason, missing_kind(video)))
            elif damaged:
                result.append(FrameDecodeError(video.path, damaged_reason(damaged), "corrupt"))
            else:
                result.append(None)
        return result


class Converter:
    """Converts requested frames to RGB (and scales them) straight into the output array.

    With ``size=None`` the output takes the stream's declared size (or, when the container does
    not declare one, the first frame's); a frame of another size is scaled to it.
    """

    def __init__(
        self,
        out_rows: dict[int, list[int]],
        count: int,
        size: tuple[int, int] | None,
        interp: str,
    ) -> None:
        self.out_rows = out_rows
        self.count = count
        self.interp = interp
        self.size = size
        self.corrupt: list[int] = []
        self._out = None if size is None else self._allocate(size)

    def _allocate(self, size: tuple[int, int]) -> np.ndarray:
        return np.empty((self.count, size[1], size[0], 3), dtype=np.uint8)

    @property
    def out(self) -> np.ndarray:
        """The output array (empty with zero size if no frame was seen and no size known)."""
        return self._out if self._out is not None else self._allocate((0, 0))

    def __call__(self, index: int, frame: av.VideoFrame, damaged: bool = False) -> None:
        if damaged or frame.is_corrupt:  # concealed decoding errors: the pixels are not the frame
            self.corrupt.append(index)
        if self.size is None or self._out is None:
            self.size = (frame.width, frame.height)
            self._out = self._allocate(self.size)
        width, height = self.size
        self._out[self.out_rows[index]] = _to_rgb(frame, width, height, self.interp)

    def error(
        self, missing: list[int], video: OpenVideo, num_frames: int
    ) -> FrameDecodeError | None:
        """Why the output is not good (missing or damaged frames), or ``None`` if it is."""
        if missing:
            reason = missing_reason(video, missing, num_frames)
            return FrameDecodeError(video.path, reason, missing_kind(video))
        if self.corrupt:
            reason = damaged_reason(sorted(set(self.corrupt)))
            return FrameDecodeError(video.path, reason, "corrupt")
        return None


def _to_rgb(frame: av.VideoFrame, width: int, height: int, interp: str) -> np.ndarray:
    """``frame`` as ``(height, width, 3)`` RGB, scaled in the same swscale call if need be.

    Through this thread's one :class:`~av.video.reformatter.VideoReformatter`, on one swscale
    thread: ``frame.to_ndarray(format=...)`` builds a new swscale context for every frame and
    lets FFmpeg start its own slice threads, which in worker processes that already keep every
    core busy cost more than the conversion (measured here at 320x240: 0.5 ms a frame, against
    0.1 ms this way; the same pixels).
    """
    if (frame.width, frame.height) == (width, height):
        rgb = _reformat(frame, format="rgb24")  # interpolation as to_ndarray's: the default
    else:
        rgb = _reformat(frame, width=width, height=height, format="rgb24", interpolation=interp)
    return rgb.to_ndarray()


_LOCAL = threading.local()
_ONE_THREAD: dict[str, Any] | None = {"threads": 1}  # None: this PyAV has no ``threads``


def _reformat(frame: av.VideoFrame, **options: Any) -> av.VideoFrame:
    global _ONE_THREAD
    reformatter = getattr(_LOCAL, "reformatter", None)
    if reformatter is None:
        reformatter = _LOCAL.reformatter = VideoReformatter()
    if _ONE_THREAD is not None:
        try:
            return reformatter.reformat(frame, **options, **_ONE_THREAD)
        except TypeError:  # PyAV < 14: no ``threads`` argument (swscale's default then)
            _ONE_THREAD = None
    return reformatter.reformat(frame, **options)
