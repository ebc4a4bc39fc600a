"""Generate small, deterministic test videos whose frames carry their own index.

Every frame ``i`` has ``i`` stamped in its top band (:func:`~fastvid.testing.stamp_frame_index`),
so a test can decode any frame and check which one it got with
:func:`~fastvid.testing.read_frame_index`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Literal, cast

import av
import numpy as np

from fastvid.testing._stamp import MAX_INDEX, stamp_band_height, stamp_frame_index

__all__ = ["available_codecs", "container_extension", "make_video"]

Codec = Literal["h264", "hevc", "mpeg4", "vp9", "vp8", "mjpeg"]
Content = Literal["textured", "flat", "motion"]


@dataclass(frozen=True)
class _CodecSpec:
    encoder: str
    extension: str
    pix_fmt: str
    bits_per_pixel: float  # default bit rate = this * width * height * fps (with a floor)
    options: dict[str, str] = field(default_factory=dict)


_CODECS: dict[str, _CodecSpec] = {
    # mbtree=0: with macroblock-tree rate control, libx264's ABR output changed from process
    # to process (seen here: 18 different files from 150 identical runs).
    "h264": _CodecSpec(
        "libx264", ".mp4", "yuv420p", 0.09, {"preset": "fast", "x264-params": "mbtree=0"}
    ),
    "hevc": _CodecSpec(
        "libx265",
        ".mp4",
        "yuv420p",
        0.07,
        {"preset": "fast", "x265-params": "log-level=error:pools=none:frame-threads=1"},
    ),
    "mpeg4": _CodecSpec("mpeg4", ".mp4", "yuv420p", 0.15),
    # realtime/8: 7x faster than good/5 at 720p. qmax 63 (FFmpeg's default caps it at 31)
    # lets the rate control go lower on noisy content; it still overshoots ~2x at 720p, hence
    # the low bits per pixel (0.035 → ~4 Mbit/s at 720p30).
    "vp9": _CodecSpec(
        "libvpx-vp9",
        ".webm",
        "yuv420p",
        0.035,
        {"deadline": "realtime", "cpu-used": "8", "qmax": "63"},
    ),
    "vp8": _CodecSpec("libvpx", ".webm", "yuv420p", 0.1, {"deadline": "good", "cpu-used": "5"}),
    "mjpeg": _CodecSpec("mjpeg", ".avi", "yuvj420p", 0.8),
}
_MIN_BIT_RATE = 300_000  # small frames need more bits per pixel for a readable stamp


@dataclass(frozen=True)
class _ContainerSpec:
    time_base: Fraction | None  # stream time base for VFR files; None: fixed rate only (no VFR)
    audio_codec: str
    rotation: bool  # can store a display matrix


_CONTAINERS: dict[str, _ContainerSpec] = {
    ".mp4": _ContainerSpec(Fraction(1, 90000), "aac", rotation=True),
    ".mov": _ContainerSpec(Fraction(1, 90000), "aac", rotation=True),
    ".mkv": _ContainerSpec(Fraction(1, 1000), "libopus", rotation=True),
    ".webm": _ContainerSpec(Fraction(1, 1000), "libopus", rotation=True),
    ".avi": _ContainerSpec(None, "pcm_s16le", rotation=False),
}
_AUDIO_RATE = 48000
_AUDIO_TONE_HZ = 440.0
_ROTATIONS = (0, 90, 180, 270, -90, -180, -270)
_MIN_SIZE = (64, 48)
_MAX_FPS = 240


def container_extension(codec: Codec) -> str:
    """Return the default container extension for ``codec``, with the dot.

    ``h264``/``hevc``/``mpeg4`` → ``.mp4``, ``vp9``/``vp8`` → ``.webm``, ``mjpeg`` → ``.avi``.

    Args:
        codec: One of ``"h264"``, ``"hevc"``, ``"mpeg4"``, ``"vp9"``, ``"vp8"``, ``"mjpeg"``.
    """
    return _spec(codec).extension


@cache
def available_codecs() -> tuple[str, ...]:
    """Return the codecs (of ``make_video``'s choices) this PyAV build can encode."""
    found = []
    for name, spec in _CODECS.items():
        try:
            av.codec.Codec(spec.encoder, "w")
        except ValueError:  # av.codec.codec.UnknownCodecError
            continue
        found.append(name)
    return tuple(found)


def _spec(codec: str) -> _CodecSpec:
    if codec not in _CODECS:
        raise ValueError(f"codec ({codec!r}) must be one of {sorted(_CODECS)}")
    return _CODECS[codec]


# --------------------------------------------------------------------------- validation


def _validate_size(size: tuple[int, int]) -> tuple[int, int]:
    if (
        not isinstance(size, (tuple, list))
        or len(size) != 2
        or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in size)
    ):
        raise TypeError(f"size must be a (width, height) tuple of ints, got {size!r}")
    width, height = int(size[0]), int(size[1])
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


