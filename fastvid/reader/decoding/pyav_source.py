"""Frame-selective CPU decoding with PyAV, for codecs DALI cannot decode on the CPU.

DALI's CPU video decoder handles VP9 and MJPEG but not H.264, HEVC or MPEG-4, so fastvid's CPU
path decodes those here and feeds the frames into the same DALI graph. This is the hot path of
the CPU loader, so it decodes as little as it can:

* requested frames are grouped into runs; each run starts with a seek to the last keyframe at or
  before its first frame, and decoding goes forward from there;
* between two requested frames, it seeks again only when a keyframe lies far enough ahead that
  seeking skips more than ``_SEEK_GAP_FRAMES`` frames; otherwise it decodes through;
* a :class:`PyAVFrameReader` keeps the decoder of each open file where it stopped, so the next clip
  of the same video continues without a seek;
* for codecs whose non-reference frames provably never feed another frame (H.264's
  ``nal_ref_idc == 0``, MPEG-1/2/4 part 2 B-frames) the decoder skips the ones nobody asked for,
  and for intra-only codecs (MJPEG) unrequested packets are not decoded at all;
* only requested frames are converted to RGB, in one swscale call that also scales them when
  ``size`` is given.

The frames are exactly those a sequential decode of the whole file gives, matched by presentation
timestamp: frame ``i`` is the frame whose ``pts`` is ``pts[i]``. Frames are returned as stored
(display rotation is not applied). Should a seek ever land after a requested frame, that frame
is decoded again sequentially from the start of the file, so a result is never wrong, only slower.
"""

from __future__ import annotations

import logging
import os
from collections import OrderedDict
from collections.abc import Callable, Sequence
from fractions import Fraction
from types import TracebackType
from typing import Any, Literal

import av
import numpy as np

from fastvid._validate import check_choice, check_int, check_int_pair
from fastvid.data.storage import Storage, is_remote
from fastvid.errors import exception_kind
from fastvid.reader.decoding._pyav_convert import ClipsConverter, Converter
from fastvid.reader.decoding._pyav_stream import FrameDecodeError, OpenVideo, stat_key

__all__ = ["FrameDecodeError", "Interpolation", "PyAVFrameReader", "decode_frames"]

logger = logging.getLogger(__name__)

Interpolation = Literal["bilinear", "area", "bicubic", "nearest"]

_INTERPOLATIONS: dict[str, str] = {
    "bilinear": "BILINEAR",
    "area": "AREA",
    "bicubic": "BICUBIC",
    "nearest": "POINT",
}

_DEFAULT_MAX_OPEN = 4

_DECODE_ARGS_DOC = """
        path: Video file.
        frame_indices: Frames to return, as positions in ``pts``, in the order wanted; may repeat
            and need not be sorted.
        pts: Every frame's presentation timestamp in the video stream's time base, strictly
            increasing (``VideoMeta.pts``).
        keyframes: Positions in ``pts`` of the keyframes (``VideoMeta.keyframes``).
        time_base: The time base of ``pts``; checked against the stream's when given.
            Default: ``None`` (not checked).
        size: ``(width, height)`` to scale every frame to, in the same swscale call as the RGB
            conversion. Default: ``None`` (the stream's size, unscaled).
        threads: FFmpeg decoder threads; ``0`` lets FFmpeg choose (one per core, plus one).
            Default: ``0``.
        interpolation: Scaling filter when ``size`` is given: ``"bilinear"``, ``"area"``,
            ``"bicubic"`` or ``"nearest"``. Default: ``"bilinear"``.

    Returns:
        ``uint8`` array of shape ``(len(frame_indices), H, W, 3)``, RGB, frames in the order of
        ``frame_indices``.

    Raises:
        FileNotFoundError: If ``path`` does not exist.
        TypeError: If an argument has the wrong type.
        ValueError: If an index is out of range, ``pts``/``keyframes`` are malformed, or
            ``time_base`` differs from the stream's.
        FrameDecodeError: If the file cannot be opened or a requested frame is never decoded
            (corrupt or truncated file, or an index built from a different file).
"""


# --------------------------------------------------------------------------- validation


def _validate_int_array(name: str, value: Any) -> np.ndarray:
    array = np.asarray(value)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    if array.size == 0:
        return array.astype(np.int64)
    if array.dtype == np.bool_ or not np.issubdtype(array.dtype, np.integer):
        raise TypeError(f"{name} must hold integers, got dtype {array.dtype}")
    return array.astype(np.int64, copy=False)


def _validate_pts(pts: Any) -> np.ndarray:
    pts = _validate_int_array("pts", pts)
    if pts.size == 0:
        raise ValueError("pts is empty: the video has no frames")
    if pts.size > 1 and not bool(np.all(np.diff(pts) > 0)):
        bad = int(np.flatnonzero(np.diff(pts) <= 0)[0])
        raise ValueError(
            f"pts must be strictly increasing (presentation order), but pts[{bad}] = {pts[bad]} "
            f">= pts[{bad + 1}] = {pts[bad + 1]}"
        )
    return pts


