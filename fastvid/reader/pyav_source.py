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
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from types import TracebackType
from typing import Any, Literal

import av
import numpy as np

__all__ = ["ClipTarget", "FrameDecodeError", "Interpolation", "PyAVFrameReader", "decode_frames"]

logger = logging.getLogger(__name__)

Interpolation = Literal["bilinear", "area", "bicubic", "nearest"]

_INTERPOLATIONS: dict[str, str] = {
    "bilinear": "BILINEAR",
    "area": "AREA",
    "bicubic": "BICUBIC",
    "nearest": "POINT",
}

# Seek instead of decoding through when the seek skips more than this many frames. A seek costs a
# few frames' worth of work (demuxer seek, decoder flush, refilling the frame-thread pipeline). On
# 720p H.264 with a keyframe every 12 frames, 4-8 beat both "always seek" (0) and "never seek";
# between 4 and 8 the difference was within noise on a shared 2-core machine.
_SEEK_GAP_FRAMES = 4

# Codecs whose "non-reference" frames are never used to predict any other frame, so skipping the
# unrequested ones (AVDISCARD_NONREF) leaves every other frame bit-exact. HEVC is not here: its
# NONREF skips sub-layer non-reference pictures, which higher temporal layers may still use.
_SKIP_NONREF_CODECS = frozenset({"h264", "mpeg4", "mpeg2video", "mpeg1video"})

# FFmpeg threading: "AUTO" lets the codec pick frame and/or slice threading.
_THREAD_TYPE = "AUTO"

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


class FrameDecodeError(RuntimeError):
    """A video file could not be decoded into the requested frames.

    Attributes:
        path: The file.
        reason: What went wrong.
    """

    def __init__(self, path: str | os.PathLike[str], reason: str) -> None:
        self.path = os.fspath(path)
        self.reason = reason
        super().__init__(
            f"cannot decode {self.path!r}: {reason}. Check that the file plays to the end "
            f"(e.g. `ffprobe {self.path}`); re-encode or remove it, and rebuild the video index "
            f"if the file changed since it was indexed."
        )

    def __reduce__(self) -> tuple[type[FrameDecodeError], tuple[str, str]]:
        return type(self), (self.path, self.reason)


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


def _validate_keyframes(keyframes: Any, num_frames: int) -> np.ndarray:
    keyframes = _validate_int_array("keyframes", keyframes)
    bad = keyframes[(keyframes < 0) | (keyframes >= num_frames)]
    if bad.size:
        raise ValueError(
            f"keyframes holds position {int(bad[0])}, out of range for a video with "
            f"{num_frames} frames (valid: 0..{num_frames - 1})"
        )
    return np.unique(keyframes)


def _validate_indices(frame_indices: Any, num_frames: int) -> np.ndarray:
    indices = _validate_int_array("frame_indices", frame_indices)
    bad = indices[(indices < 0) | (indices >= num_frames)]
    if bad.size:
        raise ValueError(
            f"frame index {int(bad[0])} is out of range for a video with {num_frames} frames "
            f"(valid: 0..{num_frames - 1})"
        )
    return indices


def _validate_size(size: Any) -> tuple[int, int] | None:
    if size is None:
        return None
    if (
        not isinstance(size, (tuple, list))
        or len(size) != 2
        or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in size)
    ):
        raise TypeError(f"size must be a (width, height) tuple of ints or None, got {size!r}")
    width, height = int(size[0]), int(size[1])
    if width <= 0 or height <= 0:
        raise ValueError(f"size ({width}, {height}) must be positive (width, height)")
    return width, height


def _validate_threads(threads: Any) -> int:
    if isinstance(threads, bool) or not isinstance(threads, (int, np.integer)):
        raise TypeError(f"threads must be an int, got {type(threads).__name__}")
    if threads < 0:
        raise ValueError(f"threads ({threads}) must be >= 0 (0: FFmpeg's default)")
    return int(threads)


def _validate_interpolation(interpolation: Any) -> str:
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(
            f"interpolation ({interpolation!r}) must be one of {sorted(_INTERPOLATIONS)}"
        )
    return _INTERPOLATIONS[interpolation]


def _validate_max_open(max_open: Any) -> int:
    if isinstance(max_open, bool) or not isinstance(max_open, (int, np.integer)):
        raise TypeError(f"max_open must be an int, got {type(max_open).__name__}")
    if max_open < 1:
        raise ValueError(f"max_open ({max_open}) must be >= 1")
    return int(max_open)


# --------------------------------------------------------------------------- one open video