def _validate_choice(name: str, value: object, allowed: Mapping[str, object]) -> None:
    if value not in allowed:
        raise ValueError(f"{name} ({value!r}) must be one of {sorted(allowed)}")


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


def _validate_seed(seed: int) -> None:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"seed ({seed}) must be >= 0")


def _validate_rotation(rotation: int) -> None:
    if rotation not in _ROTATIONS:
        raise ValueError(f"rotation ({rotation!r}) must be one of {_ROTATIONS}")


def _validate_container(path: Path, *, vfr: bool, rotation: int) -> _ContainerSpec:
    ext = path.suffix.lower()
    if ext not in _CONTAINERS:
        raise ValueError(
            f"path {str(path)!r} has extension {ext!r}; supported containers: {sorted(_CONTAINERS)}"
        )
    spec = _CONTAINERS[ext]
    if vfr and spec.time_base is None:
        raise ValueError(
            f"vfr=True needs a container with per-frame timestamps; {ext!r} has a fixed rate, "
            f"use one of {sorted(e for e, c in _CONTAINERS.items() if c.time_base is not None)}"
        )
    if rotation and not spec.rotation:
        raise ValueError(
            f"rotation ({rotation}) needs a container with a display matrix; {ext!r} has none, "
            f"use one of {sorted(e for e, c in _CONTAINERS.items() if c.rotation)}"
        )
    return spec


# --------------------------------------------------------------------------- content

_NOISE_BANK = 8  # distinct sensor-noise frames, cycled in a seeded order
_NOISE_LEVEL = 6  # sensor noise in -6..6 (uniform), added without clipping
_LOW, _HIGH = 8, 247  # content range, so noise never over/underflows uint8


def _interp_matrix(n_out: int, n_in: int, step: float) -> np.ndarray:
    """Return the (n_out, n_in) linear-interpolation matrix sampling at ``i / step``."""
    pos = np.arange(n_out) / step
    lo = np.minimum(pos.astype(np.int64), n_in - 2)
    frac = (pos - lo).astype(np.float32)
    matrix = np.zeros((n_out, n_in), dtype=np.float32)
    rows = np.arange(n_out)
    matrix[rows, lo] = 1 - frac
    matrix[rows, lo + 1] = frac
    return matrix


def _value_noise(rng: np.random.Generator, height: int, width: int, cell: float) -> np.ndarray:
    """Smooth random field (height, width) with features about ``cell`` px, unit std."""
    low = rng.standard_normal((int(height / cell) + 2, int(width / cell) + 2), dtype=np.float32)
    field_ = (
        _interp_matrix(height, low.shape[0], cell)
        @ low
        @ _interp_matrix(width, low.shape[1], cell).T
    )
    return field_ / max(float(field_.std()), 1e-6)