def _validate_positions(name: str, value: Any, num_frames: int, *, bad: str) -> np.ndarray:
    # Frame positions in ``pts``; ``bad`` names the first one out of range (``{}``).
    positions = _validate_int_array(name, value)
    out_of_range = positions[(positions < 0) | (positions >= num_frames)]
    if out_of_range.size:
        raise ValueError(
            f"{bad.format(int(out_of_range[0]))} out of range for a video with {num_frames} "
            f"frames (valid: 0..{num_frames - 1})"
        )
    return positions


def _validate_keyframes(keyframes: Any, num_frames: int) -> np.ndarray:
    positions = _validate_positions(
        "keyframes", keyframes, num_frames, bad="keyframes holds position {},"
    )
    return np.unique(positions)


def _validate_indices(frame_indices: Any, num_frames: int) -> np.ndarray:
    return _validate_positions("frame_indices", frame_indices, num_frames, bad="frame index {} is")


def _validate_size(size: Any) -> tuple[int, int] | None:
    if size is None:
        return None
    width, height = check_int_pair("size", size, what="a (width, height) tuple of ints or None")
    if width <= 0 or height <= 0:
        raise ValueError(f"size ({width}, {height}) must be positive (width, height)")
    return width, height


# --------------------------------------------------------------------------- public API


