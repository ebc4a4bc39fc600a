"""Probe every video once and keep what clip sampling needs: the metadata index.

:func:`probe_video` reads one file's container with PyAV, demuxing packets without decoding a
single frame, and returns a :class:`VideoMeta`: every frame's presentation timestamp, the
keyframes, size, rotation and PyTorchVideo's duration. :class:`VideoIndex` probes a whole
dataset in parallel, caches the result on disk keyed by (path, size, mtime) so a second run is
near-instant, and stores timestamps compactly (about 0.1-1 KB per 300-frame video).
"""

from __future__ import annotations

import array
import contextlib
import hashlib
import logging
import math
import multiprocessing
import os
import struct
import sys
import tempfile
import types
import warnings
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, BinaryIO

import av
import numpy as np
from tqdm.auto import tqdm

__all__ = ["VideoIndex", "VideoMeta", "VideoProbeError", "default_cache_dir", "probe_video"]

logger = logging.getLogger(__name__)

PathLike = str | os.PathLike[str]


class VideoProbeError(RuntimeError):
    """A video file could not be read.

    Attributes:
        path: The file.
        reason: Why it could not be read, in words.
    """

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"cannot read video {path}: {reason}")
        self.path = path
        self.reason = reason

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.path, self.reason))


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

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, VideoMeta):
            return NotImplemented
        arrays = ("pts", "keyframes")
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


# --------------------------------------------------------------------------------------------
# Probing one file


def probe_video(path: PathLike) -> VideoMeta:
    """Read a video's metadata and every frame timestamp by demuxing it (no decoding).

    Args:
        path: The video file.

    Returns:
        The file's :class:`VideoMeta`.

    Raises:
        VideoProbeError: The file is missing, empty, unreadable, not a video container, has no
            video stream or no video frames. The message names the file and the reason.
    """
    path_str = os.path.abspath(os.fspath(path))
    try:
        stat = os.stat(path_str)
    except FileNotFoundError:
        raise VideoProbeError(path_str, "the file does not exist") from None
    except OSError as err:
        raise VideoProbeError(path_str, f"cannot stat it ({err.strerror})") from None
    if not os.path.isfile(path_str):
        raise VideoProbeError(path_str, "it is not a regular file")
    if stat.st_size == 0:
        raise VideoProbeError(path_str, "the file is empty (0 bytes); re-download or remove it")
    try:
        container = av.open(path_str, metadata_errors="ignore")
    except PermissionError:
        raise VideoProbeError(path_str, "permission denied; check the file's permissions") from None
    except (av.FFmpegError, OSError, UnicodeDecodeError) as err:
        detail = getattr(err, "strerror", None) or str(err)
        raise VideoProbeError(
            path_str,
            f"FFmpeg cannot open it as a video container ({detail}); "
            f"is it truncated or not a video?",
        ) from None
    with container:
        if not container.streams.video:
            kinds = [stream.type for stream in container.streams]
            raise VideoProbeError(path_str, f"it has no video stream (streams: {kinds or 'none'})")
        image_format = _still_image_format(container.format.name)
        if image_format is not None:
            raise VideoProbeError(path_str, f"it is a still image ({image_format}), not a video")
        stream = container.streams.video[0]
        pts, keyframes = _demux_timestamps(container, stream, path_str)
        time_base = stream.time_base
        if time_base is None:
            raise VideoProbeError(path_str, "its video stream has no time base")
        start_pts = int(stream.start_time) if stream.start_time is not None else 0
        return VideoMeta(
            path=path_str,
            size=stat.st_size,
            mtime_ns=stat.st_mtime_ns,
            codec=stream.codec_context.name,
            width=int(stream.codec_context.width),
            height=int(stream.codec_context.height),
            rotation=_rotation(container, stream, path_str),
            time_base=Fraction(time_base),
            start_pts=start_pts,
            pts=pts,
            keyframes=keyframes,
            avg_fps=_avg_fps(stream, pts, time_base),
            num_frames=len(pts),
            duration=_pytorchvideo_duration(stream.duration, pts, time_base, start_pts),
            has_audio=bool(container.streams.audio),
        )


