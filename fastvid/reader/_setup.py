"""A loader's one-time set-up: index its videos, route each to a decoder, describe each for
the engine.

:func:`set_up` (what :meth:`ClipLoader.setup <fastvid.reader.loader.ClipLoader.setup>` runs)
calls these in order: :func:`build_index`
(videos that could not be indexed are handed to ``skip``), :func:`planned_videos` (what the
epoch planner sees of each video), :func:`route` (NVDEC on the GPU, proved at start-up; DALI's
CPU decoder or PyAV on the CPU) and :func:`video_sources` (what the engine sees of each video),
and picks the worker and thread counts (:func:`fastvid.reader.budget.choose_budget`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import torch

from fastvid.data.storage import Storage, normalize
from fastvid.errors import VideoErrorKind
from fastvid.reader._inputs import NO_FRAMES, CpuDecoder
from fastvid.reader._run_types import VideoSource
from fastvid.reader.budget import Budget, choose_budget
from fastvid.reader.epoch import PlannedVideo
from fastvid.reader.routing import Decoder, Routing, route_videos

if TYPE_CHECKING:
    from fastvid.data.index import VideoIndex

__all__ = [
    "ROUTES",
    "LoaderSetUp",
    "build_index",
    "planned_videos",
    "route",
    "set_up",
    "video_sources",
]

logger = logging.getLogger("fastvid.reader.loader")  # the routing summary: the loader's logger

ROUTES: dict[str, Literal["cut", "pyav"]] = {"nvdec": "cut", "dali_cpu": "cut", "pyav": "pyav"}
"""Decoder -> what a worker does for it: cut GOP ranges (DALI decodes) or decode with PyAV."""


def build_index(
    pairs: Sequence[tuple[str, int]],
    index: Any,
    *,
    cache_dir: str | os.PathLike[str] | None,
    progress: bool,
    skip: Callable[[str, str, VideoErrorKind], None],
    fingerprint: bool = False,
    storage: Storage | None = None,
) -> VideoIndex:
    """The index of ``pairs``' videos: ``index`` if given, else built here.

    Args:
        pairs: ``(path, label)`` pairs.
        index: A prebuilt :class:`~fastvid.data.index.VideoIndex`, or ``None``.
        cache_dir: Metadata index cache folder (when built here).
        progress: Show a progress bar while indexing.
        skip: Called with ``(path, reason, kind)`` for each video that could not be indexed, in
            path order (may raise).
        fingerprint: Key the index cache on a head-and-tail hash of each file too (when built
            here; see ``VideoIndex.build``).
        storage: How URLs are read. Default: ``None``, local defaults.

    Returns:
        The index.
    """
    from fastvid.data.index import VideoIndex

    paths = [p for p, _ in pairs]
    index = index or VideoIndex.build(
        paths,
        cache_dir=cache_dir,
        progress=progress,
        fingerprint=fingerprint,
        storage_options=storage,
    )
    mine = {normalize(path) for path in paths}  # a shared index= holds other files
    failed: dict[str, tuple[str, VideoErrorKind]] = {
        path: (error.reason, error.kind) for path, error in index.failures.items() if path in mine
    }
    for path in mine.difference(failed):
        if path not in index:
            reason = "it is not in the index passed as index=; index every video"
            failed[path] = (reason, "not_indexed")
    for path, (reason, kind) in sorted(failed.items()):
        skip(path, reason, kind)
    return index


def planned_videos(
    pairs: Sequence[tuple[str, int]],
    annotations: Sequence[dict[str, Any]] | None,
    index: VideoIndex,
    *,
    decode_audio: bool = False,
) -> tuple[list[PlannedVideo], dict[str, Any]]:
    """Each video as the epoch planner sees it, and the index entry of each indexed path.

    Videos that are not in ``index`` are planned with no frames (they yield no clips). With
    ``decode_audio``, clips are planned on PyTorchVideo's duration with audio
    (``VideoMeta.duration_with_audio``: the longer of the video and audio streams).
    """
    planned: list[PlannedVideo] = []
    metas: dict[str, Any] = {}
    for position, (path, label) in enumerate(pairs):
        meta = index.meta(path) if path in index else None
        extra = tuple((annotations[position] if annotations else {}).items())
        if meta is None:
            planned.append(PlannedVideo(path, label, None, NO_FRAMES, extra))
            continue
        duration = meta.duration_with_audio if decode_audio else meta.duration
        planned.append(PlannedVideo(path, label, duration, meta, extra))
        metas[path] = meta
    return planned, metas


def route(
    metas: dict[str, Any],
    *,
    device: str,
    device_choice: str,
    cpu_decoder: CpuDecoder,
) -> Routing:
    """Which decoder each video goes to.

    Args:
        metas: Index entry per path.
        device: The resolved device, ``"gpu"`` or ``"cpu"``.
        device_choice: The device the user asked for (``"gpu"``/``"cuda"`` requires NVDEC to
            decode at least one video).
        cpu_decoder: On the CPU, ``"dali"`` prefers DALI's CPU decoder; otherwise PyAV.

    Returns:
        The :class:`~fastvid.reader.routing.Routing`.

    Raises:
        RuntimeError: ``device="gpu"`` was asked for and NVDEC can decode none of the videos.
    """
    if device == "gpu":
        from fastvid.reader.nvdec import nvdec_routing

        routing = nvdec_routing(metas, device_id=torch.cuda.current_device())
        if device_choice in ("gpu", "cuda") and "nvdec" not in routing.decoders.values():
            raise RuntimeError(
                "device='gpu' but no video can be decoded on this GPU: "
                + routing.summary().removeprefix("fastvid: ")
                + ". Use device='auto' to decode them with PyAV on the CPU instead"
            )
        return routing
    preferred: Decoder = "dali_cpu" if cpu_decoder == "dali" else "pyav"
    return route_videos(metas, preferred=preferred)


def video_sources(
    planned: Sequence[PlannedVideo], metas: dict[str, Any], routing: Routing
) -> list[VideoSource | None]:
    """Per video index, what the engine needs of it (``None``: not indexed, never planned)."""
    return [
        VideoSource(v.path, v.timing, ROUTES[routing.decoders[v.path]]) if v.path in metas else None
        for v in planned
    ]


@dataclass(frozen=True)
class LoaderSetUp:
    """What a loader's one-time set-up found: its videos as the planner and the engine see
    them, the decoder of each, and its worker / thread counts."""

    planned: list[PlannedVideo]
    routing: Routing
    budget: Budget
    sources: list[VideoSource | None]


def set_up(
    pairs: Sequence[tuple[str, int]],
    annotations: Sequence[dict[str, Any]] | None,
    index: Any,
    *,
    cache_dir: str | os.PathLike[str] | None,
    progress: bool,
    skip: Callable[[str, str, VideoErrorKind], None],
    fingerprint: bool,
    decode_audio: bool,
    storage: Storage | None,
    device: Literal["gpu", "cpu"],
    device_choice: str,
    cpu_decoder: CpuDecoder,
    requested: tuple[int | None, int | None, int | None, int | None],
    batch_size: int,
) -> LoaderSetUp:
    """Index the videos (:func:`build_index`), plan (:func:`planned_videos`) and route
    (:func:`route`) them, say the routing once (a warning when, on the GPU, files could not
    have the decoder asked for), and pick the worker / thread counts for ``requested``
    (``(num_workers, num_threads, decoder_threads, prefetch_batches)``, ``None``: chosen)."""
    built = build_index(
        pairs,
        index,
        cache_dir=cache_dir,
        progress=progress,
        skip=skip,
        fingerprint=fingerprint,
        storage=storage,
    )
    planned, metas = planned_videos(pairs, annotations, built, decode_audio=decode_audio)
    routing = route(metas, device=device, device_choice=device_choice, cpu_decoder=cpu_decoder)
    # said once per loader; louder when files could not have the decoder asked for
    log = logger.warning if routing.reasons and device == "gpu" else logger.info
    log(routing.summary())
    budget = choose_budget(
        device, list(metas.values()), routing, requested=requested, batch_size=batch_size
    )
    return LoaderSetUp(planned, routing, budget, video_sources(planned, metas, routing))