class PyAVFrameReader:
    """Decodes selected frames, keeping a few files open between calls.

    Holds up to ``max_open`` open files (least recently used closed first), each with its decoder
    where the last call left it, so consecutive clips of one video neither reopen the file nor,
    when the next clip starts after the last one, seek. Use one reader per worker process or
    thread; it is not thread-safe. A reader inherited through ``fork`` drops (without touching)
    the files its parent opened; a pickled reader arrives empty.

    Args:
        max_open: How many files to keep open. Default: ``4``.

    Example::

        with PyAVFrameReader() as reader:
            clip = reader.decode_frames(meta.path, [0, 8, 16], pts=meta.pts,
                                        keyframes=meta.keyframes, size=(455, 256))
    """

    def __init__(
        self, *, max_open: int = _DEFAULT_MAX_OPEN, storage: Storage | None = None
    ) -> None:
        self.max_open = check_int("max_open", max_open, minimum=1)
        self.storage = storage
        self._open: OrderedDict[tuple[str, int], OpenVideo] = OrderedDict()
        self._pid = os.getpid()

    def decode_frames(
        self,
        path: str | os.PathLike[str],
        frame_indices: Sequence[int] | np.ndarray,
        *,
        pts: np.ndarray,
        keyframes: np.ndarray,
        time_base: Fraction | None = None,
        size: tuple[int, int] | None = None,
        threads: int = 0,
        interpolation: Interpolation = "bilinear",
    ) -> np.ndarray:
        pts = _validate_pts(pts)
        indices = _validate_indices(frame_indices, len(pts))
        keyframes = _validate_keyframes(keyframes, len(pts))
        size = _validate_size(size)
        threads = check_int("threads", threads, minimum=0, hint=" (0: FFmpeg's default)")
        interp = _INTERPOLATIONS[check_choice("interpolation", interpolation, _INTERPOLATIONS)]
        path = os.fspath(path)

        video = self._get(path, threads)
        video.use_index(pts, time_base)
        if size is None and video.stream.codec_context.width > 0:
            size = (video.stream.codec_context.width, video.stream.codec_context.height)
        needed, inverse = np.unique(indices, return_inverse=True)
        out_rows: dict[int, list[int]] = {int(n): [] for n in needed}
        for row, k in enumerate(inverse.tolist()):
            out_rows[int(needed[k])].append(row)
        convert = Converter(out_rows, len(indices), size, interp)
        if needed.size == 0:
            return convert.out

        missing = self._decode(video, needed, keyframes, convert, threads)
        error = convert.error(missing, video, len(pts))
        if error is not None:
            raise error
        return convert.out

    def decode_clips(
        self,
        path: str | os.PathLike[str],
        clips: Sequence[tuple[np.ndarray, np.ndarray]],
        *,
        pts: np.ndarray,
        keyframes: np.ndarray,
        threads: int = 0,
        interpolation: Interpolation = "bilinear",
        on_done: Callable[[int], None] | None = None,
    ) -> list[FrameDecodeError | None]:
        """Decode several clips of one video in one forward pass, into caller-owned arrays.

        Each frame any clip needs is decoded once; each clip gets it converted to RGB at its
        own size (its output's) by one swscale call, shared by the clips of one size.

        Args:
            path: Video file.
            clips: ``(frames, out)`` per clip: ``frames`` sorted unique positions in ``pts``,
                ``out`` a writable uint8 ``(len(frames), H, W, 3)`` array the frames are scaled
                to fit.
            pts: Every frame's presentation timestamp (``VideoMeta.pts``).
            keyframes: Keyframe positions (``VideoMeta.keyframes``).
            threads: FFmpeg decoder threads (0: FFmpeg chooses). Default: 0.
            interpolation: Scaling filter. Default: ``"bilinear"``.
            on_done: Called with a clip's number as soon as all its frames are written (and
                none is damaged), so a caller can hand it on before the others are done.
                Default: ``None``.

        Returns:
            Per clip, ``None`` if every frame was written, else a :class:`FrameDecodeError`
            saying why not (missing or damaged frames, with its ``kind``); the other clips are
            still good.

        Raises:
            FileNotFoundError: If ``path`` does not exist.
            FrameDecodeError: If the file cannot be opened or FFmpeg fails outright.
        """
        pts = _validate_pts(pts)
        keyframes = _validate_keyframes(keyframes, len(pts))
        threads = check_int("threads", threads, minimum=0, hint=" (0: FFmpeg's default)")
        interp = _INTERPOLATIONS[check_choice("interpolation", interpolation, _INTERPOLATIONS)]
        path = os.fspath(path)
        video = self._get(path, threads)
        video.use_index(pts, None)
        deliver = ClipsConverter(clips, interp, on_done)
        if not deliver.needed.size:
            return [None] * len(clips)
        missing = self._decode(video, deliver.needed, keyframes, deliver, threads)
        return deliver.errors(missing, video, len(pts))

    def decoded_frames(self, path: str | os.PathLike[str], threads: int = 0) -> int:
        """Frames the decoder of an open file has output so far (0 if it is not open)."""
        video = self._open.get((os.fspath(path), threads))
        return 0 if video is None else video.decoded

    decode_frames.__doc__ = f"""Decode the frames at ``frame_indices`` as RGB.

    Args:{_DECODE_ARGS_DOC}"""

    def _get(self, path: str, threads: int) -> OpenVideo:
        if self._pid != os.getpid():  # forked: the parent's decoders are not ours to close
            self._open.clear()
            self._pid = os.getpid()
        if not is_remote(path) and not os.path.exists(path):
            raise FileNotFoundError(f"video file {path!r} does not exist")
        key = (path, threads)
        video = self._open.get(key)
        if video is not None and video.stat != stat_key(path, self.storage):  # it changed
            self._discard(path, threads)
            video = None
        if video is None:
            video = OpenVideo(path, threads, self.storage)
            self._open[key] = video
            while len(self._open) > self.max_open:
                _, oldest = self._open.popitem(last=False)
                oldest.close()
        self._open.move_to_end(key)
        return video

    def _decode(
        self,
        video: OpenVideo,
        needed: np.ndarray,
        keyframes: np.ndarray,
        deliver: Callable[[int, av.VideoFrame, bool], None],
        threads: int,
    ) -> list[int]:
        """``video.decode`` with the sequential fallback; returns the frames still missing.

        On any error the file is closed (its decoder is in an unknown state); an FFmpeg error is
        raised as :class:`FrameDecodeError`.
        """
        try:
            missing = video.decode(needed, keyframes, deliver)
            if missing:  # the fast path lost frames: decode sequentially from the start
                logger.debug(
                    "%s: frames %s not found after seeking; decoding from the start",
                    video.path,
                    missing,
                )
                missing = video.decode(np.asarray(missing), keyframes, deliver, safe=True)
        except av.FFmpegError as error:
            self._discard(video.path, threads)
            raise FrameDecodeError(
                video.path, f"FFmpeg failed while decoding ({error})", exception_kind(error)
            ) from error
        except BaseException:
            self._discard(video.path, threads)
            raise
        return missing

    def _discard(self, path: str, threads: int) -> None:
        video = self._open.pop((path, threads), None)
        if video is not None:
            video.close()

    def close(self) -> None:
        """Close every open file. The reader stays usable and reopens files on demand."""
        if self._pid != os.getpid():
            self._open.clear()
            self._pid = os.getpid()
        while self._open:
            _, video = self._open.popitem(last=False)
            video.close()

    def __enter__(self) -> PyAVFrameReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __getstate__(self) -> dict[str, Any]:
        return {"max_open": self.max_open, "storage": self.storage}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(max_open=state["max_open"], storage=state.get("storage"))  # type: ignore[misc]

    def __repr__(self) -> str:
        return f"PyAVFrameReader(max_open={self.max_open}, open={len(self._open)})"


def decode_frames(
    path: str | os.PathLike[str],
    frame_indices: Sequence[int] | np.ndarray,
    *,
    pts: np.ndarray,
    keyframes: np.ndarray,
    time_base: Fraction | None = None,
    size: tuple[int, int] | None = None,
    threads: int = 0,
    interpolation: Interpolation = "bilinear",
) -> np.ndarray:
    with PyAVFrameReader(max_open=1) as reader:
        return reader.decode_frames(
            path,
            frame_indices,
            pts=pts,
            keyframes=keyframes,
            time_base=time_base,
            size=size,
            threads=threads,
            interpolation=interpolation,
        )


decode_frames.__doc__ = f"""Decode the frames at ``frame_indices`` of one video as RGB.

    Opens the file, decodes only what the requested frames need, and closes it. To decode several
    clips of the same videos, keep a :class:`PyAVFrameReader` instead.

    Args:{_DECODE_ARGS_DOC}"""