def _texture(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """A colourful, natural-looking (height, width, 3) uint8 texture in [_LOW, _HIGH]."""
    scale = max(height, width) / 256
    luma = np.zeros((height, width), dtype=np.float32)
    for cell, weight in ((96, 1.0), (32, 0.7), (10, 0.5), (3, 0.35)):
        luma += weight * _value_noise(rng, height, width, max(2.0, cell * scale**0.5))
    luma += 0.25 * rng.standard_normal((height, width), dtype=np.float32)  # fine grain
    # Hard-edged regions (shadows, objects) like real footage has.
    luma += 1.2 * (_value_noise(rng, height, width, 40 * scale**0.5) > 0.4)
    luma = (luma - luma.mean()) / max(float(luma.std()), 1e-6)
    tint = np.stack([_value_noise(rng, height, width, 120 * scale**0.5) for _ in range(2)], axis=-1)
    base = rng.uniform(0.6, 1.0, size=3).astype(np.float32)
    rgb = 120 + 45 * luma[..., None] * base + 25 * (tint @ rng.uniform(-1, 1, (2, 3)))
    return np.clip(rgb, _LOW, _HIGH).astype(np.uint8)


class _Noise:
    """Per-frame sensor noise, cycled from a small seeded bank (uint8, added modulo 256)."""

    def __init__(self, rng: np.random.Generator, height: int, width: int) -> None:
        bank = rng.integers(-_NOISE_LEVEL, _NOISE_LEVEL + 1, (_NOISE_BANK, height, width, 3))
        self._bank = bank.astype(np.int8).view(np.uint8)
        self._order = rng.integers(0, _NOISE_BANK, size=MAX_INDEX + 1)

    def add(self, frame: np.ndarray, index: int) -> np.ndarray:
        """Return ``frame + noise`` (frame must lie in [_LOW, _HIGH], so nothing wraps)."""
        return np.add(frame, self._bank[self._order[index]], dtype=np.uint8)


def _bounce(start: float, step: float, span: int, count: int) -> np.ndarray:
    """Integer positions start + step*i, reflected to stay within [0, span]."""
    pos = start + step * np.arange(count)
    if span <= 0:
        return np.zeros(count, dtype=np.int64)
    period = 2 * span
    pos = np.mod(pos, period)
    pos = np.where(pos > span, period - pos, pos)
    return np.rint(pos).astype(np.int64)


_MAX_PAN_SPAN = 480  # px of texture beyond the frame; longer pans bounce back


_Render = Callable[[int], np.ndarray]  # frame number -> (H, W, 3) uint8 content, unstamped


def _textured(
    rng: np.random.Generator, width: int, height: int, count: int, motion: tuple[float, float]
) -> _Render:
    if motion == (0.0, 0.0):
        angle = rng.uniform(0, 2 * np.pi)
        speed = rng.uniform(1.0, 2.0) * max(1.0, width / 640)
        motion = (speed * math.cos(angle), speed * math.sin(angle))
    spans = [min(_MAX_PAN_SPAN, math.ceil(abs(v) * (count - 1))) for v in motion]
    texture = _texture(rng, height + spans[1], width + spans[0])
    xs = _bounce(rng.uniform(0, spans[0]) if spans[0] else 0, motion[0], spans[0], count)
    ys = _bounce(rng.uniform(0, spans[1]) if spans[1] else 0, motion[1], spans[1], count)
    noise = _Noise(rng, height, width)

    def render(i: int) -> np.ndarray:
        crop = texture[ys[i] : ys[i] + height, xs[i] : xs[i] + width]
        return noise.add(crop, i)

    return render


def _flat(
    rng: np.random.Generator, width: int, height: int, count: int, motion: tuple[float, float]
) -> _Render:
    start = rng.uniform(40, 200, size=3).astype(np.float32)
    gx = rng.uniform(-40, 40, size=3).astype(np.float32)
    gy = rng.uniform(-40, 40, size=3).astype(np.float32)
    drift = rng.uniform(-0.5, 0.5, size=3).astype(np.float32)
    x = np.linspace(-1, 1, width, dtype=np.float32)[None, :, None]
    y = np.linspace(-1, 1, height, dtype=np.float32)[:, None, None]
    gradient = gx * x + gy * y

    def render(i: int) -> np.ndarray:
        base = start + drift * ((i % 200) - 100)
        return np.clip(base + gradient, _LOW, _HIGH).astype(np.uint8)

    return render


def _moving_object(
    rng: np.random.Generator, width: int, height: int, count: int, motion: tuple[float, float]
) -> _Render:
    background = (_texture(rng, height, width) * 0.55 + 10).astype(np.uint8)  # dim: object pops
    noise = _Noise(rng, height, width)
    top = stamp_band_height(width, height)
    area_h = height - top
    radius = max(4.0, min(width, area_h) / 7)
    colour = np.array([255, 235, 90], dtype=np.float32)  # bright yellow
    # The path passes near the centre at mid-clip (seeded jitter), so a short clip shows the
    # whole object moving; a long one wraps around the edges, keeping its direction.
    jitter = rng.uniform(-0.15, 0.15, size=2)
    cx0 = width * (0.5 + jitter[0]) - motion[0] * (count - 1) / 2
    cy0 = area_h * (0.5 + jitter[1]) - motion[1] * (count - 1) / 2
    reach = math.ceil(radius) + 1
    offsets = np.arange(-reach, reach + 1)

    def render(i: int) -> np.ndarray:
        frame = noise.add(background, i)
        cx, cy = cx0 + motion[0] * i, cy0 + motion[1] * i
        # Draw with wrap-around so the object never leaves the frame.
        xs = (math.floor(cx) + offsets) % width
        ys = (math.floor(cy) + offsets) % area_h
        dx = math.floor(cx) + offsets - cx
        dy = math.floor(cy) + offsets - cy
        alpha = np.clip(radius + 0.5 - np.hypot(dy[:, None], dx[None, :]), 0, 1)[..., None]
        region = np.ix_(ys + top, xs)
        patch = frame[region].astype(np.float32)
        frame[region] = (patch * (1 - alpha) + np.minimum(colour, _HIGH) * alpha).astype(np.uint8)
        return frame

    return render


_CONTENT: dict[str, Callable[..., _Render]] = {
    "textured": _textured,
    "flat": _flat,
    "motion": _moving_object,
}


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


def _audio_frames(codec_context: av.AudioCodecContext, duration: float) -> Iterator[av.AudioFrame]:
    frame_size = codec_context.frame_size or 1024
    total = round(duration * _AUDIO_RATE)
    fmt = codec_context.format.name
    for start in range(0, total, frame_size):
        n = min(frame_size, total - start)
        t = (start + np.arange(n)) / _AUDIO_RATE
        wave = 0.3 * np.sin(2 * np.pi * _AUDIO_TONE_HZ * t)
        samples = (
            (wave * 32767).astype(np.int16) if fmt.startswith("s16") else wave.astype(np.float32)
        )[None, :]
        frame = av.AudioFrame.from_ndarray(samples, format=fmt, layout="mono")
        frame.sample_rate = _AUDIO_RATE
        frame.pts = start
        frame.time_base = Fraction(1, _AUDIO_RATE)
        yield frame


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
) -> Path:
    """Write a deterministic test video whose frame ``i`` shows ``i`` in its top band.

    Decode a frame and pass it to :func:`~fastvid.testing.read_frame_index` to learn which frame
    it is. The same arguments give the same decoded pixels.

    Args:
        path: Output file; its extension picks the container (``.mp4``, ``.mov``, ``.mkv``,
            ``.webm``, ``.avi``). Parent folders are created.
        codec: ``"h264"``, ``"hevc"``, ``"mpeg4"``, ``"vp9"``, ``"vp8"`` or ``"mjpeg"``.
            Default: ``"vp9"``.
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
        audio: Add a 440 Hz mono sine track (AAC in MP4/MOV, Opus in WebM/MKV, PCM in AVI).
            Default: ``False``.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.

    Raises:
        ValueError: For an unknown codec, content or container, a bad size, rate, duration,
            rotation, bit rate or GOP, too many frames for the stamp, or a codec the container
            cannot hold.
    """
    path = Path(path)
    spec = _spec(codec)
    width, height = _validate_size(size)
    rate = _validate_fps(fps)
    seconds = _validate_duration(duration)
    _validate_choice("content", content, _CONTENT)
    velocity = _validate_motion(motion)
    _validate_rotation(rotation)
    _validate_optional_positive("bitrate", bitrate)
    _validate_optional_positive("gop", gop)
    _validate_seed(seed)
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
    render = _CONTENT[content](
        np.random.default_rng([int(seed), 0]), width, height, len(times), velocity
    )
    if bitrate is None:
        bitrate = max(_MIN_BIT_RATE, round(spec.bits_per_pixel * width * height * float(rate)))
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
    codec: _CodecSpec
    container: _ContainerSpec
    width: int
    height: int
    rate: Fraction
    frame_times: list[Fraction]  # seconds, multiples of 1 / rate
    vfr: bool
    rotation: int
    bitrate: int
    gop: int | None
    audio_seconds: float | None  # None: no audio track