def _demux_timestamps(container: Any, stream: Any, path: str) -> tuple[np.ndarray, np.ndarray]:
    """Sorted pts of every video packet and the sorted positions of keyframes."""
    timestamps: list[int] = []
    is_key: list[bool] = []
    cut: list[bool] = []
    try:
        for packet in container.demux(stream):
            pts = packet.pts
            if pts is None:
                pts = packet.dts
                if pts is None:  # the flush packet, or a packet with no timing at all
                    continue
            if packet.is_discard:  # e.g. before an MP4 edit list's start: never decoded
                continue
            timestamps.append(pts)
            is_key.append(packet.is_keyframe)
            cut.append(packet.is_corrupt)
    except av.FFmpegError as err:
        detail = getattr(err, "strerror", None) or str(err)
        raise VideoProbeError(
            path, f"demuxing failed after {len(timestamps)} frames ({detail}); is it corrupt?"
        ) from None
    # A file cut mid-frame (a truncated AVI, say) ends in a short packet the demuxer flags as
    # corrupt: its frame cannot be decoded whole, so it is not counted. Earlier corrupt packets
    # stay: decoders count them, and positions must match theirs.
    while cut and cut[-1]:
        cut.pop()
        timestamps.pop()
        is_key.pop()
    if not timestamps:
        raise VideoProbeError(path, "its video stream has no frames")
    raw = np.asarray(timestamps, dtype=np.int64)
    order = np.argsort(raw, kind="stable")
    pts = raw[order]
    keyframes = np.flatnonzero(np.asarray(is_key, dtype=bool)[order]).astype(np.int32)
    pts.flags.writeable = False
    keyframes.flags.writeable = False
    return pts, keyframes


def _still_image_format(format_name: str) -> str | None:
    """The image format if FFmpeg opened the file with an image demuxer (a picture named .mp4)."""
    names = format_name.split(",")
    images = [name.removesuffix("_pipe") for name in names if name.endswith("_pipe")]
    if "image2" in names:
        images.append("image2")
    return images[0] if images else None


def _pytorchvideo_duration(
    stream_duration: int | None, pts: np.ndarray, time_base: Fraction, start_pts: int
) -> Fraction | None:
    # EncodedVideoPyAV.__init__ (decode_audio=False): pts_to_secs(stream.duration, ...) from the
    # header; without one it decodes every frame at pts >= start_pts and uses the last frame's.
    if stream_duration is not None:
        return int(stream_duration - start_pts) * Fraction(time_base)
    decodable = pts[pts >= start_pts]
    if decodable.size == 0:
        return None
    return int(decodable[-1] - start_pts) * Fraction(time_base)


def _avg_fps(stream: Any, pts: np.ndarray, time_base: Fraction) -> float:
    rate = stream.average_rate or stream.guessed_rate
    if rate:
        return float(rate)
    span = int(pts[-1] - pts[0]) * Fraction(time_base)
    return float((len(pts) - 1) / span) if span > 0 else 0.0


def _rotation(container: Any, stream: Any, path: str) -> int:
    tag = stream.metadata.get("rotate")
    if tag is not None:
        try:
            return round(-float(tag)) % 360  # the old tag is clockwise
        except ValueError:
            return 0
    if "mp4" in container.format.name or "mov" in container.format.name:
        try:
            with open(path, "rb") as handle:
                matrix = _mp4_video_matrix(handle, os.fstat(handle.fileno()).st_size)
        except (OSError, struct.error, IndexError):  # a damaged header: no rotation
            return 0
        if matrix is not None:
            return _matrix_rotation(matrix)
    return 0


