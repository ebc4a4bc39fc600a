"""Per-file decoder routing: NVDEC where it can decode the file, PyAV on the CPU elsewhere.

Each video goes to one decoder, chosen from its codec, pixel format (bit depth, chroma) and
size, and recorded per file:

* ``"nvdec"``: DALI's ``mixed`` decoder on the GPU, fed a GOP-range cut;
* ``"dali_cpu"``: DALI's CPU decoder (VP8/VP9/MJPEG), fed a GOP-range cut (``cpu_decoder="dali"``);
* ``"pyav"``: PyAV (FFmpeg) in a worker process, any codec FFmpeg reads.

The capability table for NVDEC comes from DALI 2.4's sources and NVIDIA's NVDEC support matrix:
DALI's mixed decoder takes H.264, HEVC, VP8, VP9, AV1 and MPEG-4 (not MJPEG), and hands NVDEC an
8-bit 4:2:0 (NV12) surface only; NVDEC has per-codec minimum and maximum frame sizes. A table
can be wrong for a given GPU or driver, so on the GPU each (codec, pixel format) class the table
accepts is *proved* at start-up by decoding one real frame of one of its files on NVDEC; a class
that fails goes to PyAV with DALI's reason. Batches mix routes freely: the loader runs one DALI
graph per route and stitches the clips back in order.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol

__all__ = [
    "DALI_CPU",
    "NVDEC",
    "DecoderCaps",
    "Routing",
    "VideoFormat",
    "canonical_codec",
    "route_videos",
]

logger = logging.getLogger(__name__)

Decoder = Literal["nvdec", "dali_cpu", "pyav"]

# FFmpeg decoder names -> codec names (PyAV reports the decoder that opened the stream)
_CODEC_ALIASES = {
    "libdav1d": "av1",
    "libaom-av1": "av1",
    "av1_cuvid": "av1",
    "libvpx": "vp8",
    "libvpx-vp9": "vp9",
    "h264_cuvid": "h264",
    "hevc_cuvid": "hevc",
    "mpeg4_cuvid": "mpeg4",
}

_EIGHT_BIT_420 = frozenset({"yuv420p", "yuvj420p", "nv12", "nv21"})


def canonical_codec(name: str) -> str:
    """The codec a decoder name stands for (``"libdav1d"`` -> ``"av1"``)."""
    return _CODEC_ALIASES.get(name, name)


class VideoFormat(Protocol):
    """What routing reads from a video's metadata (``fastvid.data.index.VideoMeta``)."""

    @property
    def codec(self) -> str: ...

    @property
    def width(self) -> int: ...

    @property
    def height(self) -> int: ...


@dataclass(frozen=True)
class DecoderCaps:
    """What a decoder accepts.

    Attributes:
        name: The decoder.
        codecs: Codec names it decodes.
        pix_fmts: Pixel formats it decodes (empty: any).
        min_size: Per codec, the smallest ``(width, height)``.
        max_size: Per codec, the largest ``(width, height)``.
    """

    name: Decoder
    codecs: frozenset[str]
    pix_fmts: frozenset[str] = frozenset()
    min_size: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    max_size: Mapping[str, tuple[int, int]] = field(default_factory=dict)

    def refuses(self, video: VideoFormat) -> str | None:
        """Why this decoder cannot take ``video``, or ``None`` if it can."""
        codec = canonical_codec(video.codec)
        if codec not in self.codecs:
            return (
                f"{self.name} does not decode {codec} (it takes {', '.join(sorted(self.codecs))})"
            )
        pix_fmt = getattr(video, "pix_fmt", "") or ""
        if self.pix_fmts and pix_fmt and pix_fmt not in self.pix_fmts:
            return (
                f"{self.name} decodes {codec} only as {', '.join(sorted(self.pix_fmts))}, "
                f"not {pix_fmt}"
            )
        low = self.min_size.get(codec)
        if low and (video.width < low[0] or video.height < low[1]):
            return (
                f"{video.width}x{video.height} is below {self.name}'s minimum for {codec} "
                f"({low[0]}x{low[1]})"
            )
        high = self.max_size.get(codec)
        if high and (video.width > high[0] or video.height > high[1]):
            return (
                f"{video.width}x{video.height} is above {self.name}'s maximum for {codec} "
                f"({high[0]}x{high[1]})"
            )
        return None


