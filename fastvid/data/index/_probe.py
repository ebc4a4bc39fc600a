"""Probe one video file: demux it with PyAV (no decoding) into a :class:`VideoMeta`."""

from __future__ import annotations

import contextlib
import dataclasses
import os
from fractions import Fraction
from typing import Any

import av
import numpy as np

from fastvid.data.index._coded_size import keyframe_size
from fastvid.data.index._fingerprint import head_tail_fingerprint
from fastvid.data.index._meta import PathLike, VideoMeta, VideoProbeError
from fastvid.data.index._order import decoder_order, invents_timestamps
from fastvid.data.index._rotation import Opener, rotation
from fastvid.data.index._sparse import SPARSE_CODECS, SparseFile, mdat_holes
from fastvid.data.storage import Storage, StorageLike, as_storage, is_remote, normalize, redact
from fastvid.errors import exception_kind

__all__ = ["probe_or_error", "probe_video"]


def probe_video(
    path: PathLike, *, fingerprint: bool = False, storage_options: StorageLike = None
) -> VideoMeta:
    """Read a video's metadata and every frame timestamp by demuxing it (no decoding).

    Args:
        path: The video file: a path or any fsspec URL (``s3://``, ``https://``, ...).
        fingerprint: Also hash a local file's first and last 64 KiB into
            :attr:`VideoMeta.fingerprint` (for a URL the object's version id or ETag plays
            that part). Default: ``False`` (0).
        storage_options: fsspec options for a URL (or a
            :class:`~fastvid.data.storage.Storage`). Default: ``None``.

    Returns:
        The file's :class:`VideoMeta`.

    Raises:
        VideoProbeError: The file is missing, empty, unreadable, not a video container, has no
            video stream, no decoder for it or no video frames, two of its frames share a
            timestamp, or (VP8/VP9) a keyframe is coded at another size than the stream
            states. The message names the file and the reason.
    """
    path_str = normalize(path)
    if is_remote(path_str):
        return _probe_remote(path_str, as_storage(storage_options))
    try:
        stat = os.stat(path_str)
    except FileNotFoundError:
        raise VideoProbeError(path_str, "the file does not exist", "missing") from None
    except OSError as err:
        raise VideoProbeError(
            path_str, f"cannot stat it ({err.strerror})", exception_kind(err, "unreadable")
        ) from None
    if not os.path.isfile(path_str):
        raise VideoProbeError(path_str, "it is not a regular file", "not_a_file")
    if stat.st_size == 0:
        raise VideoProbeError(
            path_str, "the file is empty (0 bytes); re-download or remove it", "empty"
        )
    try:
        container = av.open(path_str, metadata_errors="ignore")
    except PermissionError:
        raise VideoProbeError(
            path_str, "permission denied; check the file's permissions", "permission"
        ) from None
    except (av.FFmpegError, OSError, UnicodeDecodeError) as err:
        detail = getattr(err, "strerror", None) or str(err)
        raise VideoProbeError(
            path_str,
            f"FFmpeg cannot open it as a video container ({detail}); "
            f"is it truncated or not a video?",
            "not_a_video",
        ) from None
    with container:
        meta = _meta(
            container,
            path_str,
            stat.st_size,
            stat.st_mtime_ns,
            lambda: open(path_str, "rb"),  # noqa: SIM115
        )
    if fingerprint:
        meta = dataclasses.replace(meta, fingerprint=_fingerprint(path_str))
    return meta