class _OpenVideo:
    """One open file and its decoder, which stays where the last request left it.

    ``position`` is the index of the last frame the decoder output since the last seek (frames
    come out in presentation order), so any later frame can be reached by decoding on, unless its
    packet was already sent to the decoder with non-reference skipping on (``_skipped``).
    """

    def __init__(self, path: str, threads: int) -> None:
        self.path = path
        try:
            self.container = av.open(path)
        except av.FFmpegError as error:
            raise FrameDecodeError(path, f"FFmpeg cannot open it ({error})") from error
        if not self.container.streams.video:
            self.container.close()
            raise FrameDecodeError(path, "it has no video stream")
        self.stream = self.container.streams.video[0]
        self.stream.thread_type = _THREAD_TYPE
        self.stream.codec_context.thread_count = threads
        codec = self.stream.codec_context.codec
        # Intra-only codecs (MJPEG, ...): an unwanted packet is not decoded at all.
        self.intra_only = bool(codec.intra_only)
        self.skip_nonref = codec.name in _SKIP_NONREF_CODECS
        self.stat = _stat_key(path)
        self._pts = np.zeros(0, dtype=np.int64)
        self._pts_to_index: dict[int, int] = {}
        self._frames: Generator[av.VideoFrame, None, None] | None = None
        self._floor = 0  # frames before the keyframe we sought to are not trustworthy
        self.position = -1
        self._skipped: set[int] = set()
        self._wanted: set[int] = set()
        self._skip_below = 0
        self._skip_enabled = False
        self.eof = False
        self.last_error: str | None = None
        self.decoded = 0  # frames the decoder has output since the file was opened

    # -- bookkeeping

    def use_index(self, pts: np.ndarray, time_base: Fraction | None) -> None:
        """Adopt ``pts`` as the frame index; a different index resets the decoder state."""
        if time_base is not None and self.stream.time_base != time_base:
            raise ValueError(
                f"time_base ({time_base}) does not match the video stream's time base "
                f"({self.stream.time_base}) of {self.path!r}; pts must be in the stream's "
                f"time base"
            )
        if np.array_equal(self._pts, pts):
            return
        self._pts = pts.copy()
        self._pts_to_index = {p: i for i, p in enumerate(pts.tolist())}
        self._drop_decoder()

    def _drop_decoder(self) -> None:
        if self._frames is not None:
            self._frames.close()
        self._frames = None
        self.position = -1

    def close(self) -> None:
        self._drop_decoder()
        self.container.close()

    # -- decoding

    def _decoded_frames(self) -> Generator[av.VideoFrame, None, None]:
        """Decode forward from the demuxer's position, skipping unwanted frames where exact."""
        codec_context = self.stream.codec_context
        packets = self.container.demux(self.stream)
        while True:
            try:
                packet = next(packets)
            except StopIteration:
                break
            except av.FFmpegError as error:  # read error mid-file: drain what was decoded
                self.last_error = f"reading packets failed ({error})"
                packet = None
            unwanted = self._unwanted_pts(packet) if self._skip_enabled else None
            if unwanted is not None:
                self._skipped.add(unwanted)
                if self.intra_only:
                    continue
            if self.skip_nonref:
                mode: Literal["DEFAULT", "NONREF"] = "DEFAULT" if unwanted is None else "NONREF"
                if codec_context.skip_frame != mode:
                    codec_context.skip_frame = mode
            try:
                frames = self.stream.decode(packet)
            except av.FFmpegError as error:  # a damaged packet: keep going, as ffmpeg does
                self.last_error = f"the decoder rejected a packet ({error})"
                continue
            self.decoded += len(frames)
            yield from frames
            if packet is None:
                break
        self.eof = True

    def _unwanted_pts(self, packet: av.Packet | None) -> int | None:
        """The pts of ``packet`` if its frame may be skipped, else None.

        Only frames before the last wanted one are skipped: the decoder reads a few packets past
        the last wanted frame (reordering, frame threads), and decoding those fully lets the next
        request continue from here instead of seeking back.
        """
        if packet is None or packet.pts is None or (packet.is_keyframe and not self.intra_only):
            return None
        if packet.pts >= self._skip_below or packet.pts in self._wanted:
            return None
        return int(packet.pts)

    def _index_of(self, frame: av.VideoFrame) -> int | None:
        pts = frame.pts if frame.pts is not None else frame.dts
        index = self._pts_to_index.get(pts) if pts is not None else None
        if index is None or index < self._floor:
            return None
        return index

    def _seek(self, target: int, keyframes: np.ndarray) -> Generator[av.VideoFrame, None, None]:
        """Seek to the last keyframe at or before frame ``target`` (the first frame if none)."""
        k = int(np.searchsorted(keyframes, target, side="right")) - 1
        start = int(keyframes[k]) if k >= 0 else 0
        self._drop_decoder()
        try:
            self.container.seek(
                int(self._pts[start]), stream=self.stream, backward=True, any_frame=False
            )
        except av.FFmpegError as error:
            self.last_error = f"seeking failed ({error})"
            self.container.seek(0, backward=True)  # back to the start, then decode forward
            start = 0
        self._floor = start
        self._skipped = set()
        self.eof = False
        self._frames = self._decoded_frames()
        return self._frames

    def _must_seek(self, target: int, keyframes: np.ndarray) -> bool:
        if self._frames is None or target <= self.position:
            return True
        if int(self._pts[target]) in self._skipped:
            return True
        k = int(np.searchsorted(keyframes, target, side="right")) - 1
        keyframe = int(keyframes[k]) if k >= 0 else 0
        return keyframe - self.position > _SEEK_GAP_FRAMES

    def decode(
        self,
        needed: np.ndarray,
        keyframes: np.ndarray,
        deliver: Any,
        *,
        safe: bool = False,
    ) -> list[int]:
        """Decode the sorted unique frame ``needed``, handing each to ``deliver(index, frame)``.

        With ``safe``, decode sequentially from the first frame with no frame skipping (the
        fallback when the fast path missed a frame). Returns the indices never produced.
        """
        targets = needed.tolist()
        wanted = set(targets)
        self._wanted = {int(self._pts[i]) for i in targets}
        self._skip_below = max(self._wanted)
        self._skip_enabled = (self.skip_nonref or self.intra_only) and not safe
        if safe:
            keyframes = np.zeros(0, dtype=np.int64)  # seek to the start, never seek again
            self._drop_decoder()
        done: set[int] = set()
        i = 0
        while i < len(targets):
            target = targets[i]
            frames = self._frames
            if frames is None or (not safe and self._must_seek(target, keyframes)):
                frames = self._seek(target, keyframes)
            reached = False
            for frame in frames:
                index = self._index_of(frame)
                if index is None:
                    continue
                self.position = index
                if index in wanted and index not in done:
                    deliver(index, frame)
                    done.add(index)
                if index >= target:
                    reached = True
                    break
            if not reached:  # end of stream
                self._drop_decoder()
                break
            while i < len(targets) and targets[i] <= self.position:
                i += 1
        return [t for t in targets if t not in done]


