"""Shared fixtures for the reader tests: small stamped videos, made once per session.

Every fixture video is 96x72 and a couple of seconds long, and frame ``i`` shows ``i`` in its
pixels (:func:`fastvid.testing.make_video`), so a test decodes a clip and reads back *which*
frames it got. PyTorchVideo (the oracle) and fastvid decode the same files.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import fastvid  # noqa: F401  (installs the pytorchvideo.transforms shim first)
from fastvid.data.index import VideoMeta, probe_video
from fastvid.testing import make_video, read_frame_index

SIZE = (96, 72)  # (width, height)


@dataclass(frozen=True)
class VideoSpec:
    """How to make one fixture video."""

    codec: str
    ext: str
    duration: float = 2.0
    vfr: bool = False
    seed: int = 0
    kwargs: dict[str, Any] = field(default_factory=dict)


# H.264 and HEVC use libx264/libx265's defaults, which code B-frames (frames reordered between
# decode and presentation order); test_plan checks that the "h264" file really has them.
# MPEG-4 VFR lives in Matroska (1/1000 time base) so that container is covered too.
VIDEOS: dict[str, VideoSpec] = {
    "h264": VideoSpec("h264", ".mp4", 2.0),
    "h264_vfr": VideoSpec("h264", ".mp4", 2.0, vfr=True, seed=0),
    "h264_ntsc_gop6": VideoSpec(
        "h264", ".mp4", 1.5, seed=3, kwargs={"fps": Fraction(30000, 1001), "gop": 6}
    ),
    "hevc": VideoSpec("hevc", ".mp4", 2.5, seed=1),
    "hevc_vfr": VideoSpec("hevc", ".mp4", 2.0, vfr=True, seed=0),
    "mpeg4": VideoSpec("mpeg4", ".mp4", 1.5, seed=2),
    "mpeg4_vfr": VideoSpec("mpeg4", ".mkv", 2.0, vfr=True, seed=0),
    "vp9": VideoSpec("vp9", ".webm", 2.5, seed=4),
    "vp9_vfr": VideoSpec("vp9", ".webm", 2.0, vfr=True, seed=0),
    "mjpeg": VideoSpec("mjpeg", ".avi", 2.0, seed=5),
}

DALI_CPU_VIDEOS = ("vp9", "vp9_vfr", "mjpeg")  # DALI's CPU decoder handles these codecs
PYAV_VIDEOS = ("h264", "h264_vfr", "hevc", "hevc_vfr", "mpeg4", "mpeg4_vfr")


class VideoStore:
    """Makes each fixture video on first use and remembers its path and metadata."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._paths: dict[str, Path] = {}
        self._metas: dict[str, VideoMeta] = {}

    def path(self, name: str) -> Path:
        if name not in self._paths:
            spec = VIDEOS[name]
            self._paths[name] = make_video(
                self.root / f"{name}{spec.ext}",
                codec=spec.codec,  # type: ignore[arg-type]
                size=SIZE,
                duration=spec.duration,
                vfr=spec.vfr,
                seed=spec.seed,
                **spec.kwargs,
            )
        return self._paths[name]

    def meta(self, name: str) -> VideoMeta:
        if name not in self._metas:
            self._metas[name] = probe_video(self.path(name))
        return self._metas[name]


@pytest.fixture(scope="session", params=list(VIDEOS))
def video_name(request: pytest.FixtureRequest) -> str:
    """Each fixture video's name in turn (parametrizes a test over every codec and timing)."""
    return str(request.param)


@pytest.fixture(scope="session")
def videos(tmp_path_factory: pytest.TempPathFactory) -> VideoStore:
    """The session's fixture videos, by name (see ``VIDEOS``)."""
    return VideoStore(tmp_path_factory.mktemp("reader_videos"))


def _stamps(video: torch.Tensor | None) -> list[int]:
    """The stamped frame index of every frame of a ``(C, T, H, W)`` clip (``[]`` for None)."""
    if video is None:
        return []
    return [read_frame_index(video[:, t], layout="CHW") for t in range(video.shape[1])]


@pytest.fixture(scope="session")
def stamps() -> Callable[[torch.Tensor | None], list[int]]:
    """``stamps(video_cthw)``: the frame index stamped in each frame of a clip."""
    return _stamps


def as_fraction_seconds(meta: VideoMeta) -> list[Fraction]:
    """Exact presentation time of every frame, in seconds from the stream start."""
    return [(int(p) - meta.start_pts) * meta.time_base for p in np.asarray(meta.pts)]


@pytest.fixture(scope="session")
def frame_seconds() -> Callable[[VideoMeta], list[Fraction]]:
    """``frame_seconds(meta)``: exact time of every frame, in seconds."""
    return as_fraction_seconds


def with_edit_list(source: Path, target: Path, hidden_frames: int) -> Path:
    """Remux ``source`` (MP4, stream copy) so an edit list hides its first ``hidden_frames``.

    Every timestamp is shifted back by ``hidden_frames`` frame durations; the MP4 muxer then
    writes an edit list starting at the old frame ``hidden_frames``, and on reading FFmpeg flags
    the earlier packets "discard": decoders decode them (later frames reference them) but do not
    output them, so frame 0 of the result shows stamp ``hidden_frames``.
    """
    import av

    with av.open(str(source)) as src, av.open(str(target), "w") as dst:
        stream = src.streams.video[0]
        out = dst.add_stream_from_template(stream)
        step = round(1 / (float(stream.average_rate) * stream.time_base))
        for packet in src.demux(stream):
            if packet.dts is None:
                continue
            packet.pts -= hidden_frames * step
            packet.dts -= hidden_frames * step
            packet.stream = out
            dst.mux(packet)
    return target