NVDEC = DecoderCaps(
    name="nvdec",
    codecs=frozenset({"h264", "hevc", "vp8", "vp9", "av1", "mpeg4"}),
    pix_fmts=_EIGHT_BIT_420,
    min_size={
        "h264": (48, 16),
        "hevc": (144, 144),
        "vp8": (48, 16),
        "vp9": (128, 128),
        "av1": (128, 128),
        "mpeg4": (48, 16),
    },
    max_size={
        "h264": (4096, 4096),
        "hevc": (8192, 8192),
        "vp8": (4096, 4096),
        "vp9": (8192, 8192),
        "av1": (8192, 8192),
        "mpeg4": (2032, 2032),
    },
)
"""DALI 2.4's mixed decoder on a recent NVIDIA GPU (every class is still proved at start-up)."""

DALI_CPU = DecoderCaps(name="dali_cpu", codecs=frozenset({"vp8", "vp9", "mjpeg"}))
"""DALI 2.4's CPU decoder (its bundled FFmpeg has no H.264, HEVC or MPEG-4 decoder)."""


@dataclass(frozen=True)
class Routing:
    """The decoder of every video, and why a video did not get the preferred one.

    Attributes:
        decoders: Decoder per path.
        reasons: Per path routed away from the preferred decoder, the reason.
        preferred: The decoder asked for (``"nvdec"``, ``"dali_cpu"`` or ``"pyav"``).
    """

    decoders: Mapping[str, Decoder]
    reasons: Mapping[str, str]
    preferred: Decoder

    def summary(self) -> str:
        """One line: how many videos go to each decoder, and the main reasons."""
        counted = getattr(self.decoders, "counts", None)  # one decoder for all: no pass
        counts = counted() if callable(counted) else Counter(self.decoders.values())
        parts = [f"{n} to {name}" for name, n in sorted(counts.items())]
        text = f"fastvid: decoding {', '.join(parts)}"
        if self.reasons:
            why = Counter(self.reasons.values()).most_common(3)
            text += " (" + "; ".join(f"{n} file(s): {reason}" for reason, n in why) + ")"
        return text


ClassProbe = Callable[[str, str], str | None]
"""``probe(path, pix_fmt) -> None`` if the decoder decoded a frame of ``path``, else why not."""


def route_videos(
    videos: Mapping[str, VideoFormat],
    *,
    preferred: Decoder,
    caps: DecoderCaps | None = None,
    probe: ClassProbe | None = None,
) -> Routing:
    """Choose each video's decoder.

    Args:
        videos: Metadata per path.
        preferred: The decoder to use where it can (``"pyav"`` takes everything).
        caps: The preferred decoder's capability table (``NVDEC`` or ``DALI_CPU`` by default).
        probe: Proves the preferred decoder on one file per (codec, pixel format) class the
            table accepts; a failing class goes to PyAV. ``None``: trust the table.

    Returns:
        The routing.
    """
    if preferred == "pyav":
        return Routing({path: "pyav" for path in videos}, {}, preferred)
    table = caps or (NVDEC if preferred == "nvdec" else DALI_CPU)
    decoders: dict[str, Decoder] = {}
    reasons: dict[str, str] = {}
    class_verdict: dict[tuple[str, str], str | None] = {}
    for path, video in videos.items():
        reason = table.refuses(video)
        if reason is None and probe is not None:
            key = (canonical_codec(video.codec), getattr(video, "pix_fmt", "") or "")
            if key not in class_verdict:
                class_verdict[key] = probe(path, key[1])
            if class_verdict[key] is not None:
                reason = f"{table.name} failed on this kind of file ({class_verdict[key]})"
        if reason is None:
            decoders[path] = table.name
        else:
            decoders[path] = "pyav"
            reasons[path] = reason
    return Routing(decoders, reasons, preferred)


def classes(videos: Iterable[VideoFormat]) -> Counter[tuple[str, str]]:
    """How many videos of each (codec, pixel format) class there are."""
    return Counter((canonical_codec(v.codec), getattr(v, "pix_fmt", "") or "") for v in videos)