def _stat_key(path: str) -> tuple[int, int]:
    stat = os.stat(path)
    return stat.st_size, stat.st_mtime_ns


# --------------------------------------------------------------------------- conversion


@dataclass(frozen=True)
class ClipTarget:
    """Where :meth:`PyAVFrameReader.decode_clips` writes one clip, and how.

    Attributes:
        frames: Sorted unique frame positions.
        out: Writable uint8 ``(len(frames), H, W, 3)`` array.
        size: ``(width, height)`` every frame is converted (scaled) to first. Default: the
            output's size (no window), i.e. the frames are scaled to fit ``out``.
        window: ``(y, x, h, w)`` of the converted frame to keep (``h, w`` = the output's size);
            parts outside the frame are filled with ``fill``. Default: the whole frame.
        flip: Mirror the kept window left to right. Default: ``False``.
        fill: RGB value of padding. Default: black.
    """

    frames: np.ndarray
    out: np.ndarray
    size: tuple[int, int] | None = None
    window: tuple[int, int, int, int] | None = None
    flip: bool = False
    fill: tuple[int, int, int] = (0, 0, 0)

    def place(self, row: int, rgb: np.ndarray) -> None:
        """Write converted frame ``rgb`` (at ``size``) into row ``row`` of the output."""
        if self.window is None:
            self.out[row] = rgb[:, ::-1] if self.flip else rgb
            return
        y, x, h, w = self.window
        height, width = rgb.shape[:2]
        top, left = max(y, 0), max(x, 0)
        bottom, right = min(y + h, height), min(x + w, width)
        target = self.out[row]
        if (top, left, bottom, right) != (y, x, y + h, x + w):
            target[...] = self.fill  # the window sticks out of the frame: pad
        if bottom <= top or right <= left:
            return
        part = rgb[top:bottom, left:right]
        if self.flip:  # mirror the whole window: the frame part lands mirrored too
            target[top - y : bottom - y, w - (right - x) : w - (left - x)] = part[:, ::-1]
        else:
            target[top - y : bottom - y, left - x : right - x] = part


