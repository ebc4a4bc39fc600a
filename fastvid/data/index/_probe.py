"""Probe one video file: demux it with PyAV (no decoding) into a :class:`VideoMeta`."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from fractions import Fraction
from typing import Any, BinaryIO

import av
import numpy as np

from fastvid.data.index._meta import PathLike, VideoMeta, VideoProbeError
from fastvid.data.index._mp4 import mp4_rotation_of
from fastvid.data.index._sparse import SPARSE_CODECS, SparseFile, mdat_holes
from fastvid.data.storage import Storage, StorageLike, as_storage, is_remote, normalize, redact

Opener = Callable[[], BinaryIO]

__all__ = ["probe_or_reason", "probe_video"]


def probe_video(path: PathLike, *, storage_options: StorageLike = None) -> VideoMeta:
    """Read a video's metadata and every frame timestamp by demuxing it (no decoding).

    Args:
        path: The video file: a path or any fsspec URL (``s3://``, ``https://``, ...).
        storage_options: fsspec options for a URL (or a
            :class:`~fastvid.data.storage.Storage`). Default: ``None``.

    Returns:
        The file's :class:`VideoMeta`.

    Raises:
        VideoProbeError: The file is missing, empty, unreadable, not a video container, has no
            video stream or no video frames. The message names the file and the reason.
    """
    path_str = normalize(path)
    if is_remote(path_str):
        return _probe_remote(path_str, as_storage(storage_options))
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
        return _meta(
            container, path_str, stat.st_size, stat.st_mtime_ns, lambda: open(path_str, "rb")
        )


def _probe_remote(url: str, storage: Storage) -> VideoMeta:
    """Probe an object through ranged reads (credentials never appear in the reasons)."""
    try:
        info = storage.stat(url)
    except FileNotFoundError:
        raise VideoProbeError(url, "the object does not exist") from None
    except OSError as err:
        raise VideoProbeError(url, f"cannot stat it ({redact(str(err))})") from None
    if info.size == 0:
        raise VideoProbeError(url, "the object is empty (0 bytes); re-upload or remove it")
    with contextlib.ExitStack() as stack:
        try:
            handle = stack.enter_context(storage.open(url, known=info))
            holes = mdat_holes(handle, info.size)
            container = None
            if holes:  # MP4/MOV: read the boxes and the first frames, not the samples
                container = av.open(SparseFile(handle, info.size, holes), metadata_errors="ignore")
                stream = container.streams.video[0] if container.streams.video else None
                if stream is None or stream.codec_context.name not in SPARSE_CODECS:
                    container.close()
                    container, holes = None, []
            if container is None:
                container = av.open(handle, metadata_errors="ignore")
            stack.enter_context(container)
        except OSError as err:
            raise VideoProbeError(url, redact(str(err))) from None
        except (av.FFmpegError, UnicodeDecodeError) as err:
            raise VideoProbeError(
                url,
                f"FFmpeg cannot open it as a video container ({redact(str(err))}); is it "
                f"truncated or not a video?",
            ) from None
        return _meta(
            container,
            url,
            info.size,
            info.version_key,
            lambda: storage.open(url, known=info),
            index_keyframes=bool(holes),
        )


def _meta(
    container: Any,
    path_str: str,
    size: int,
    version: int,
    opener: Opener,
    *,
    index_keyframes: bool = False,
) -> VideoMeta:
    """The :class:`VideoMeta` of an open container (keyframes from the demuxer's index when
    the sample data was not read)."""
    if not container.streams.video:
        kinds = [stream.type for stream in container.streams]
        raise VideoProbeError(path_str, f"it has no video stream (streams: {kinds or 'none'})")
    image_format = _still_image_format(container.format.name)
    if image_format is not None:
        raise VideoProbeError(path_str, f"it is a still image ({image_format}), not a video")
    stream = container.streams.video[0]
    key_positions = (
        {entry.pos for entry in stream.index_entries if entry.is_keyframe}
        if index_keyframes
        else None
    )
    pts, keyframes = _demux_timestamps(container, stream, path_str, key_positions)
    time_base = stream.time_base
    if time_base is None:
        raise VideoProbeError(path_str, "its video stream has no time base")
    start_pts = int(stream.start_time) if stream.start_time is not None else 0
    return VideoMeta(
        path=path_str,
        size=size,
        mtime_ns=version,
        codec=stream.codec_context.name,
        width=int(stream.codec_context.width),
        height=int(stream.codec_context.height),
        rotation=_rotation(container, stream, opener, size),
        time_base=Fraction(time_base),
        start_pts=start_pts,
        pts=pts,
        keyframes=keyframes,
        avg_fps=_avg_fps(stream, pts, time_base),
        num_frames=len(pts),
        duration=_pytorchvideo_duration(stream.duration, pts, time_base, start_pts),
        has_audio=bool(container.streams.audio),
        pix_fmt=_pix_fmt(stream),
    )


def probe_or_reason(path: str, storage: StorageLike = None) -> VideoMeta | str:
    """Worker entry point: the meta, or why the file cannot be read. Never raises."""
    try:
        if not is_remote(path):
            return probe_video(path)
        return probe_video(path, storage_options=storage)
    except VideoProbeError as err:
        return err.reason
    except Exception as err:  # a bug or an FFmpeg surprise must not stop a 100k-file build
        return f"unexpected {type(err).__name__} while probing: {err}"


def _demux_timestamps(
    container: Any, stream: Any, path: str, key_positions: set[int] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Sorted pts of every video packet and the sorted positions of keyframes (packets whose
    byte position is in ``key_positions``, when given)."""
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
            is_key.append(
                packet.is_keyframe if key_positions is None else packet.pos in key_positions
            )
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


def _pix_fmt(stream: Any) -> str:
    """The coded stream's pixel format name from the container's codec parameters, or ``""``."""
    for owner in (stream.codec_context, stream):
        try:
            video_format = getattr(owner, "format", None)
        except ValueError:  # a pixel format PyAV does not know
            continue
        name = getattr(video_format, "name", None)
        if name:
            return str(name)
    return ""


def _rotation(container: Any, stream: Any, opener: Opener, size: int) -> int:
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
