"""Generate small, deterministic test videos whose frames carry their own index.

Every frame ``i`` has ``i`` stamped in its top band (:func:`~fastvid.testing.stamp_frame_index`),
so a test can decode any frame and check which one it got with
:func:`~fastvid.testing.read_frame_index`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal, cast

import av
import numpy as np

from fastvid._validate import check_choice, check_int, check_int_pair
from fastvid.testing._audio import AUDIO_CODECS, AUDIO_LAYOUTS, AudioTrack
from fastvid.testing._content import CONTENT, Render
from fastvid.testing._formats import (
    CONTAINERS,
    MIN_BIT_RATE,
    Codec,
    CodecSpec,
    ContainerSpec,
    available_codecs,
    codec_spec,
    container_extension,
)
from fastvid.testing._packed import BFramePacker
from fastvid.testing._stamp import MAX_INDEX, stamp_band_height, stamp_frame_index

__all__ = ["available_codecs", "container_extension", "make_video"]

Content = Literal["textured", "flat", "motion"]


_ROTATIONS = (0, 90, 180, 270, -90, -180, -270)
_MIN_SIZE = (64, 48)
_MAX_FPS = 240


# --------------------------------------------------------------------------- validation


def _validate_size(size: tuple[int, int]) -> tuple[int, int]:
    width, height = check_int_pair("size", size, what="a (width, height) tuple of ints")
    if width < _MIN_SIZE[0] or height < _MIN_SIZE[1] or width % 2 or height % 2:
        raise ValueError(
            f"size ({width}, {height}) must be even and at least {_MIN_SIZE} (width, height)"
        )
    stamp_band_height(width, height)  # raises if the stamp does not fit
    return width, height


def _validate_fps(fps: int | float | Fraction) -> Fraction:
    if isinstance(fps, bool) or not isinstance(fps, (int, float, Fraction)):
        raise TypeError(f"fps must be an int, float or Fraction, got {type(fps).__name__}")
    if not (0 < fps <= _MAX_FPS) or (isinstance(fps, float) and not math.isfinite(fps)):
        raise ValueError(f"fps ({fps}) must be in (0, {_MAX_FPS}]")
    return Fraction(fps).limit_denominator(1001)


def _validate_duration(duration: float) -> float:
    if isinstance(duration, bool) or not isinstance(duration, (int, float, Fraction)):
        raise TypeError(f"duration must be a number of seconds, got {type(duration).__name__}")
    if not (0 < duration < math.inf):
        raise ValueError(f"duration ({duration}) must be a positive, finite number of seconds")
    return float(duration)


def _validate_motion(motion: tuple[float, float]) -> tuple[float, float]:
    if (
        not isinstance(motion, (tuple, list))
        or len(motion) != 2
        or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in motion)
        or not all(math.isfinite(v) for v in motion)
    ):
        raise ValueError(f"motion ({motion!r}) must be a (dx, dy) tuple of finite px/frame")
    return float(motion[0]), float(motion[1])


def _validate_optional_positive(name: str, value: int | None) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int or None, got {type(value).__name__}")
    if value <= 0:
        raise ValueError(f"{name} ({value}) must be > 0 or None")


def _validate_container(path: Path, *, vfr: bool, rotation: int) -> ContainerSpec:
    ext = path.suffix.lower()
    if ext not in CONTAINERS:
        raise ValueError(
            f"path {str(path)!r} has extension {ext!r}; supported containers: {sorted(CONTAINERS)}"
        )
    spec = CONTAINERS[ext]
    if vfr and spec.time_base is None:
        raise ValueError(
            f"vfr=True needs a container with per-frame timestamps; {ext!r} has a fixed rate, "
            f"use one of {sorted(e for e, c in CONTAINERS.items() if c.time_base is not None)}"
        )
    if rotation and not spec.rotation:
        raise ValueError(
            f"rotation ({rotation}) needs a container with a display matrix; {ext!r} has none, "
            f"use one of {sorted(e for e, c in CONTAINERS.items() if c.rotation)}"
        )
    return spec


# --------------------------------------------------------------------------- timing


def _frame_times(
    fps: Fraction, duration: float, vfr: bool, rng: np.random.Generator
) -> list[Fraction]:
    """Presentation times (s) of the frames: regular, or with irregular 1x/2x gaps for VFR."""
    interval = 1 / fps
    if not vfr:
        count = max(1, round(duration * fps))
        return [i * interval for i in range(count)]
    steps = rng.integers(1, 3, size=MAX_INDEX + 2)  # one more than allowed: the caller checks
    steps[:2] = (1, 2)  # both gap sizes occur, even in a short clip
    times: list[Fraction] = []
    t = Fraction(0)
    for step in steps.tolist():
        if t >= duration:
            break
        times.append(t)
        t += step * interval
    return times


# --------------------------------------------------------------------------- encoding


def make_video(
    path: str | os.PathLike[str],
    *,
    codec: Codec = "vp9",
    size: tuple[int, int] = (160, 120),
    fps: int | float | Fraction = 30,
    duration: float = 2.0,
    vfr: bool = False,
    seed: int = 0,
    content: Content = "textured",
    motion: tuple[float, float] = (0.0, 0.0),
    rotation: int = 0,
    bitrate: int | None = None,
    gop: int | None = None,
    audio: bool = False,
    audio_channels: int = 1,
    audio_codec: str | None = None,
) -> Path:
    """Write a deterministic test video whose frame ``i`` shows ``i`` in its top band.

    Decode a frame and pass it to :func:`~fastvid.testing.read_frame_index` to learn which frame
    it is. The same arguments give the same decoded pixels.

    Args:
        path: Output file; its extension picks the container (``.mp4``, ``.mov``, ``.mkv``,
            ``.webm``, ``.avi``). Parent folders are created.
        codec: ``"h264"``, ``"hevc"``, ``"mpeg4"``, ``"xvid"``, ``"vp9"``, ``"vp8"`` or
            ``"mjpeg"``. ``"xvid"`` is UCF101's and HMDB51's format: MPEG-4 Part 2 with two
            B-frames per reference frame in Xvid's packed bitstream, FourCC ``XVID``, for
            ``.avi`` (FFmpeg's decoder then outputs timestamps out of order, as on those
            datasets; H.264 with B-frames in ``.avi`` does too). Default: ``"vp9"``.
        size: ``(width, height)`` in pixels, even, at least ``(64, 48)``. Default: ``(160, 120)``.
        fps: Frame rate (the nominal rate when ``vfr``). Default: ``30``.
        duration: Length in seconds; a constant-rate video has ``round(duration * fps)`` frames
            (at most ``MAX_INDEX + 1``). Default: ``2.0``.
        vfr: Variable frame rate: gaps between frames are irregularly 1x or 2x the nominal
            interval (seeded). Needs ``.mp4``/``.mov``/``.mkv``/``.webm``. Default: ``False``.
        seed: Seed (>= 0) for all content (texture, pan, noise, VFR gaps). Default: ``0``.
        content: ``"textured"``: a panning textured scene with sensor noise, like real
            footage; ``"flat"``: smooth gradients (fast to encode and decode, not realistic);
            ``"motion"``: a bright disc moving by ``motion`` px/frame over a still textured
            background, wrapping at the edges. Default: ``"textured"``.
        motion: ``(dx, dy)`` in px/frame: the disc's velocity for ``"motion"``; for
            ``"textured"`` the camera pan (``(0, 0)``: a seeded pan of 1-2 px/frame at up to
            640 px wide); ignored for ``"flat"``. Default: ``(0.0, 0.0)``.
        rotation: Display rotation written to the container's display matrix, in degrees
            counter-clockwise as PyAV's ``VideoFrame.rotation`` reports it (one of 0, ±90,
            ±180, ±270). Pixels are stored unrotated. Default: ``0``.
        bitrate: Target bit rate in bit/s; ``None`` picks one per codec and resolution (at
            720p30 textured: H.264 ~2.3, HEVC ~1.7, MPEG-4 ~4.1, VP9 ~2.9, VP8 ~2.9, MJPEG ~22
            Mbit/s; at least 0.3 Mbit/s). VP9 (realtime mode) overshoots noisy content by up to
            2x; MJPEG's rate control is coarse. Default: ``None``.
        gop: Keyframe interval in frames; ``None`` keeps the encoder's default. Default: ``None``.
        audio: Add an audio track (AAC in MP4/MOV, Opus in WebM/MKV, 16-bit PCM in AVI) at
            48 kHz: a tone whose pitch steps every 0.1 s, so the time of any stretch can be
            read back (:func:`~fastvid.testing.read_audio_segment`). Default: ``False``.
        audio_channels: 1 (mono) or 2 (stereo: the right channel is ``-1/3`` of the left, so
            averaging the channels differs from taking one). Default: ``1``.
        audio_codec: ``"aac"``, ``"opus"``, ``"vorbis"`` (stereo only), ``"pcm"`` (16-bit)
            or ``"mp3"`` (UCF101's), if the container holds it; ``None``: the container's
            usual one (above). Default: ``None``.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.

    Raises:
        ValueError: For an unknown codec, content or container, a bad size, rate, duration,
            rotation, bit rate or GOP, too many frames for the stamp, or a codec the container
            cannot hold.
    """
    path = Path(path)
    spec = codec_spec(codec)
    width, height = _validate_size(size)
    rate = _validate_fps(fps)
    seconds = _validate_duration(duration)
    check_choice("content", content, sorted(CONTENT))
    velocity = _validate_motion(motion)
    check_choice("rotation", rotation, _ROTATIONS)
    _validate_optional_positive("bitrate", bitrate)
    _validate_optional_positive("gop", gop)
    check_int("seed", seed, minimum=0)
    check_choice("audio_channels", audio_channels, sorted(AUDIO_LAYOUTS))
    if audio_codec is not None:
        check_choice("audio_codec", audio_codec, sorted(AUDIO_CODECS))
        if audio_codec == "vorbis" and audio_channels != 2:
            raise ValueError("audio_codec 'vorbis' needs audio_channels=2 (FFmpeg's encoder)")
    box = _validate_container(path, vfr=vfr, rotation=rotation)
    if codec not in available_codecs():
        raise ValueError(
            f"codec {codec!r} (encoder {spec.encoder}) is not available in this PyAV build; "
            f"available: {available_codecs()}"
        )

    times = _frame_times(rate, seconds, vfr, np.random.default_rng([int(seed), 1]))
    if len(times) > MAX_INDEX + 1:
        raise ValueError(
            f"duration ({duration}) at fps ({fps}) gives {len(times)} frames; the frame-index "
            f"stamp holds at most {MAX_INDEX + 1}"
        )
    render = CONTENT[content](
        np.random.default_rng([int(seed), 0]), width, height, len(times), velocity
    )
    if bitrate is None:
        bitrate = max(MIN_BIT_RATE, round(spec.bits_per_pixel * width * height * float(rate)))
    plan = _EncodePlan(
        codec=spec,
        container=box,
        width=width,
        height=height,
        rate=rate,
        frame_times=times,
        vfr=vfr,
        rotation=rotation,
        bitrate=bitrate,
        gop=gop,
        audio_seconds=seconds if audio else None,
        audio_channels=audio_channels,
        audio_encoder=None if audio_codec is None else AUDIO_CODECS[audio_codec],
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        _encode(path, plan, render)
    except BaseException as error:
        path.unlink(missing_ok=True)
        if isinstance(error, (av.FFmpegError, ValueError)):  # FFmpeg's refusals
            raise ValueError(
                f"cannot write {codec} video to {str(path)!r} ({path.suffix} container): {error}"
            ) from error
        raise
    return path


@dataclass(frozen=True)
class _EncodePlan:
    codec: CodecSpec
    container: ContainerSpec
    width: int
    height: int
    rate: Fraction
    frame_times: list[Fraction]  # seconds, multiples of 1 / rate
    vfr: bool
    rotation: int
    bitrate: int
    gop: int | None
    audio_seconds: float | None  # None: no audio track
    audio_channels: int = 1
    audio_encoder: str | None = None  # None: the container's usual one


def _encode(path: Path, plan: _EncodePlan, render: Render) -> None:
    # bitexact: no random UIDs (Matroska) or version strings, so files are byte-identical.
    with av.open(str(path), "w", options={"fflags": "+bitexact"}) as container:
        stream = cast(
            av.VideoStream,
            container.add_stream(
                plan.codec.encoder, rate=plan.rate, options=dict(plan.codec.options)
            ),
        )
        stream.width, stream.height = plan.width, plan.height
        if plan.codec.tag is not None:
            stream.codec_tag = plan.codec.tag
        if plan.codec.b_frames is not None:
            stream.codec_context.max_b_frames = plan.codec.b_frames
        stream.pix_fmt = plan.codec.pix_fmt
        stream.bit_rate = plan.bitrate
        stream.codec_context.thread_count = 1  # deterministic output
        if plan.gop is not None:
            stream.codec_context.gop_size = plan.gop
        # Frame times are multiples of 1/rate, also for VFR (gaps of 1 or 2 intervals), so the
        # codec counts in frame intervals; a VFR stream gets a fine time base in the file.
        codec_time_base = 1 / plan.rate
        stream.codec_context.time_base = codec_time_base
        if plan.vfr and plan.container.time_base is not None:
            stream.time_base = plan.container.time_base
        if plan.rotation:
            stream.set_display_rotation(plan.rotation)
        packer = BFramePacker(container.mux, stream, codec_time_base) if plan.codec.packed else None
        mux: Callable[[Any], object] = container.mux if packer is None else packer
        audio = AudioTrack(
            container,
            plan.audio_encoder or plan.container.audio_codec,
            plan.audio_seconds,
            plan.audio_channels,
        )
        for i, t in enumerate(plan.frame_times):
            pixels = render(i)
            stamp_frame_index(pixels, i)
            # Convert here, not inside PyAV's encode: its implicit conversion made libx264's
            # output vary from run to run.
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24").reformat(
                format=plan.codec.pix_fmt
            )
            frame.pts = int(t / codec_time_base)
            frame.time_base = codec_time_base
            mux(stream.encode(frame))
            audio.write_until(t)
        mux(stream.encode(None))
        if packer is not None:
            packer.close()
        audio.close()