class _ClipsConverter:
    """Hands each decoded frame to every clip that needs it, converted once per size."""

    def __init__(
        self,
        clips: Sequence[ClipTarget | tuple[np.ndarray, np.ndarray]],
        interp: str,
        on_done: Callable[[int], None] | None = None,
    ) -> None:
        self.clips = [c if isinstance(c, ClipTarget) else ClipTarget(*c) for c in clips]
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

    def __call__(self, index: int, frame: av.VideoFrame) -> None:
        if frame.is_corrupt:
            self.corrupt.add(index)
        converted: dict[tuple[int, int], np.ndarray] = {}
        for number, row in self.consumers[index]:
            clip = self.clips[number]
            width, height = clip.size or (clip.out.shape[2], clip.out.shape[1])
            rgb = converted.get((width, height))
            if rgb is None:
                if (frame.width, frame.height) == (width, height):
                    rgb = frame.to_ndarray(format="rgb24")
                else:
                    rgb = frame.reformat(
                        width=width, height=height, format="rgb24", interpolation=self.interp
                    ).to_ndarray()
                converted[(width, height)] = rgb
            clip.place(row, rgb)
            self.left[number] -= 1
            if self.left[number] == 0 and self.on_done is not None and not self._damaged(number):
                self.on_done(number)

    def _damaged(self, clip: int) -> bool:
        return bool(self.corrupt) and any(
            int(i) in self.corrupt for i in np.asarray(self.clips[clip].frames).tolist()
        )

    def errors(self, missing: list[int], video: _OpenVideo, num_frames: int) -> list[str | None]:
        lost = set(missing)
        result: list[str | None] = []
        for clip in self.clips:
            mine = [int(i) for i in np.asarray(clip.frames).tolist()]
            gone = [i for i in mine if i in lost]
            damaged = sorted(i for i in mine if i in self.corrupt)
            if gone:
                result.append(_missing_reason(video, gone, num_frames))
            elif damaged:
                result.append(
                    f"frames {damaged} are damaged (FFmpeg flagged them corrupt and concealed "
                    "the errors); re-encode or replace the file"
                )
            else:
                result.append(None)
        return result