def _encode(path: Path, plan: _EncodePlan, render: _Render) -> None:
    # bitexact: no random UIDs (Matroska) or version strings, so files are byte-identical.
    with av.open(str(path), "w", options={"fflags": "+bitexact"}) as container:
        stream = cast(
            av.VideoStream,
            container.add_stream(
                plan.codec.encoder, rate=plan.rate, options=dict(plan.codec.options)
            ),
        )
        stream.width, stream.height = plan.width, plan.height
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
        audio = _AudioTrack(container, plan.container.audio_codec, plan.audio_seconds)
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
            container.mux(stream.encode(frame))
            audio.write_until(t)
        container.mux(stream.encode(None))
        audio.close()


class _AudioTrack:
    """A mono sine tone, encoded in step with the video so the muxer can interleave."""

    def __init__(
        self, container: av.container.OutputContainer, codec: str, seconds: float | None
    ) -> None:
        self._container = container
        self._seconds = seconds or 0.0
        self._stream = (
            None
            if seconds is None
            else cast(av.AudioStream, container.add_stream(codec, rate=_AUDIO_RATE, layout="mono"))
        )
        self._frames: Iterator[av.AudioFrame] | None = None  # the codec opens with the 1st packet
        self._pending: av.AudioFrame | None = None

    def write_until(self, seconds: float | Fraction) -> None:
        """Encode the tone up to ``seconds``."""
        if self._stream is None:
            return
        if self._frames is None:
            self._frames = _audio_frames(self._stream.codec_context, self._seconds)
            self._pending = next(self._frames, None)
        while self._pending is not None and (self._pending.pts or 0) <= seconds * _AUDIO_RATE:
            self._container.mux(self._stream.encode(self._pending))
            self._pending = next(self._frames, None)

    def close(self) -> None:
        """Encode the rest of the tone and flush the encoder."""
        if self._stream is None:
            return
        self.write_until(math.inf)
        self._container.mux(self._stream.encode(None))
