"""The codecs and containers ``make_video`` writes, and what each needs."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from functools import cache
from typing import Literal

import av

__all__ = [
    "CODECS",
    "CONTAINERS",
    "MIN_BIT_RATE",
    "Codec",
    "CodecSpec",
    "ContainerSpec",
    "available_codecs",
    "codec_spec",
    "container_extension",
]

Codec = Literal["h264", "hevc", "mpeg4", "xvid", "vp9", "vp8", "mjpeg"]


@dataclass(frozen=True)
class CodecSpec:
    encoder: str
    extension: str
    pix_fmt: str
    bits_per_pixel: float  # default bit rate = this * width * height * fps (with a floor)
    options: dict[str, str] = field(default_factory=dict)
    tag: str | None = None  # FourCC written to the container; None: the muxer's default
    b_frames: int | None = None  # encoder's max_b_frames; None: the encoder's default
    packed: bool = False  # Xvid/DivX "packed bitstream" B-frames (see _packed.py)


CODECS: dict[str, CodecSpec] = {
    # mbtree=0: with macroblock-tree rate control, libx264's ABR output changed from process
    # to process (seen here: 18 different files from 150 identical runs).
    "h264": CodecSpec(
        "libx264", ".mp4", "yuv420p", 0.09, {"preset": "fast", "x264-params": "mbtree=0"}
    ),
    "hevc": CodecSpec(
        "libx265",
        ".mp4",
        "yuv420p",
        0.07,
        {"preset": "fast", "x265-params": "log-level=error:pools=none:frame-threads=1"},
    ),
    "mpeg4": CodecSpec("mpeg4", ".mp4", "yuv420p", 0.15),
    # UCF101/HMDB51's format: MPEG-4 Part 2 with 2 B-frames in Xvid's packed bitstream, in AVI,
    # closed GOPs (Xvid's default; FFmpeg's encoder needs scene-cut detection off for them).
    "xvid": CodecSpec(
        "mpeg4",
        ".avi",
        "yuv420p",
        0.15,
        {"flags": "+cgop", "sc_threshold": "1000000000"},
        tag="XVID",
        b_frames=2,
        packed=True,
    ),
    # realtime/8: 7x faster than good/5 at 720p. qmax 63 (FFmpeg's default caps it at 31)
    # lets the rate control go lower on noisy content; it still overshoots ~2x at 720p, hence
    # the low bits per pixel (0.035 → ~4 Mbit/s at 720p30).
    "vp9": CodecSpec(
        "libvpx-vp9",
        ".webm",
        "yuv420p",
        0.035,
        {"deadline": "realtime", "cpu-used": "8", "qmax": "63"},
    ),
    "vp8": CodecSpec("libvpx", ".webm", "yuv420p", 0.1, {"deadline": "good", "cpu-used": "5"}),
    "mjpeg": CodecSpec("mjpeg", ".avi", "yuvj420p", 0.8),
}
MIN_BIT_RATE = 300_000  # small frames need more bits per pixel for a readable stamp


@dataclass(frozen=True)
class ContainerSpec:
    time_base: Fraction | None  # stream time base for VFR files; None: fixed rate only (no VFR)
    audio_codec: str
    rotation: bool  # can store a display matrix


CONTAINERS: dict[str, ContainerSpec] = {
    ".mp4": ContainerSpec(Fraction(1, 90000), "aac", rotation=True),
    ".mov": ContainerSpec(Fraction(1, 90000), "aac", rotation=True),
    ".mkv": ContainerSpec(Fraction(1, 1000), "libopus", rotation=True),
    ".webm": ContainerSpec(Fraction(1, 1000), "libopus", rotation=True),
    ".avi": ContainerSpec(None, "pcm_s16le", rotation=False),
}


def container_extension(codec: Codec) -> str:
    """Return the default container extension for ``codec``, with the dot.

    ``h264``/``hevc``/``mpeg4`` → ``.mp4``, ``vp9``/``vp8`` → ``.webm``, ``xvid``/``mjpeg`` →
    ``.avi``.

    Args:
        codec: One of ``"h264"``, ``"hevc"``, ``"mpeg4"``, ``"xvid"``, ``"vp9"``, ``"vp8"``,
            ``"mjpeg"``.
    """
    return codec_spec(codec).extension


@cache
def available_codecs() -> tuple[str, ...]:
    """Return the codecs (of ``make_video``'s choices) this PyAV build can encode."""
    found = []
    for name, spec in CODECS.items():
        try:
            av.codec.Codec(spec.encoder, "w")
        except ValueError:  # av.codec.codec.UnknownCodecError
            continue
        found.append(name)
    return tuple(found)


def codec_spec(codec: str) -> CodecSpec:
    if codec not in CODECS:
        raise ValueError(f"codec ({codec!r}) must be one of {sorted(CODECS)}")
    return CODECS[codec]