class _Converter:
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

    def __call__(self, index: int, frame: av.VideoFrame) -> None:
        if frame.is_corrupt:  # FFmpeg concealed a decoding error: the pixels are not the frame
            self.corrupt.append(index)
        if self.size is None or self._out is None:
            self.size = (frame.width, frame.height)
            self._out = self._allocate(self.size)
        width, height = self.size
        if (frame.width, frame.height) == (width, height):
            rgb = frame.to_ndarray(format="rgb24")
        else:
            rgb = frame.reformat(
                width=width, height=height, format="rgb24", interpolation=self.interp
            ).to_ndarray()
        self._out[self.out_rows[index]] = rgb


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

    def __init__(self, *, max_open: int = _DEFAULT_MAX_OPEN) -> None:
        self.max_open = _validate_max_open(max_open)
        self._open: OrderedDict[tuple[str, int], _OpenVideo] = OrderedDict()
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
        threads = _validate_threads(threads)
        interp = _validate_interpolation(interpolation)
        path = os.fspath(path)

        video = self._get(path, threads)
        video.use_index(pts, time_base)
        if size is None and video.stream.codec_context.width > 0:
            size = (video.stream.codec_context.width, video.stream.codec_context.height)
        needed, inverse = np.unique(indices, return_inverse=True)
        out_rows: dict[int, list[int]] = {int(n): [] for n in needed}
        for row, k in enumerate(inverse.tolist()):
            out_rows[int(needed[k])].append(row)
        convert = _Converter(out_rows, len(indices), size, interp)
        if needed.size == 0:
            return convert.out

        try:
            missing = video.decode(needed, keyframes, convert)
            if missing:  # the fast path lost frames: decode sequentially from the start
                logger.debug(
                    "%s: frames %s not found after seeking; decoding from the start", path, missing
                )
                missing = video.decode(np.asarray(missing), keyframes, convert, safe=True)
        except av.FFmpegError as error:
            self._discard(path, threads)
            raise FrameDecodeError(path, f"FFmpeg failed while decoding ({error})") from error
        except BaseException:
            self._discard(path, threads)
            raise
        if missing:
            raise FrameDecodeError(path, _missing_reason(video, missing, len(pts)))
        if convert.corrupt:
            raise FrameDecodeError(
                path,
                f"frames {sorted(set(convert.corrupt))} are damaged (FFmpeg flagged them corrupt "
                "and concealed the errors); re-encode or replace the file",
            )
        return convert.out

    def decode_clips(
        self,
        path: str | os.PathLike[str],
        clips: Sequence[ClipTarget | tuple[np.ndarray, np.ndarray]],
        *,
        pts: np.ndarray,
        keyframes: np.ndarray,
        threads: int = 0,
        interpolation: Interpolation = "bilinear",
        on_done: Callable[[int], None] | None = None,
    ) -> list[str | None]:
        """Decode several clips of one video in one forward pass, into caller-owned arrays.

        Each frame any clip needs is decoded once; each clip gets it converted to RGB at its
        own size by one swscale call (shared by the clips of one size), then, if asked, cropped
        and mirrored on the way into its output (pixel moves: exact).

        Args:
            path: Video file.
            clips: A :class:`ClipTarget` per clip (or ``(frames, out)``: frames scaled to fit
                ``out``).
            pts: Every frame's presentation timestamp (``VideoMeta.pts``).
            keyframes: Keyframe positions (``VideoMeta.keyframes``).
            threads: FFmpeg decoder threads (0: FFmpeg chooses). Default: 0.
            interpolation: Scaling filter. Default: ``"bilinear"``.
            on_done: Called with a clip's number as soon as all its frames are written (and
                none is damaged), so a caller can hand it on before the others are done.
                Default: ``None``.

        Returns:
            Per clip, ``None`` if every frame was written, else why not (missing or damaged
            frames; the other clips are still good).

        Raises:
            FileNotFoundError: If ``path`` does not exist.
            FrameDecodeError: If the file cannot be opened or FFmpeg fails outright.
        """
        pts = _validate_pts(pts)
        keyframes = _validate_keyframes(keyframes, len(pts))
        threads = _validate_threads(threads)
        interp = _validate_interpolation(interpolation)
        path = os.fspath(path)
        video = self._get(path, threads)
        video.use_index(pts, None)
        deliver = _ClipsConverter(clips, interp, on_done)
        if not deliver.needed.size:
            return [None] * len(clips)
        try:
            missing = video.decode(deliver.needed, keyframes, deliver)
            if missing:
                missing = video.decode(np.asarray(missing), keyframes, deliver, safe=True)
        except av.FFmpegError as error:
            self._discard(path, threads)
            raise FrameDecodeError(path, f"FFmpeg failed while decoding ({error})") from error
        except BaseException:
            self._discard(path, threads)
            raise
        return deliver.errors(missing, video, len(pts))

    def decoded_frames(self, path: str | os.PathLike[str], threads: int = 0) -> int:
        """Frames the decoder of an open file has output so far (0 if it is not open)."""
        video = self._open.get((os.fspath(path), threads))
        return 0 if video is None else video.decoded

    decode_frames.__doc__ = f"""Decode the frames at ``frame_indices`` as RGB.

    Args:{_DECODE_ARGS_DOC}"""

    def _get(self, path: str, threads: int) -> _OpenVideo:
        if self._pid != os.getpid():  # forked: the parent's decoders are not ours to close
            self._open.clear()
            self._pid = os.getpid()
        if not os.path.exists(path):
            raise FileNotFoundError(f"video file {path!r} does not exist")
        key = (path, threads)
        video = self._open.get(key)
        if video is not None and video.stat != _stat_key(path):  # the file changed on disk
            self._discard(path, threads)
            video = None
        if video is None:
            video = _OpenVideo(path, threads)
            self._open[key] = video
            while len(self._open) > self.max_open:
                _, oldest = self._open.popitem(last=False)
                oldest.close()
        self._open.move_to_end(key)
        return video

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
        return {"max_open": self.max_open}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(max_open=state["max_open"])  # type: ignore[misc]

    def __repr__(self) -> str:
        return f"PyAVFrameReader(max_open={self.max_open}, open={len(self._open)})"


def _missing_reason(video: _OpenVideo, missing: list[int], num_frames: int) -> str:
    shown = ", ".join(str(i) for i in missing[:10]) + (", ..." if len(missing) > 10 else "")
    reason = f"frames [{shown}] of {num_frames} were never decoded"
    if video.eof:
        reason += " (the stream ended before them: the file may be truncated)"
    if video.last_error:
        reason += f"; last error: {video.last_error}"
    return reason


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