def _probe_remote(url: str, storage: Storage) -> VideoMeta:
    """Probe an object through ranged reads (credentials never appear in the reasons)."""
    try:
        info = storage.stat(url)
    except FileNotFoundError:
        raise VideoProbeError(url, "the object does not exist", "missing") from None
    except OSError as err:
        raise VideoProbeError(
            url, f"cannot stat it ({redact(str(err))})", exception_kind(err, "unreadable")
        ) from None
    if info.size == 0:
        raise VideoProbeError(url, "the object is empty (0 bytes); re-upload or remove it", "empty")
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
            reason = redact(str(err))
            raise VideoProbeError(url, reason, exception_kind(err, "unreadable")) from None
        except (av.FFmpegError, UnicodeDecodeError) as err:
            raise VideoProbeError(
                url,
                f"FFmpeg cannot open it as a video container ({redact(str(err))}); is it "
                f"truncated or not a video?",
                "not_a_video",
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
        raise VideoProbeError(
            path_str, f"it has no video stream (streams: {kinds or 'none'})", "no_video_stream"
        )
    image_format = _still_image_format(container.format.name)
    if image_format is not None:
        raise VideoProbeError(
            path_str, f"it is a still image ({image_format}), not a video", "still_image"
        )
    stream = container.streams.video[0]
    if stream.codec_context is None:  # e.g. an MP4 whose sample description is lost
        raise VideoProbeError(
            path_str,
            "FFmpeg has no decoder for its video stream (the codec is unknown or its "
            "description in the container is damaged)",
            "unsupported_codec",
        )
    key_positions = (
        {entry.pos for entry in stream.index_entries if entry.is_keyframe}
        if index_keyframes
        else None
    )
    audio = container.streams.audio[0] if container.streams.audio else None
    # PyTorchVideo reads the last audio timestamp only when neither stream has a duration
    audio_pts = audio if audio and stream.duration is None and audio.duration is None else None
    pts, keyframes, audio_last, coded = _demux_timestamps(
        container, stream, path_str, audio_pts, key_positions
    )
    _check_coded_size(stream, coded, path_str)
    order = np.zeros(0, dtype=np.int32)  # decoder output order = pts order
    if invents_timestamps(container, stream):  # AVI with B-frames: decoded once (_order.py)
        pts, keyframes, order = decoder_order(container, stream, pts, keyframes)
    time_base = stream.time_base
    if time_base is None:
        raise VideoProbeError(path_str, "its video stream has no time base", "not_a_video")
    start_pts = int(stream.start_time) if stream.start_time is not None else 0
    duration = _pytorchvideo_duration(stream.duration, pts, time_base, start_pts)
    return VideoMeta(
        path=path_str,
        size=size,
        mtime_ns=version,
        codec=stream.codec_context.name,
        width=int(stream.codec_context.width),
        height=int(stream.codec_context.height),
        rotation=rotation(container, stream, opener, size),
        time_base=Fraction(time_base),
        start_pts=start_pts,
        pts=pts,
        keyframes=keyframes,
        avg_fps=_avg_fps(stream, pts, time_base),
        num_frames=len(pts),
        duration=duration,
        has_audio=audio is not None,
        pix_fmt=_pix_fmt(stream),
        duration_with_audio=_duration_with_audio(duration, stream, audio, audio_last),
        output_order=order,
    )


def probe_or_error(
    path: str, fingerprint: bool = False, storage: StorageLike = None
) -> VideoMeta | VideoProbeError:
    """Worker entry point: the meta, or the error saying why the file cannot be read (with its
    kind; it pickles back to the parent). Never raises."""
    try:
        if not is_remote(path):
            return probe_video(path, fingerprint=fingerprint)
        return probe_video(path, storage_options=storage)
    except VideoProbeError as err:
        return err
    except Exception as err:  # a bug or an FFmpeg surprise must not stop a 100k-file build
        return VideoProbeError(
            path, f"unexpected {type(err).__name__} while probing: {redact(str(err))}"
        )


def _fingerprint(path: str) -> int:
    try:
        return head_tail_fingerprint(path)
    except OSError as err:
        raise VideoProbeError(
            path, f"cannot read it to fingerprint it ({err})", exception_kind(err, "unreadable")
        ) from None


_CodedSizes = list[tuple[int, tuple[int, int]]]  # (pts, (width, height)) per keyframe


def _demux_timestamps(
    container: Any,
    stream: Any,
    path: str,
    audio: Any = None,
    key_positions: set[int] | None = None,
) -> tuple[np.ndarray, np.ndarray, int | None, _CodedSizes]:
    """Sorted pts of every video packet, the sorted positions of keyframes (packets whose byte
    position is in ``key_positions``, when given), the largest pts at or after the start of
    ``audio``'s packets (``None``: no ``audio`` or no packets), and (VP8/VP9) the
    ``(pts, (width, height))`` each keyframe codes."""
    read_size = stream.codec_context.name in ("vp8", "vp9")
    coded: _CodedSizes = []
    timestamps: list[int] = []
    is_key: list[bool] = []
    cut: list[bool] = []
    audio_last: int | None = None
    audio_start = 0 if audio is None or audio.start_time is None else int(audio.start_time)
    streams = (stream,) if audio is None else (stream, audio)
    try:
        for packet in container.demux(*streams):
            if audio is not None and packet.stream.index == audio.index:
                if packet.pts is not None and packet.pts >= audio_start:
                    audio_last = max(packet.pts, audio_last or packet.pts)
                continue
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
            if read_size and packet.is_keyframe:
                size = keyframe_size(stream.codec_context.name, bytes(packet)[:64])
                if size is not None:
                    coded.append((pts, size))
            cut.append(packet.is_corrupt)
    except av.FFmpegError as err:
        detail = getattr(err, "strerror", None) or str(err)
        raise VideoProbeError(
            path,
            f"demuxing failed after {len(timestamps)} frames ({detail}); is it corrupt?",
            "truncated",
        ) from None
    # A file cut mid-frame (a truncated AVI, say) ends in a short packet the demuxer flags as
    # corrupt: its frame cannot be decoded whole, so it is not counted. Earlier corrupt packets
    # stay: decoders count them, and positions must match theirs.
    while cut and cut[-1]:
        cut.pop()
        timestamps.pop()
        is_key.pop()
    if not timestamps:
        raise VideoProbeError(path, "its video stream has no frames", "no_video_stream")
    raw = np.asarray(timestamps, dtype=np.int64)
    order = np.argsort(raw, kind="stable")
    pts = raw[order]
    repeated = np.flatnonzero(np.diff(pts) == 0)
    if repeated.size:  # decoders and cuts find a frame by its pts: two frames cannot share one
        raise VideoProbeError(
            path,
            f"{repeated.size} of its {len(pts)} video frames repeat another frame's timestamp "
            f"(first: pts {int(pts[repeated[0]])}, time base {stream.time_base}): its timestamps "
            "are damaged; remux or re-encode the file",
            "timestamps",
        )
    keyframes = np.flatnonzero(np.asarray(is_key, dtype=bool)[order]).astype(np.int32)
    pts.flags.writeable = False
    keyframes.flags.writeable = False
    return pts, keyframes, audio_last, coded


def _check_coded_size(stream: Any, coded: _CodedSizes, path: str) -> None:
    """Refuse a VP8/VP9 file with a keyframe coded at another size than the stream states (a
    damaged header or a size change mid-stream): DALI's decoder allocates frames of the stated
    size and would return wrong pixels, silently."""
    stated = (int(stream.codec_context.width), int(stream.codec_context.height))
    for pts, size in coded:
        if stated[0] > 0 and size != stated:
            raise VideoProbeError(
                path,
                f"its header is damaged or its frame size changes: the stream states "
                f"{stated[0]}x{stated[1]} frames but its keyframe at pts {pts} is coded at "
                f"{size[0]}x{size[1]}; fastvid needs one frame size per file: re-encode it",
                "damaged_header",
            )


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


def _duration_with_audio(
    video: Fraction | None, stream: Any, audio: Any, audio_last: int | None
) -> Fraction | None:
    """PyTorchVideo's ``EncodedVideoPyAV.duration`` with ``decode_audio=True``.

    Its rule: the audio stream's header duration (else, when the video's is missing too, the
    last audio frame's pts) in seconds from the audio start; the larger of that and the
    video's; the video's alone if the audio has none, the audio's alone if only the video's
    header duration is missing (PyTorchVideo then ignores the video's decoded length).
    """
    if audio is None or audio.time_base is None:
        return video
    audio_pts = audio.duration if audio.duration is not None else audio_last
    if audio_pts is None:
        return video
    start = int(audio.start_time) if audio.start_time is not None else 0
    seconds = int(audio_pts - start) * Fraction(audio.time_base)
    if stream.duration is None and audio.duration is not None:
        return seconds  # PyTorchVideo: no video header duration, so the audio's alone
    return seconds if video is None else max(video, seconds)


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