def _iter_boxes(handle: BinaryIO, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
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


def _mp4_video_matrix(handle: BinaryIO, file_size: int) -> tuple[int, ...] | None:
    """The display matrix of the first video track's ``tkhd`` box (FFmpeg's layout)."""
    for kind, start, end in _iter_boxes(handle, 0, file_size):
        if kind != b"moov":
            continue
        for trak_kind, trak_start, trak_end in _iter_boxes(handle, start, end):
            if trak_kind != b"trak":
                continue
            matrix = None
            is_video = False
            for box_kind, box_start, box_end in _iter_boxes(handle, trak_start, trak_end):
                if box_kind == b"tkhd":
                    handle.seek(box_start)
                    version = handle.read(1)[0]
                    handle.seek(box_start + 4 + (32 if version == 1 else 20) + 16)
                    matrix = struct.unpack(">9i", handle.read(36))
                elif box_kind == b"mdia":
                    for sub_kind, sub_start, _ in _iter_boxes(handle, box_start, box_end):
                        if sub_kind == b"hdlr":
                            handle.seek(sub_start + 8)
                            is_video = handle.read(4) == b"vide"
            if is_video:
                return matrix
        return None
    return None


def _matrix_rotation(matrix: tuple[int, ...]) -> int:
    # FFmpeg's av_display_rotation_get, negated to counter-clockwise like PyAV's frame.rotation.
    scale0 = math.hypot(matrix[0], matrix[3])
    scale1 = math.hypot(matrix[1], matrix[4])
    if scale0 == 0 or scale1 == 0:
        return 0
    return round(-math.degrees(math.atan2(matrix[1] / scale1, matrix[0] / scale0))) % 360


def _probe_or_reason(path: str) -> VideoMeta | str:
    """Worker entry point: the meta, or why the file cannot be read. Never raises."""
    try:
        return probe_video(path)
    except VideoProbeError as err:
        return err.reason
    except Exception as err:  # a bug or an FFmpeg surprise must not stop a 100k-file build
        return f"unexpected {type(err).__name__} while probing: {err}"


# --------------------------------------------------------------------------------------------
# Compact columnar storage

# Integer columns of _Table.ints, one row per video.
_COLUMNS = (
    "size",
    "mtime_ns",
    "width",
    "height",
    "rotation",
    "tb_num",
    "tb_den",
    "start_pts",
    "num_frames",
    "dur_num",
    "dur_den",  # 0: duration is None
    "has_audio",
    "codec",  # index into _Table.codecs
    "pts_first",
    "pts_step",  # the constant pts step when pts_kind == 0
    "pts_kind",  # 0: first + step * arange(n); k > 0: n - 1 deltas in _DELTA_DTYPES[k]
    "pts_offset",  # into the deltas buffer of pts_kind
    "kf_offset",  # into _Table.keyframes
    "kf_count",
)
_C = {name: index for index, name in enumerate(_COLUMNS)}
_DELTA_DTYPES: dict[int, type[np.unsignedinteger[Any]]] = {
    1: np.uint8,
    2: np.uint16,
    3: np.uint32,
    4: np.uint64,
}
_DELTA_TYPECODES = {1: "B", 2: "H", 3: "I", 4: "Q"}  # array.array codes of _DELTA_DTYPES
_CACHE_VERSION = 1


def _encode_pts(pts: np.ndarray) -> tuple[int, int, np.ndarray | None]:
    """(kind, step, deltas): the smallest exact encoding of ascending timestamps."""
    if len(pts) < 2:
        return 0, 0, None
    deltas = np.diff(pts)
    step = int(deltas[0])
    if (deltas == step).all():
        return 0, step, None
    largest = int(deltas.max())
    for kind, dtype in _DELTA_DTYPES.items():
        if largest <= np.iinfo(dtype).max:
            return kind, 0, deltas.astype(dtype)
    raise AssertionError("unreachable: uint64 holds any int64 difference of sorted values")


def _read_only(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


class _Table:
    """Columnar, compact storage of many VideoMeta: a few numpy arrays, no per-video objects
    beyond the path string."""

    def __init__(
        self,
        paths: list[str],
        ints: np.ndarray,
        avg_fps: np.ndarray,
        codecs: list[str],
        deltas: dict[int, np.ndarray],
        keyframes: np.ndarray,
    ) -> None:
        self.paths = paths
        self.ints = ints
        self.avg_fps = avg_fps
        self.codecs = codecs
        self.deltas = {
            kind: deltas.get(kind, np.empty(0, dtype)) for kind, dtype in _DELTA_DTYPES.items()
        }
        self.keyframes = keyframes
        self.rows = {path: row for row, path in enumerate(paths)}

    def __len__(self) -> int:
        return len(self.paths)

    @classmethod
    def from_metas(cls, metas: Iterable[VideoMeta]) -> _Table:
        # Typed growable buffers, not lists of small arrays: building 100k entries must not
        # need several times the final size.
        paths: list[str] = []
        ints = array.array("q")
        fps = array.array("d")
        codecs: dict[str, int] = {}
        deltas = {kind: array.array(code) for kind, code in _DELTA_TYPECODES.items()}
        keyframes = array.array("i")
        for meta in metas:
            pts = np.asarray(meta.pts, dtype=np.int64)
            kind, step, encoded = _encode_pts(pts)
            offset = 0
            if encoded is not None:
                offset = len(deltas[kind])
                deltas[kind].frombytes(encoded.tobytes())
            duration = meta.duration
            time_base = Fraction(meta.time_base)
            paths.append(meta.path)
            fps.append(meta.avg_fps)
            ints.extend(
                (
                    meta.size,
                    meta.mtime_ns,
                    meta.width,
                    meta.height,
                    meta.rotation,
                    time_base.numerator,
                    time_base.denominator,
                    meta.start_pts,
                    len(pts),
                    0 if duration is None else duration.numerator,
                    0 if duration is None else duration.denominator,
                    int(meta.has_audio),
                    codecs.setdefault(meta.codec, len(codecs)),
                    int(pts[0]) if len(pts) else 0,
                    step,
                    kind,
                    offset,
                    len(keyframes),
                    len(meta.keyframes),
                )
            )
            keyframes.frombytes(np.asarray(meta.keyframes, dtype=np.int32).tobytes())
        return cls(
            paths,
            np.frombuffer(ints, np.int64).reshape(len(paths), len(_COLUMNS)),
            np.frombuffer(fps, np.float64),
            list(codecs),
            {kind: np.frombuffer(buf, _DELTA_DTYPES[kind]) for kind, buf in deltas.items()},
            np.frombuffer(keyframes, np.int32),
        )

    def meta(self, row: int) -> VideoMeta:
        (
            size,
            mtime_ns,
            width,
            height,
            rotation,
            tb_num,
            tb_den,
            start_pts,
            num_frames,
            dur_num,
            dur_den,
            has_audio,
            codec,
            pts_first,
            pts_step,
            pts_kind,
            pts_offset,
            kf_offset,
            kf_count,
        ) = self.ints[row].tolist()
        if pts_kind == 0:
            pts = pts_first + pts_step * np.arange(num_frames, dtype=np.int64)
        else:
            pts = np.empty(num_frames, np.int64)
            pts[0] = pts_first
            encoded = self.deltas[pts_kind][pts_offset : pts_offset + num_frames - 1]
            np.cumsum(encoded, dtype=np.int64, out=pts[1:])
            pts[1:] += pts_first
        keyframes = self.keyframes[kf_offset : kf_offset + kf_count].copy()
        return VideoMeta(
            path=self.paths[row],
            size=size,
            mtime_ns=mtime_ns,
            codec=self.codecs[codec],
            width=width,
            height=height,
            rotation=rotation,
            time_base=Fraction(tb_num, tb_den),
            start_pts=start_pts,
            pts=_read_only(pts),
            keyframes=_read_only(keyframes),
            avg_fps=float(self.avg_fps[row]),
            num_frames=num_frames,
            duration=None if dur_den == 0 else Fraction(dur_num, dur_den),
            has_audio=bool(has_audio),
        )

    def select(self, rows: Sequence[int] | np.ndarray) -> _Table:
        """A new table of these rows, in this order (vectorised: no per-video Python work)."""
        rows = np.asarray(rows, dtype=np.int64)
        ints = self.ints[rows]
        deltas = {}
        for kind, buffer in self.deltas.items():
            mine = ints[:, _C["pts_kind"]] == kind
            lengths = np.where(mine, ints[:, _C["num_frames"]] - 1, 0)
            deltas[kind], starts = _gather(buffer, ints[:, _C["pts_offset"]], lengths)
            ints[mine, _C["pts_offset"]] = starts[mine]
        keyframes, starts = _gather(
            self.keyframes, ints[:, _C["kf_offset"]], ints[:, _C["kf_count"]]
        )
        ints[:, _C["kf_offset"]] = starts
        paths = [self.paths[row] for row in rows.tolist()]
        return _Table(paths, ints, self.avg_fps[rows], self.codecs, deltas, keyframes)

    @classmethod
    def concat(cls, first: _Table, second: _Table) -> _Table:
        """``first``'s rows, then ``second``'s."""
        ints = second.ints.copy()
        codecs = list(first.codecs)
        codecs.extend(name for name in dict.fromkeys(second.codecs) if name not in codecs)
        remap = np.array([codecs.index(name) for name in second.codecs] or [0], np.int64)
        ints[:, _C["codec"]] = remap[ints[:, _C["codec"]]]
        for kind in _DELTA_DTYPES:
            mine = ints[:, _C["pts_kind"]] == kind
            ints[mine, _C["pts_offset"]] += len(first.deltas[kind])
        ints[:, _C["kf_offset"]] += len(first.keyframes)
        return cls(
            [*first.paths, *second.paths],
            np.concatenate([first.ints, ints]),
            np.concatenate([first.avg_fps, second.avg_fps]),
            codecs,
            {k: np.concatenate([first.deltas[k], second.deltas[k]]) for k in _DELTA_DTYPES},
            np.concatenate([first.keyframes, second.keyframes]),
        )

    def metas(self) -> Iterator[VideoMeta]:
        return (self.meta(row) for row in range(len(self.paths)))

    def nbytes(self) -> int:
        arrays = [self.ints, self.avg_fps, self.keyframes, *self.deltas.values()]
        # a str object (49 B + text) and a list slot (8 B) and a dict slot (~100 B) per path
        path_bytes = sum(sys.getsizeof(path) + 8 for path in self.paths)
        return sum(a.nbytes for a in arrays) + path_bytes + sys.getsizeof(self.rows)

    # -- on-disk form -------------------------------------------------------------------------

    def save(self, file: Path) -> None:
        """Write atomically: a temporary file in the same folder, then os.replace."""
        file.parent.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, Any] = {
            "version": np.array(_CACHE_VERSION),
            "columns": _join_strings(list(_COLUMNS)),
            "paths": _join_strings(self.paths),
            "codecs": _join_strings(self.codecs),
            "ints": self.ints,
            "avg_fps": self.avg_fps,
            "keyframes": self.keyframes,
            **{f"deltas{kind}": array for kind, array in self.deltas.items()},
        }
        fd, temp = tempfile.mkstemp(prefix=f".{file.name}.", suffix=".tmp", dir=file.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                np.savez(handle, allow_pickle=False, **arrays)
            os.replace(temp, file)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise

    @classmethod
    def load(cls, file: Path) -> _Table:
        """Read a table written by :meth:`save`; ValueError if it is not one."""
        with np.load(file, allow_pickle=False) as data:
            if int(data["version"]) != _CACHE_VERSION:
                raise ValueError(f"cache format {int(data['version'])} != {_CACHE_VERSION}")
            if _split_strings(data["columns"]) != list(_COLUMNS):
                raise ValueError("cache columns differ from this fastvid version's")
            table = cls(
                _split_strings(data["paths"]),
                data["ints"],
                data["avg_fps"],
                _split_strings(data["codecs"]),
                {kind: data[f"deltas{kind}"] for kind in _DELTA_DTYPES},
                data["keyframes"],
            )
        table._validate()
        return table

    def _validate(self) -> None:
        """ValueError unless every row's offsets lie inside its buffers (a damaged cache)."""
        rows = len(self.paths)
        if self.ints.shape != (rows, len(_COLUMNS)) or self.avg_fps.shape != (rows,):
            raise ValueError("cache arrays have inconsistent shapes")
        if self.ints.dtype != np.int64 or self.keyframes.dtype != np.int32:
            raise ValueError("cache arrays have unexpected dtypes")
        column = {name: self.ints[:, index] for name, index in _C.items()}
        if ((column["codec"] < 0) | (column["codec"] >= len(self.codecs))).any():
            raise ValueError("cache rows name unknown codecs")
        kf_end = column["kf_offset"] + column["kf_count"]
        if ((column["kf_offset"] < 0) | (kf_end > len(self.keyframes))).any():
            raise ValueError("cache keyframe offsets are out of range")
        kinds = column["pts_kind"]
        if ((kinds < 0) | (kinds > max(_DELTA_DTYPES))).any():
            raise ValueError("cache rows have unknown timestamp encodings")
        for kind, buffer in self.deltas.items():
            if buffer.dtype != _DELTA_DTYPES[kind]:
                raise ValueError("cache timestamp deltas have unexpected dtypes")
            mine = kinds == kind
            end = column["pts_offset"][mine] + column["num_frames"][mine] - 1
            if (column["pts_offset"][mine] < 0).any() or (end > len(buffer)).any():
                raise ValueError("cache timestamp offsets are out of range")


def _gather(
    buffer: np.ndarray, starts: np.ndarray, lengths: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate ``buffer[start : start + length]`` segments; return it and the new starts."""
    new_starts = np.zeros(len(lengths), dtype=np.int64)
    np.cumsum(lengths[:-1], out=new_starts[1:])
    total = int(lengths.sum())
    # position k of the output comes from starts[i] + (k - new_starts[i]) for its segment i
    shift = np.repeat(starts - new_starts, lengths)
    return buffer[np.arange(total, dtype=np.int64) + shift], new_starts


def _join_strings(strings: list[str]) -> np.ndarray:
    return np.frombuffer("\0".join(strings).encode("utf-8", "surrogateescape"), dtype=np.uint8)


def _split_strings(array: np.ndarray) -> list[str]:
    text = array.tobytes().decode("utf-8", "surrogateescape")
    return text.split("\0") if text else []


# --------------------------------------------------------------------------------------------
# The index


def default_cache_dir() -> Path:
    """Where :meth:`VideoIndex.build` caches probes unless told otherwise.

    ``$FASTVID_CACHE_DIR/index`` if ``FASTVID_CACHE_DIR`` is set, else
    ``$XDG_CACHE_HOME/fastvid/index``, else ``~/.cache/fastvid/index``.
    """
    if os.environ.get("FASTVID_CACHE_DIR"):
        return Path(os.environ["FASTVID_CACHE_DIR"]).expanduser() / "index"
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join("~", ".cache")
    return Path(base).expanduser() / "fastvid" / "index"


# Fewer files than this are probed in this process. Starting a pool costs ~0.1-0.3 s and a
# probe ~3-6 ms per 300-frame file (benchmarks/index_scale.py), so smaller pools do not pay off.
_INLINE_BELOW = 64


class VideoIndex:
    """The :class:`VideoMeta` of many videos, compactly stored, with the files that failed.

    Build one with :meth:`build`. Look videos up by path (absolute or relative to the current
    folder); iterate to get every :class:`VideoMeta` in build order.

    Attributes:
        errors: ``{path: reason}`` for every file that could not be probed.
    """

    def __init__(self, table: _Table, errors: Mapping[str, str] | None = None) -> None:
        self._table = table
        self._errors = dict(errors or {})
        self.errors: Mapping[str, str] = types.MappingProxyType(self._errors)

    @classmethod
    def build(
        cls,
        paths: Sequence[PathLike],
        *,
        cache_dir: PathLike | None = None,
        cache: bool = True,
        num_workers: int | None = None,
        progress: bool = True,
    ) -> VideoIndex:
        """Probe every video (in parallel), reusing cached probes of unchanged files.

        A cached probe is reused when the file's absolute path, size and modification time are
        unchanged; other files are probed and the cache is updated (entries of deleted or
        changed files are dropped). Files that cannot be read never stop the build: they are
        collected in :attr:`errors` and summarised in one logged warning.

        Args:
            paths: Video files. Duplicates are indexed once.
            cache_dir: Folder of the probe cache (one file per dataset folder).
                Default: ``None``, :func:`default_cache_dir`.
            cache: Read and write the probe cache. Default: ``True``.
            num_workers: Processes that probe in parallel; 0 probes in this process.
                Default: ``None``, ``min(8, os.cpu_count())``.
            progress: Show a progress bar (only on a terminal). Default: ``True``.

        Returns:
            The index, in the order of ``paths`` (failed files left out).

        Raises:
            TypeError: ``paths`` is a single string or path, not a sequence.
            ValueError: ``num_workers`` is negative.
        """
        unique = _validate_paths(paths)
        workers = _validate_num_workers(num_workers)
        cache_file = None
        if cache:
            folder = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
            cache_file = folder / f"{_dataset_key(unique)}.npz"
        cached = _load_cache(cache_file) if cache_file is not None else None

        hits: dict[str, int] = {}
        to_probe: list[str] = []
        for path in unique:
            row = cached.rows.get(path) if cached is not None else None
            if cached is not None and row is not None and _unchanged(path, cached.ints[row]):
                hits[path] = row
            else:
                to_probe.append(path)

        probed, errors = _probe_all(to_probe, workers=workers, progress=progress)
        if errors:
            first = next(iter(errors.items()))
            logger.warning(
                "could not read %d of %d videos (see VideoIndex.errors); first: %s: %s",
                len(errors),
                len(unique),
                *first,
            )

        table = _assemble(unique, cached, hits, probed)
        if cache_file is not None:
            _update_cache(cache_file, cached, table, probed, unique)
        return cls(table, {path: errors[path] for path in unique if path in errors})

    @classmethod
    def from_metas(
        cls, metas: Iterable[VideoMeta], *, errors: Mapping[str, str] | None = None
    ) -> VideoIndex:
        """An index of metas you already have (tests, benchmarks, custom probing).

        Args:
            metas: The videos; a repeated path keeps the first.
            errors: ``{path: reason}`` of files that failed. Default: ``None``, none.

        Returns:
            The index, in the order of ``metas``.
        """
        seen: set[str] = set()

        def first_of_each_path() -> Iterator[VideoMeta]:
            for meta in metas:  # a generator: 100k metas are never all held at once
                if meta.path not in seen:
                    seen.add(meta.path)
                    yield meta

        return cls(_Table.from_metas(first_of_each_path()), errors)

    def meta(self, path: PathLike) -> VideoMeta:
        """The metadata of one video.

        Args:
            path: The file, as given to :meth:`build` or any path naming the same location.

        Returns:
            Its :class:`VideoMeta` (a fresh object; the arrays are read-only).

        Raises:
            VideoProbeError: The file was in the build but could not be read.
            KeyError: The file is not in this index.
        """
        key = os.path.abspath(os.fspath(path))
        row = self._table.rows.get(key)
        if row is not None:
            return self._table.meta(row)
        if key in self._errors:
            raise VideoProbeError(key, self._errors[key])
        raise KeyError(f"{key} is not in this index of {len(self)} videos; build it with this file")

    @property
    def paths(self) -> list[str]:
        """The indexed paths (absolute), in build order."""
        return list(self._table.paths)

    def __contains__(self, path: object) -> bool:
        if not isinstance(path, str | os.PathLike):
            return False
        return os.path.abspath(os.fspath(path)) in self._table.rows

    def __len__(self) -> int:
        return len(self._table)

    def __iter__(self) -> Iterator[VideoMeta]:
        return self._table.metas()

    def __repr__(self) -> str:
        return f"VideoIndex({len(self)} videos, {len(self._errors)} errors)"

    def nbytes(self) -> int:
        """Estimated memory held by the index in bytes (arrays, path strings, lookup dict)."""
        errors = sum(sys.getsizeof(k) + sys.getsizeof(v) for k, v in self._errors.items())
        return self._table.nbytes() + errors


# --------------------------------------------------------------------------------------------
# Build helpers


def _validate_paths(paths: Sequence[PathLike]) -> list[str]:
    if isinstance(paths, str | bytes | os.PathLike):
        raise TypeError(
            f"paths must be a sequence of video paths, got a single path {os.fspath(paths)!r}; "
            f"wrap it in a list"
        )
    unique: dict[str, None] = {}
    for path in paths:
        if not isinstance(path, str | os.PathLike):
            raise TypeError(f"every path must be a str or os.PathLike, got {path!r}")
        unique[os.path.abspath(os.fspath(path))] = None
    return list(unique)


def _validate_num_workers(num_workers: int | None) -> int:
    if num_workers is None:
        return min(8, os.cpu_count() or 1)
    if isinstance(num_workers, bool) or not isinstance(num_workers, int):
        raise TypeError(f"num_workers must be an int or None, got {num_workers!r}")
    if num_workers < 0:
        raise ValueError(f"num_workers ({num_workers}) must be >= 0 (0 probes in this process)")
    return num_workers


def _dataset_key(paths: list[str]) -> str:
    """Cache file name: a hash of the folder that holds all the files."""
    if not paths:
        root = ""
    elif len(paths) == 1:
        root = os.path.dirname(paths[0])
    else:
        root = os.path.commonpath(paths)
    return hashlib.sha1(root.encode("utf-8", "surrogateescape")).hexdigest()[:20]


def _unchanged(path: str, row: np.ndarray) -> bool:
    try:
        stat = os.stat(path)
    except OSError:
        return False
    return stat.st_size == row[_C["size"]] and stat.st_mtime_ns == row[_C["mtime_ns"]]


def _load_cache(file: Path) -> _Table | None:
    if not file.exists():
        return None
    try:
        return _Table.load(file)
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, UnicodeDecodeError) as e:
        warnings.warn(
            f"ignoring the unreadable video index cache {file} ({type(e).__name__}: {e}); "
            f"it will be rebuilt",
            RuntimeWarning,
            stacklevel=3,
        )
        return None


def _assemble(
    paths: list[str], cached: _Table | None, hits: dict[str, int], probed: dict[str, VideoMeta]
) -> _Table:
    """The table of ``paths`` (in order, failed ones left out) from cache hits and new probes."""
    if cached is None or not hits:
        return _Table.from_metas(probed[path] for path in paths if path in probed)
    if not probed and list(hits.values()) == list(range(len(cached))):
        return cached  # the common second run: the same files, none changed
    new = _Table.from_metas(probed[path] for path in paths if path in probed)
    both = _Table.concat(cached.select(list(hits.values())), new)
    order = [both.rows[path] for path in paths if path in both.rows]
    return both if order == list(range(len(both))) else both.select(order)


def _update_cache(
    file: Path,
    old: _Table | None,
    table: _Table,
    probed: dict[str, VideoMeta],
    requested: list[str],
) -> None:
    """Store this build's entries plus the old entries of other files that are unchanged.

    Nothing is written when nothing was probed and no old entry went stale.
    """
    if old is table:
        return
    others: list[int] = []
    stale = old is None
    if old is not None:
        wanted = set(requested)
        for path, row in old.rows.items():
            if path in wanted:
                stale = stale or path not in table.rows  # changed and now unreadable
            elif _unchanged(path, old.ints[row]):
                others.append(row)
            else:
                stale = True  # deleted or changed: drop it
    if not probed and not stale:
        return
    keep = _Table.concat(table, old.select(others)) if old is not None and others else table
    try:
        keep.save(file)
    except OSError as err:
        warnings.warn(
            f"could not write the video index cache {file} ({err}); the next build will probe "
            f"again. Set cache_dir= or FASTVID_CACHE_DIR to a writable folder",
            RuntimeWarning,
            stacklevel=3,
        )


def _probe_all(
    paths: list[str], *, workers: int, progress: bool
) -> tuple[dict[str, VideoMeta], dict[str, str]]:
    probed: dict[str, VideoMeta] = {}
    errors: dict[str, str] = {}
    if not paths:
        return probed, errors
    show = progress and sys.stderr.isatty()
    with tqdm(total=len(paths), desc="probing videos", unit="video", disable=not show) as bar:
        if workers > 0 and len(paths) >= _INLINE_BELOW:
            try:
                _probe_in_pool(paths, workers, probed, errors, bar)
            except (BrokenProcessPool, OSError, RuntimeError) as err:
                warnings.warn(
                    f"parallel probing failed ({type(err).__name__}: {err}); probing the "
                    f"remaining videos in this process (num_workers=0 skips the pool)",
                    RuntimeWarning,
                    stacklevel=4,
                )
        remaining = [path for path in paths if path not in probed and path not in errors]
        _collect(remaining, map(_probe_or_reason, remaining), probed, errors, bar)
    return probed, errors


def _probe_in_pool(
    paths: list[str],
    workers: int,
    probed: dict[str, VideoMeta],
    errors: dict[str, str],
    bar: Any,
) -> None:
    chunk = max(1, min(32, len(paths) // (workers * 8)))
    with warnings.catch_warnings():
        # Python >= 3.12 warns that fork() in a multi-threaded process may deadlock; the
        # workers only demux with FFmpeg and never touch the parent's threads' state.
        warnings.filterwarnings("ignore", ".*fork.*", DeprecationWarning)
        with ProcessPoolExecutor(workers, mp_context=_pool_context()) as pool:
            _collect(paths, pool.map(_probe_or_reason, paths, chunksize=chunk), probed, errors, bar)


def _collect(
    paths: list[str],
    results: Iterable[VideoMeta | str],
    probed: dict[str, VideoMeta],
    errors: dict[str, str],
    bar: Any,
) -> None:
    for path, result in zip(paths, results, strict=True):
        if isinstance(result, str):
            errors[path] = result
        else:
            probed[path] = result
        bar.update(1)


def _pool_context() -> Any:
    # fork where it exists: workers start instantly, and a user script without an
    # `if __name__ == "__main__":` guard is not re-run in every worker (spawn/forkserver do).
    if "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()
